import {
  DescribeAddressesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRegionsCommand,
  DescribeTagsCommand,
  type Address,
  type EC2Client,
  type NetworkInterface,
  type TagDescription,
} from '@aws-sdk/client-ec2';

/**
 * The EC2 calls one scope (account × region) is discovered from; each follows every page. No result
 * depends on a server-side filter: EC2 implementations differ in which filters they support and in what
 * a filter matches (AWS documents `association.public-ip` as the Elastic IP bound to an interface), so
 * interfaces are listed whole and chosen here on the fields the API returns.
 */

/** The largest page EC2 allows (MaxResults 5–1000): fewest round trips for big estates (the fake may return fewer). */
const PAGE = 1000;
/** EC2 accepts at most 200 filter values in one request, summed over its filters (else FilterLimitExceeded). */
export const FILTER_VALUES = 200;

/**
 * Regions enabled for the account. `AllRegions: false` asks for enabled regions only, but an endpoint may
 * list the others anyway (marked `not-opted-in`): those are never scanned, as every call into them fails.
 * An empty `opt-in-status` (some implementations send empty strings for absent fields) means enabled.
 */
export async function enabledRegions(client: EC2Client, signal: AbortSignal): Promise<{ enabled: string[]; notOptedIn: string[] }> {
  const out = await client.send(new DescribeRegionsCommand({ AllRegions: false }), { abortSignal: signal });
  const enabled: string[] = [];
  const notOptedIn: string[] = [];
  for (const r of out.Regions ?? []) {
    if (!r.RegionName) continue;
    if (!r.OptInStatus || r.OptInStatus === 'opt-in-not-required' || r.OptInStatus === 'opted-in') enabled.push(r.RegionName);
    else notOptedIn.push(r.RegionName);
  }
  return { enabled, notOptedIn };
}

/** Elastic IPs, associated or not. DescribeAddresses has no pagination (and takes no MaxResults). */
export async function elasticIps(client: EC2Client, signal: AbortSignal): Promise<Address[]> {
  const out = await client.send(new DescribeAddressesCommand({}), { abortSignal: signal });
  return out.Addresses ?? [];
}

/**
 * Every network interface of the region (instances, NLB, ALB, NAT, endpoints…), unfiltered: one listing
 * serves both the public IPv4s (`Association.PublicIp`, primary and secondary private IPs) and the IPv6
 * addresses, and the caller keeps the interfaces that carry one. Each page goes to `onPage` as it
 * arrives, to be reduced there and let go: a failure on a later page keeps what the earlier pages found
 * (the scan is then partial), and no more than one page of SDK objects is alive at a time per scope.
 */
export async function allInterfaces(client: EC2Client, onPage: (enis: readonly NetworkInterface[]) => void, signal: AbortSignal): Promise<void> {
  await follow(async (token) => {
    const out = await client.send(new DescribeNetworkInterfacesCommand({ MaxResults: PAGE, NextToken: token }), { abortSignal: signal });
    onPage(out.NetworkInterfaces ?? []);
    return out.NextToken;
  });
}

/**
 * Reads pages until one comes without a token; `page` reads one page, reduces it and returns only the
 * next token. Not the SDK's paginators: an async generator keeps the page it yielded alive until the
 * next page has arrived, so every page's output (thousands of objects) outlives a request and a parse,
 * survives the young generation and piles up in the old one as garbage (tens of MB of heap at a time).
 */
async function follow(page: (token: string | undefined) => Promise<string | undefined>): Promise<void> {
  let token: string | undefined;
  do {
    const next = await page(token);
    // As the SDK's paginators do: an endpoint that hands back the token it was given would never end.
    if (next && next === token) throw new Error(`the same NextToken came back twice (${next.slice(0, 16)}…): stopped paging`);
    token = next;
  } while (token);
}

/** Error codes that say nothing about a filter: retrying without it would only repeat them. */
const NOT_ABOUT_THE_FILTER = /^(UnauthorizedOperation|AuthFailure|AccessDenied|Blocked|OptInRequired|RequestLimitExceeded|Throttling|ThrottlingException)$/;

function mayBeTheFilter(e: unknown): boolean {
  if (!(e instanceof Error) || e.name === 'AbortError' || e.name === 'TimeoutError') return false;
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 401 || status === 403) return false;
  return !NOT_ABOUT_THE_FILTER.test(e.name);
}

/**
 * Tags of the given instances: users tag instances (`cf-origin=true`), rarely their interfaces.
 * DescribeTags rather than DescribeInstances: a tag row is a small fraction of an instance's XML, and the
 * tags are all that is needed (the interfaces already gave the addresses). The `resource-id` filter (200
 * ids per request: the whole filter-value budget; instance ids name only instances, so no `resource-type`
 * is needed) only saves transfer: when the endpoint refuses it (any error that is not about access or
 * throttling), every tag of the region is listed once instead and the instances' rows are kept here.
 * `onFilterDropped` is told why, once.
 */
export async function instanceTags(
  client: EC2Client,
  ids: readonly string[],
  signal: AbortSignal,
  onFilterDropped: (err: unknown) => void,
): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  const wanted = new Set(ids);
  const keep = (rows: readonly TagDescription[]) => {
    for (const t of rows) {
      if (!t.ResourceId || !t.Key || !wanted.has(t.ResourceId)) continue;
      const tags = out.get(t.ResourceId) ?? {};
      tags[t.Key] = t.Value ?? '';
      out.set(t.ResourceId, tags);
    }
  };
  const read = (input: { Filters?: Array<{ Name: string; Values: string[] }> }) =>
    follow(async (token) => {
      const page = await client.send(new DescribeTagsCommand({ ...input, MaxResults: PAGE, NextToken: token }), { abortSignal: signal });
      keep(page.Tags ?? []);
      return page.NextToken;
    });
  try {
    for (let i = 0; i < ids.length; i += FILTER_VALUES) await read({ Filters: [{ Name: 'resource-id', Values: ids.slice(i, i + FILTER_VALUES) }] });
  } catch (e) {
    if (!mayBeTheFilter(e)) throw e;
    onFilterDropped(e);
    out.clear();
    await read({});
  }
  return out;
}

export function tagMap(tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}
