import {
  DescribeAddressesCommand,
  DescribeRegionsCommand,
  paginateDescribeTags,
  paginateDescribeNetworkInterfaces,
  type Address,
  type EC2Client,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';

/** The EC2 calls one scope (account × region) is discovered from; each follows every page. */

/** The largest page EC2 allows: fewest round trips for big estates (the fake may return fewer). */
const PAGE = 1000;
/** EC2 accepts at most 200 values in one filter. */
const FILTER_VALUES = 200;

export async function enabledRegions(client: EC2Client, signal: AbortSignal): Promise<string[]> {
  const out = await client.send(new DescribeRegionsCommand({ AllRegions: false }), { abortSignal: signal });
  return (out.Regions ?? [])
    .filter((r) => r.OptInStatus === undefined || r.OptInStatus === 'opt-in-not-required' || r.OptInStatus === 'opted-in')
    .flatMap((r) => (r.RegionName ? [r.RegionName] : []));
}

/** Elastic IPs, associated or not. DescribeAddresses has no pagination. */
export async function elasticIps(client: EC2Client, signal: AbortSignal): Promise<Address[]> {
  const out = await client.send(new DescribeAddressesCommand({}), { abortSignal: signal });
  return out.Addresses ?? [];
}

/**
 * Interfaces with a public IPv4 on their primary private IP (instances, NLB, ALB, NAT, …). Public IPv4s
 * on secondary private IPs are always Elastic IPs, so DescribeAddresses lists them even when the
 * interface is not in this list. Pages are appended to `into` as they arrive, so a failure on a later
 * page keeps what the earlier pages found (the scan is then partial).
 */
export function interfacesWithPublicIpv4(client: EC2Client, into: NetworkInterface[], signal: AbortSignal): Promise<void> {
  return interfaces(client, 'association.public-ip', into, signal);
}

/** Interfaces with IPv6 addresses: an IPv6-only interface has no association.public-ip at all. */
export function interfacesWithIpv6(client: EC2Client, into: NetworkInterface[], signal: AbortSignal): Promise<void> {
  return interfaces(client, 'ipv6-addresses.ipv6-address', into, signal);
}

async function interfaces(client: EC2Client, filter: string, into: NetworkInterface[], signal: AbortSignal): Promise<void> {
  const pages = paginateDescribeNetworkInterfaces({ client, pageSize: PAGE }, { Filters: [{ Name: filter, Values: ['*'] }] }, { abortSignal: signal });
  for await (const page of pages) into.push(...(page.NetworkInterfaces ?? []));
}

/**
 * Tags of the given instances: users tag instances (`cf-origin=true`), rarely their interfaces.
 * DescribeTags rather than DescribeInstances: a tag row is a small fraction of an instance's XML, and the
 * tags are all that is needed (the interfaces already gave the addresses). 200 ids per request (the
 * filter limit); a filter, so an instance terminated meanwhile is no error.
 */
export async function instanceTags(client: EC2Client, ids: readonly string[], signal: AbortSignal): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (let i = 0; i < ids.length; i += FILTER_VALUES) {
    const chunk = ids.slice(i, i + FILTER_VALUES);
    const input = {
      Filters: [
        { Name: 'resource-type', Values: ['instance'] },
        { Name: 'resource-id', Values: chunk },
      ],
    };
    for await (const page of paginateDescribeTags({ client, pageSize: PAGE }, input, { abortSignal: signal })) {
      for (const t of page.Tags ?? []) {
        if (!t.ResourceId || t.Key === undefined) continue;
        const tags = out.get(t.ResourceId) ?? {};
        tags[t.Key] = t.Value ?? '';
        out.set(t.ResourceId, tags);
      }
    }
  }
  return out;
}

export function tagMap(tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}
