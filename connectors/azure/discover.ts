import type { PublicIPAddress } from '@azure/arm-network';
import type { ScanCollector } from '../shared/scan-collector.ts';
import { matchesTags } from '../shared/tags.ts';

export interface PublicIpFilter {
  tags: Record<string, string> | undefined;
  inRegion: (region: string) => boolean;
}

/** ARM sends `eastus`; a few APIs and hand-written inventories say `East US`. Both mean the same region. */
export function normalizeLocation(location: string | undefined): string {
  return (location ?? '').toLowerCase().replace(/\s+/g, '');
}

/** Azure tag names are case-insensitive (values are not), so the filter compares names case-insensitively. */
function lowerKeys(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v]));
}

/** `networkInterfaces/web-nic`, `loadBalancers/web-lb`, `natGateways/egress`… from the bound resource's id. */
function attachment(p: PublicIPAddress): string {
  const id = p.ipConfiguration?.id ?? p.natGateway?.id;
  if (!id) return 'unattached';
  const m = /\/providers\/[^/]+\/([^/]+)\/([^/]+)/i.exec(id);
  return m ? `${m[1]}/${m[2]}` : id;
}

export function sourceOf(p: PublicIPAddress): string {
  return `${p.id ?? p.name ?? 'publicIPAddress'} (${attachment(p)})`;
}

/**
 * Decides what one public IP resource is: not ours (tag/region filter: silently left out), skipped with a
 * reason only Azure knows (Global tier, nothing allocated), or an address for the collector to check.
 */
export function collectPublicIp(p: PublicIPAddress, filter: PublicIpFilter, collector: ScanCollector): void {
  const tags = p.tags ?? {};
  if (filter.tags && !matchesTags(lowerKeys(filter.tags), lowerKeys(tags))) return;
  const region = normalizeLocation(p.location);
  if (!filter.inRegion(region)) return;
  const source = sourceOf(p);
  const ip = p.ipAddress;
  // A skip without an address is listed by what it is: plans and status show the ip and detail, not the source.
  const name = p.name ?? p.id ?? 'publicIPAddress';
  if (p.sku?.tier === 'Global') {
    collector.skip({
      ip: ip || name,
      reason: 'anycast',
      detail: `Global tier public IP (cross-region load balancer frontend, home region ${region || 'unknown'}) is anycast from every Azure region`,
      source,
    });
    return;
  }
  if (!ip) {
    collector.skip({
      ip: name,
      reason: 'unassigned',
      detail: `${name} (${attachment(p)}) has no address allocated (${p.publicIPAllocationMethod ?? 'unknown'} allocation: a Dynamic address has one only while its resource is running)`,
      source,
    });
    return;
  }
  collector.add({ ip, vendor: 'azure', region, source, tags });
}
