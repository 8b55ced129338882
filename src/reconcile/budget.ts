import { upsert, type Held, type Zone } from './classify.ts';
import type { DesiredOrigin } from './desired.ts';
import { FirstInOrder } from './first-in-order.ts';
import { compareKeys } from './ip-order.ts';
import type { SkipList } from './skips.ts';
import { MAX_MAPPINGS_PER_ZONE } from '../cloudflare/limits.ts';
import type { CurrentMapping, Delete, Plan, PlanInput, Upsert } from './types.ts';

export interface Candidates {
  /** Desired origins the zone holds. */
  held: Held[];
  /** Every desired origin: those not `decided` by an earlier step are new to the zone (created, or recreated when in `recreate`). */
  desired: ReadonlyMap<string, DesiredOrigin>;
  decided: ReadonlySet<string>;
  recreate: ReadonlySet<string>;
}

export interface Fitted {
  upserts: Upsert[];
  remember: Plan['remember'];
  deletes: Delete[];
  overflow: FirstInOrder<Plan['overflow'][number]>;
  fitted: number;
  frozenDeletes: number;
}

export interface Room {
  /** min(Cloudflare's cap, the zone's maxMappings). */
  cap: number;
  /** Mappings that are not ours (and not taken over), unreadable entries included. */
  unmanaged: number;
  /** What this daemon may hold: cap − unmanaged − reserve. */
  available: number;
  /** What is left of it for desired origins once the mappings that stay are counted. */
  slots: number;
}

/** Rule 4's arithmetic: Budget = min(3,500, maxMappings) − unmanaged − reserve. */
export function budgetRoom(input: PlanInput, zone: Zone, adoptable: ReadonlySet<string>, staying: number): Room {
  const cap = Math.min(input.cloudflareCap ?? MAX_MAPPINGS_PER_ZONE, input.zone.maxMappings);
  let unmanaged = input.unparsed?.length ?? 0;
  for (const m of zone.current.values()) if (!zone.owned(m.ip) && !adoptable.has(m.ip)) unmanaged++;
  const available = Math.max(0, cap - unmanaged - input.zone.reserve);
  return { cap, unmanaged, available, slots: Math.max(0, available - staying) };
}

/**
 * Rule 4, the capacity budget: everything that stays occupies a slot, and desired origins take what is
 * left in a fixed order. Mappings the daemon may not remove come first; then priority rank; within a
 * rank, what the zone already holds (no churn), then by address. What does not fit is overflow: never
 * written, and deleted when the zone held it (unless deletes are frozen after a state loss).
 */
export function fitBudget(
  c: Candidates,
  room: Room,
  current: ReadonlyMap<string, CurrentMapping>,
  freeze: boolean,
  skipped: SkipList,
  sample: number | undefined,
): Fitted {
  const out: Fitted = { upserts: [], remember: [], deletes: [], overflow: new FirstInOrder(sample), fitted: 0, frozenDeletes: 0 };
  const fit = (h: Held | DesiredOrigin) => {
    out.fitted++;
    if ('d' in h) {
      if (h.upsert) out.upserts.push(h.upsert);
      if (h.remember) out.remember.push(h.remember);
    } else out.upserts.push(upsert(h, c.recreate.has(h.origin.ip) ? 'recreate' : 'create'));
  };
  const overflow = (d: DesiredOrigin, existing: boolean) => {
    const o = d.origin;
    if (out.overflow.take(d.key, '', o.ip)) out.overflow.keep({ ip: o.ip, vendor: o.vendor, region: o.region, scope: o.scope });
    if (skipped.take(o.ip, 'over-budget', d.key)) skipped.keep(o.ip, 'over-budget', `no room: ${room.available} mappings available to this daemon (rank ${d.rank})`, o.scope);
    if (!existing) return;
    if (freeze) {
      skipped.add(o.ip, 'state-loss', "over budget; deletes are frozen until the zone's first complete reconcile after the state loss", o.scope, d.key);
      out.frozenDeletes++;
      return;
    }
    const cur = current.get(o.ip)!;
    out.deletes.push({ ip: o.ip, vendor: cur.vendor, region: cur.region, reason: 'over-budget', scope: o.scope });
  };

  // Existing mappings that may not be removed always keep their place.
  const ranks = new Map<number, { held: Held[]; fresh: DesiredOrigin[] }>();
  const bucket = (rank: number) => ranks.get(rank) ?? ranks.set(rank, { held: [], fresh: [] }).get(rank)!;
  for (const h of c.held) {
    if (h.evictable) bucket(h.d.rank).held.push(h);
    else fit(h);
  }
  for (const [ip, d] of c.desired) if (!c.decided.has(ip)) bucket(d.rank).fresh.push(d);

  let left = Math.max(0, room.slots - out.fitted);
  for (const rank of [...ranks.keys()].sort((a, b) => a - b)) {
    const { held, fresh } = ranks.get(rank)!;
    held.sort((a, b) => compareKeys(a.d.key, b.d.key));
    for (const h of held) {
      if (left > 0) {
        left--;
        fit(h);
      } else overflow(h.d, true);
    }
    // Only a rank the cut falls in needs its new origins in address order to know which fit.
    const ordered = left > 0 && left < fresh.length ? byKey(fresh) : fresh;
    for (const d of ordered) {
      if (left > 0) {
        left--;
        fit(d);
      } else overflow(d, false);
    }
  }
  return out;
}

/** Address order for many origins: IPv4 keys packed with their index into doubles and sorted natively. */
function byKey(list: DesiredOrigin[]): DesiredOrigin[] {
  const v4: number[] = [];
  const other: DesiredOrigin[] = [];
  for (let i = 0; i < list.length; i++) {
    const k = list[i]!.key;
    if (typeof k === 'number') v4.push(i);
    else other.push(list[i]!);
  }
  let sortedV4: DesiredOrigin[];
  if (list.length < 2 ** 21) {
    const packed = new Float64Array(v4.length);
    for (let j = 0; j < v4.length; j++) packed[j] = (list[v4[j]!]!.key as number) * 2 ** 21 + v4[j]!;
    packed.sort();
    sortedV4 = Array.from(packed, (p) => list[p % 2 ** 21]!);
  } else {
    sortedV4 = v4.map((i) => list[i]!).sort((a, b) => compareKeys(a.key, b.key));
  }
  other.sort((a, b) => compareKeys(a.key, b.key));
  return sortedV4.concat(other);
}
