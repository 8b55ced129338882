import type { Address, NetworkInterface } from '@aws-sdk/client-ec2';
import { canonicalIp } from '../../src/model/index.ts';
import type { ScanCollector } from '../shared/scan-collector.ts';
import { matchesTags } from '../shared/tags.ts';
import { tagMap } from './sources.ts';

/**
 * Joins what one scope's calls returned into one entry per address: an Elastic IP attached to an
 * interface is one origin (source names both), and its tags are the instance's, overlaid by the
 * interface's, overlaid by the Elastic IP's (the most specific wins).
 */

interface Entry {
  ip: string;
  source: string;
  tags: Record<string, string>;
  /** Why the address is anycast, when it belongs to a Global Accelerator. */
  anycast?: string;
}

export function isGlobalAccelerator(eni: NetworkInterface): boolean {
  return (
    eni.InterfaceType === 'global_accelerator_managed' ||
    /global ?accelerator/i.test(eni.Description ?? '') ||
    /globalaccelerator/i.test(eni.RequesterId ?? '')
  );
}

/**
 * What one interface contributes to the scan, kept as its page arrives: the SDK's objects for the page are
 * let go at once, so what a scope holds grows with the origins it finds, not with the pages it reads.
 */
export interface Iface {
  id: string;
  type: string | undefined;
  instance: string | undefined;
  tags: Record<string, string>;
  /** Its addresses that can be origins, in the order EC2 lists them: the primary public IPv4, those of the other private IPs, then IPv6. */
  ips: string[];
  /** Managed by Global Accelerator: its addresses are anycast. */
  anycast: boolean;
}

/** The interface's compact form, or undefined when it carries no address that can be an origin. */
export function compact(eni: NetworkInterface): Iface | undefined {
  const ips: string[] = [];
  if (eni.Association?.PublicIp) ips.push(eni.Association.PublicIp);
  for (const p of eni.PrivateIpAddresses ?? []) if (p.Association?.PublicIp) ips.push(p.Association.PublicIp);
  for (const v6 of eni.Ipv6Addresses ?? []) if (v6.Ipv6Address) ips.push(v6.Ipv6Address);
  if (ips.length === 0) return undefined;
  const instance = eni.Attachment?.InstanceId;
  return {
    id: eni.NetworkInterfaceId ?? 'eni-?',
    type: eni.InterfaceType,
    instance: instance || undefined,
    tags: tagMap(eni.TagSet),
    ips,
    anycast: isGlobalAccelerator(eni),
  };
}

/** Instance ids the interfaces and Elastic IPs point at (for their tags). */
export function attachedInstances(enis: readonly Iface[], addresses: readonly Address[]): string[] {
  const ids = new Set<string>();
  for (const e of enis) if (e.instance) ids.add(e.instance);
  for (const a of addresses) if (a.InstanceId) ids.add(a.InstanceId);
  return [...ids].sort();
}

export function assemble(opts: {
  region: string;
  enis: readonly Iface[];
  addresses: readonly Address[];
  instanceTags: ReadonlyMap<string, Record<string, string>>;
  filter: Record<string, string> | undefined;
  collector: ScanCollector;
}): void {
  const entries = new Map<string, Entry>();
  const keyOf = (ip: string) => {
    const c = canonicalIp(ip);
    return c.ok ? c.ip : ip;
  };
  const put = (ip: string | undefined, source: string, tags: Record<string, string>, anycast?: string) => {
    if (!ip) return;
    const key = keyOf(ip);
    const prev = entries.get(key);
    if (!prev) {
      entries.set(key, { ip, source, tags, ...(anycast ? { anycast } : {}) });
      return;
    }
    prev.tags = { ...prev.tags, ...tags };
    if (!prev.source.includes(source)) prev.source = `${prev.source}; ${source}`;
    if (anycast) prev.anycast ??= anycast;
  };

  for (const eni of opts.enis) {
    const { id, instance } = eni;
    const tags = { ...(instance ? opts.instanceTags.get(instance) : undefined), ...eni.tags };
    const source = `${id} (${eni.type ?? 'interface'}${instance ? `, ${instance}` : ''})`;
    const anycast = eni.anycast
      ? `${id} is managed by AWS Global Accelerator: clients reach it through the accelerator's anycast addresses, not as an origin of one region`
      : undefined;
    for (const ip of eni.ips) put(ip, source, tags, anycast);
  }

  for (const a of opts.addresses) {
    const alloc = a.AllocationId ?? 'elastic-ip';
    const on = a.NetworkInterfaceId ?? a.InstanceId;
    const instanceTags = a.InstanceId ? opts.instanceTags.get(a.InstanceId) : undefined;
    // Seen on an interface already: that entry holds the instance and interface tags in their order.
    const known = entries.has(keyOf(a.PublicIp ?? ''));
    const source = known ? alloc : `${alloc} (elastic-ip${on ? ` on ${on}` : ', unassociated'})`;
    put(a.PublicIp, source, known ? tagMap(a.Tags) : { ...instanceTags, ...tagMap(a.Tags) });
  }

  for (const e of entries.values()) {
    if (!matchesTags(opts.filter, e.tags)) continue;
    if (e.anycast) opts.collector.skip({ ip: e.ip, reason: 'anycast', detail: e.anycast, source: e.source });
    else opts.collector.add({ ip: e.ip, vendor: 'aws', region: opts.region, source: e.source, tags: e.tags });
  }
}
