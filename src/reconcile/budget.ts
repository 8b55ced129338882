import { upsert, type Held, type Zone } from './classify.ts';
import type { Desired } from './desired.ts';
import { FirstInOrder } from './first-in-order.ts';
import { compareKeys, type IpKey } from './ip-order.ts';
import type { SkipList } from './skips.ts';
import { MAX_MAPPINGS_PER_ZONE } from '../cloudflare/limits.ts';
import type { Origin } from '../model/index.ts';
import type { CurrentMapping, Delete, Plan, PlanInput, Upsert } from './types.ts';

export interface Candidates {
  /** Desired origins the zone holds. */
  held: Held[];
  /** Every desired origin: those not `decided` by an earlier step are new to the zone (created, or recreated when in `recreate`). */
  desired: Desired;
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
  const { desired } = c;
  const fitHeld = (h: Held) => {
    out.fitted++;
    if (h.upsert) out.upserts.push(h.upsert);
    if (h.remember) out.remember.push(h.remember);
  };
  const fitFresh = (i: number) => {
    out.fitted++;
    const d = desired.at(i);
    out.upserts.push(upsert(d, c.recreate.has(d.origin.ip) ? 'recreate' : 'create'));
  };
  // Fields, not a DesiredOrigin: most of a million origins end here, and need no object made for them.
  const overflow = (o: Origin, rank: number, key: IpKey, existing: boolean) => {
    if (out.overflow.take(key, '', o.ip)) out.overflow.keep({ ip: o.ip, vendor: o.vendor, region: o.region, scope: o.scope });
    if (skipped.take(o.ip, 'over-budget', key)) skipped.keep(o.ip, 'over-budget', `no room: ${room.available} mappings available to this daemon (rank ${rank})`, o.scope);
    if (!existing) return;
    if (freeze) {
      skipped.add(o.ip, 'state-loss', "over budget; deletes are frozen until the zone's first complete reconcile after the state loss", o.scope, key);
      out.frozenDeletes++;
      return;
    }
    const cur = current.get(o.ip)!;
    out.deletes.push({ ip: o.ip, vendor: cur.vendor, region: cur.region, reason: 'over-budget', scope: o.scope });
  };

  // Existing mappings that may not be removed always keep their place.
  const heldByRank = new Map<number, Held[]>();
  for (const h of c.held) {
    if (!h.evictable) fitHeld(h);
    else if (heldByRank.has(h.d.rank)) heldByRank.get(h.d.rank)!.push(h);
    else heldByRank.set(h.d.rank, [h]);
  }
  // The new origins by rank, read from the desired set a rank at a time (a pass per rank over typed
  // arrays is cheaper than a list of a million indexes).
  const decided = new Uint8Array(desired.size);
  for (const ip of c.decided) {
    const i = desired.indexOf(ip);
    if (i >= 0) decided[i] = 1;
  }
  const freshCount: number[] = [];
  for (let i = 0; i < desired.size; i++) {
    if (decided[i]) continue;
    const r = desired.rank(i);
    freshCount[r] = (freshCount[r] ?? 0) + 1;
  }
  const ranks = new Set(heldByRank.keys());
  freshCount.forEach((_, r) => ranks.add(r));

  let left = Math.max(0, room.slots - out.fitted);
  for (const rank of [...ranks].sort((a, b) => a - b)) {
    const held = heldByRank.get(rank) ?? [];
    held.sort((a, b) => compareKeys(a.d.key, b.d.key));
    for (const h of held) {
      if (left > 0) {
        left--;
        fitHeld(h);
      } else overflow(h.d.origin, h.d.rank, h.d.key, true);
    }
    const count = freshCount[rank] ?? 0;
    if (count === 0) continue;
    // Only a rank the cut falls in needs its new origins in address order to know which fit.
    if (left > 0 && left < count) {
      const group = new Uint32Array(count);
      for (let i = 0, k = 0; i < desired.size; i++) if (!decided[i] && desired.rank(i) === rank) group[k++] = i;
      const ordered = desired.byAddress(group);
      for (let j = 0; j < ordered.length; j++) {
        const i = ordered[j]!;
        if (left > 0) {
          left--;
          fitFresh(i);
        } else overflow(desired.origin(i), rank, desired.key(i), false);
      }
      continue;
    }
    for (let i = 0; i < desired.size; i++) {
      if (decided[i] || desired.rank(i) !== rank) continue;
      if (left > 0) {
        left--;
        fitFresh(i);
      } else overflow(desired.origin(i), rank, desired.key(i), false);
    }
  }
  return out;
}
