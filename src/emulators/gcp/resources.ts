import { createHash } from 'node:crypto';
import type { GcpAddress, GcpForwardingRule, GcpInstance, GcpProject, ListKind } from './inventory.ts';

export const API_BASE = 'https://www.googleapis.com/compute/v1';
const CREATED = '2024-05-01T09:00:00.000-07:00';

/** One item of an aggregated list and the scope key it is listed under. */
export interface Scoped {
  scope: string;
  item: Record<string, unknown>;
}

/** A project as the fake serves it: per list, its items in wire form and the full set of scope keys. */
export interface ServedProject {
  lists: Record<ListKind, { scopes: string[]; items: Scoped[]; unreachable: Set<string> }>;
}

/** Compute ids are uint64 decimal strings; derived from the resource path so they are stable. */
export function stableId(path: string): string {
  return BigInt('0x' + createHash('sha256').update(path).digest('hex').slice(0, 15)).toString();
}

function zoneRegion(zone: string): string {
  return zone.slice(0, zone.lastIndexOf('-'));
}

function wireAddress(project: string, a: GcpAddress): Scoped {
  const { region, ...rest } = a;
  const scope = region === 'global' ? 'global' : `regions/${region}`;
  const self = `${API_BASE}/projects/${project}/${scope}/addresses/${a.name}`;
  return {
    scope,
    item: {
      kind: 'compute#address',
      id: stableId(self),
      creationTimestamp: CREATED,
      addressType: 'EXTERNAL',
      ipVersion: a.address.includes(':') ? 'IPV6' : 'IPV4',
      networkTier: 'PREMIUM',
      status: a.users && a.users.length > 0 ? 'IN_USE' : 'RESERVED',
      ...rest,
      ...(region === 'global' ? {} : { region: `${API_BASE}/projects/${project}/regions/${region}` }),
      selfLink: self,
    },
  };
}

function wireInstance(project: string, i: GcpInstance): Scoped {
  const { zone, networkInterfaces, ...rest } = i;
  const scope = `zones/${zone}`;
  const self = `${API_BASE}/projects/${project}/${scope}/instances/${i.name}`;
  return {
    scope,
    item: {
      kind: 'compute#instance',
      id: stableId(self),
      creationTimestamp: CREATED,
      status: 'RUNNING',
      ...rest,
      zone: `${API_BASE}/projects/${project}/zones/${zone}`,
      networkInterfaces: (networkInterfaces ?? []).map((nic, n) => {
        const { accessConfigs, ipv6AccessConfigs, ...nicRest } = nic;
        return {
          kind: 'compute#networkInterface',
          name: `nic${n}`,
          ...nicRest,
          ...(accessConfigs
            ? { accessConfigs: accessConfigs.map((ac) => ({ kind: 'compute#accessConfig', type: 'ONE_TO_ONE_NAT', name: 'External NAT', networkTier: 'PREMIUM', ...ac })) }
            : {}),
          ...(ipv6AccessConfigs
            ? {
                ipv6AccessConfigs: ipv6AccessConfigs.map((ac) => ({
                  kind: 'compute#accessConfig',
                  type: 'DIRECT_IPV6',
                  name: 'external-ipv6',
                  externalIpv6PrefixLength: 96,
                  networkTier: 'PREMIUM',
                  ...ac,
                })),
              }
            : {}),
        };
      }),
      selfLink: self,
    },
  };
}

function wireForwardingRule(project: string, r: GcpForwardingRule): Scoped {
  const { region, ...rest } = r;
  const scope = region === 'global' ? 'global' : `regions/${region}`;
  const self = `${API_BASE}/projects/${project}/${scope}/forwardingRules/${r.name}`;
  return {
    scope,
    item: {
      kind: 'compute#forwardingRule',
      id: stableId(self),
      creationTimestamp: CREATED,
      IPProtocol: 'TCP',
      loadBalancingScheme: 'EXTERNAL',
      networkTier: 'PREMIUM',
      ...rest,
      ...(region === 'global' ? {} : { region: `${API_BASE}/projects/${project}/regions/${region}` }),
      selfLink: self,
    },
  };
}

/**
 * Precomputes what the aggregated lists of one project return. Like the real API, every page names
 * every scope: regions (and `global`) for addresses and forwarding rules, zones for instances. The fake's
 * regions are those the project mentions anywhere (items, zones, unreachable faults); its zones are the
 * instances' zones, plus `<region>-a` for an unreachable region without any.
 */
export function serveProject(project: string, p: GcpProject): ServedProject {
  const unreachable = new Set(p.faults?.unreachable ?? []);
  const regions = new Set<string>(unreachable);
  for (const a of p.addresses) if (a.region !== 'global') regions.add(a.region);
  for (const r of p.forwardingRules) if (r.region !== 'global') regions.add(r.region);
  const zones = new Set<string>(p.instances.map((i) => i.zone));
  for (const z of zones) regions.add(zoneRegion(z));
  for (const r of unreachable) if (![...zones].some((z) => zoneRegion(z) === r)) zones.add(`${r}-a`);

  const regionScopes = ['global', ...[...regions].map((r) => `regions/${r}`)].sort();
  const zoneScopes = [...zones].map((z) => `zones/${z}`).sort();
  const unreachableRegions = new Set([...unreachable].map((r) => `regions/${r}`));
  const unreachableZones = new Set(zoneScopes.filter((s) => unreachable.has(zoneRegion(s.slice('zones/'.length)))));
  // Stable order: by scope, then as written in the inventory.
  const byScope = (items: Scoped[]) => items.map((s, i) => [s, i] as const).sort(([a, i], [b, j]) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : i - j)).map(([s]) => s);

  return {
    lists: {
      addresses: { scopes: regionScopes, items: byScope(p.addresses.map((a) => wireAddress(project, a))), unreachable: unreachableRegions },
      instances: { scopes: zoneScopes, items: byScope(p.instances.map((i) => wireInstance(project, i))), unreachable: unreachableZones },
      forwardingRules: { scopes: regionScopes, items: byScope(p.forwardingRules.map((r) => wireForwardingRule(project, r))), unreachable: unreachableRegions },
    },
  };
}
