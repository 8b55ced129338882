import type { Classified } from './classify.ts';
import type { SkipList } from './skips.ts';
import type { Retiring } from './tombstones.ts';
import type { ZoneSettings } from './types.ts';

/**
 * Rule 3, the zone's policy, as a filter on the changes the other rules found: `sync` writes and
 * deletes, `upsert-only` never deletes, `create-only` neither changes nor takes over an existing
 * mapping either. What a policy holds back is reported as skipped, and stays in the zone.
 */
export function policyOnHeld(zone: ZoneSettings, c: Classified, skipped: SkipList): void {
  // Only under sync may an existing mapping give up its place to a higher-priority origin.
  for (const h of c.held) h.evictable = zone.policy === 'sync';
  if (zone.policy !== 'create-only') return;
  const kept = [];
  for (const h of c.held) {
    const u = h.upsert;
    const { ip, vendor, region, scope } = h.d.origin;
    if (u?.kind === 'adopt') {
      skipped.add(ip, 'policy', `create-only: will not take over ${u.from!.vendor}/${u.from!.region} (wanted ${vendor}/${region})`, scope, h.d.key);
      c.adoptable.delete(ip);
      continue;
    }
    if (u && (u.kind === 'update' || u.kind === 'repair')) {
      skipped.add(ip, 'policy', `create-only: leaves ${u.from!.vendor}/${u.from!.region}, wanted ${vendor}/${region}`, scope, h.d.key);
      kept.push({ d: h.d, evictable: false });
      continue;
    }
    kept.push(h);
  }
  c.held = kept;
  for (const d of c.drift) if (d.action === 'repair') d.action = 'report';
}

/** Deletes of mappings nobody wants any more: only `sync` sends them. Returns the deletes that stay planned. */
export function policyOnDeletes(zone: ZoneSettings, retiring: Retiring[], skipped: SkipList): { kept: Retiring[]; held: number } {
  if (zone.policy === 'sync') return { kept: retiring, held: 0 };
  for (const r of retiring) skipped.add(r.mapping.ip, 'policy', `${zone.policy}: ${r.what}, would be deleted under sync`, r.scope);
  return { kept: [], held: retiring.length };
}
