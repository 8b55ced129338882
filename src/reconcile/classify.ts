import type { Desired, DesiredOrigin } from './desired.ts';
import { isOwned } from './ownership.ts';
import { recoveryVerdict } from './recovery.ts';
import type { SkipList } from './skips.ts';
import type { CurrentMapping, Drift, Plan, PlanInput, RegistryEntry, Upsert } from './types.ts';

/** A desired origin the zone already holds: kept, updated, repaired or taken over. */
export interface Held {
  d: DesiredOrigin;
  /** May lose its place to a higher-priority origin, and be deleted (set by the policy). */
  evictable: boolean;
  upsert?: Upsert;
  remember?: Plan['remember'][number];
}

export interface Classified {
  held: Held[];
  /** Desired addresses decided here (held or skipped): every other desired origin is new to the zone. */
  decided: Set<string>;
  /** New to the zone but ours before: someone deleted our mapping, and it is written back. */
  recreate: Set<string>;
  drift: Drift[];
  /** Unowned mappings this plan takes over (or re-owns after a state loss): no longer someone else's. */
  adoptable: Set<string>;
  identical: string[];
}

export interface Zone {
  current: ReadonlyMap<string, CurrentMapping>;
  owned: (ip: string) => boolean;
}

/** The zone as listed, with rule 2's ownership test bound to it. */
export function readZone(input: PlanInput): Zone {
  const current = new Map<string, CurrentMapping>();
  for (const m of input.current) current.set(m.ip, m);
  return { current, owned: (ip) => isOwned(input.registry.get(ip), current.get(ip)) };
}

/**
 * Current against desired under rule 2 (own what you write): what the zone holds for each desired
 * address, whether it is ours, and what writing the desired value would be. Only addresses the zone or
 * the registry knows need a look; the rest of the desired set is new. Policy is applied afterwards.
 */
export function classify(input: PlanInput, zone: Zone, desired: Desired, skipped: SkipList): Classified {
  const out: Classified = { held: [], decided: new Set(), recreate: new Set(), drift: [], adoptable: new Set(), identical: [] };
  const unreadable = new Map((input.unparsed ?? []).flatMap((u) => (u.ip ? [[u.ip, u.reason] as const] : [])));
  for (const [ip, why] of unreadable) {
    const d = desired.get(ip);
    if (!d) continue;
    out.decided.add(ip);
    skipped.add(ip, 'unowned', `the zone holds an entry for this IP that this daemon cannot read (${why}); left alone`, d.origin.scope, d.key);
  }
  // Ours, gone from the zone, and still wanted: written back (drift: someone deleted it).
  for (const [ip, entry] of input.registry) {
    if (zone.current.has(ip) || out.decided.has(ip) || entry.pending || !desired.has(ip)) continue;
    out.recreate.add(ip);
    out.drift.push({ ip, expected: { vendor: entry.vendor, region: entry.region }, actual: null, action: 'recreate' });
  }
  for (const cur of zone.current.values()) {
    const d = desired.get(cur.ip);
    if (!d || out.decided.has(cur.ip)) continue;
    out.decided.add(cur.ip);
    held(input, zone, d, cur, input.registry.get(cur.ip), out, skipped);
  }
  return out;
}

function held(input: PlanInput, zone: Zone, d: DesiredOrigin, cur: CurrentMapping, entry: RegistryEntry | undefined, out: Classified, skipped: SkipList): void {
  const { ip, vendor, region, scope } = d.origin;
  const value = { vendor, region };
  const same = cur.vendor === vendor && cur.region === region;
  const remember = { ip, entry: { ...value, scope } };
  if (zone.owned(ip)) {
    const changedBehindUs = !!entry && !entry.pending && (entry.vendor !== cur.vendor || entry.region !== cur.region);
    if (same) {
      // Someone set what we want, or we wrote it: no request, but remember the value as ours.
      const refresh = changedBehindUs || entry?.pending || entry?.scope !== scope;
      out.held.push({ d, evictable: false, ...(refresh ? { remember } : {}) });
      return;
    }
    if (changedBehindUs) {
      out.drift.push({ ip, expected: { vendor: entry.vendor, region: entry.region }, actual: { vendor: cur.vendor, region: cur.region }, action: 'repair' });
    }
    out.held.push({ d, evictable: false, upsert: upsert(d, changedBehindUs ? 'repair' : 'update', cur) });
    return;
  }
  // After a state loss, a mapping identical to what we want is what we would write: ours again.
  if (input.recovery && recoveryVerdict(value, cur) === 'identical') {
    out.identical.push(ip);
    if (input.recovery.reown) {
      out.adoptable.add(ip);
      out.held.push({ d, evictable: false, remember });
      return;
    }
  }
  // Unowned: someone else's mapping.
  if (!input.zone.adopt) {
    skipped.add(
      ip,
      'unowned',
      same
        ? `already mapped to ${cur.vendor}/${cur.region} by someone else (adopt: false)`
        : `mapped to ${cur.vendor}/${cur.region} by someone else; wanted ${vendor}/${region} (adopt: false)`,
      scope,
      d.key,
    );
    return;
  }
  // Taken over, it is ours like any other: under sync it competes for the budget (and may be deleted).
  out.adoptable.add(ip);
  out.held.push(same ? { d, evictable: false, remember } : { d, evictable: false, upsert: upsert(d, 'adopt', cur) });
}

/** Registry entries with nothing behind them: our write never landed, or the mapping is gone and unwanted. */
export function staleEntries(registry: PlanInput['registry'], zone: Zone, desired: Desired): string[] {
  const stale: string[] = [];
  for (const ip of registry.keys()) if (!zone.owned(ip) || (!zone.current.has(ip) && !desired.has(ip))) stale.push(ip);
  return stale;
}

export function upsert(d: DesiredOrigin, kind: Upsert['kind'], from?: CurrentMapping): Upsert {
  const o = d.origin;
  return {
    ip: o.ip,
    vendor: o.vendor,
    region: o.region,
    kind,
    ...(from ? { from: { vendor: from.vendor, region: from.region } } : {}),
    scope: o.scope,
    source: o.source,
  };
}
