import { MAX_MAPPINGS_PER_ZONE } from '../cloudflare/limits.ts';
import { budgetRoom, fitBudget } from './budget.ts';
import { classify, readZone, staleEntries } from './classify.ts';
import { buildDesired, type Desired } from './desired.ts';
import { basisDigestOf, changeDigest, zoneBasis } from './digest.ts';
import { guardVerdict } from './guard.ts';
import { sortByIp, cmp } from './ip-order.ts';
import { policyOnDeletes, policyOnHeld } from './policy.ts';
import { freezeDeletes, recoveryReport } from './recovery.ts';
import { SkipList } from './skips.ts';
import { countMisses, toDelete } from './tombstones.ts';
import type { Delete, Plan, PlanInput } from './types.ts';

/** Kept for the planner's callers; the limit itself lives with the Cloudflare client. */
export const CLOUDFLARE_CAP = MAX_MAPPINGS_PER_ZONE;

/** Skipped and overflow entries a stored plan lists (the first, in plan order); counts cover all of them. */
export const PLAN_SAMPLE = 100;

/**
 * Plans one zone: desired (from snapshots) against current (Cloudflare's list), one step per rule of
 * the pipeline (docs/design.md, "Rules the pipeline keeps"). Pure: the same input always gives the
 * same plan. With `input.sample`, the skipped and overflow lists keep their first entries and counts of
 * all (what a stored plan needs); without it, every entry.
 */
export function planZone(input: PlanInput): Plan {
  const { zone, now } = input;
  const skipped = new SkipList(input.sample);
  const listed = readZone(input);
  const { current, owned } = listed;

  // Rule 9: the desired set, regions validated, one claim per address.
  const desired = buildDesired(input, skipped);
  // Rule 2: what the zone holds for each desired address, and whose it is.
  const classified = classify(input, listed, desired, skipped);
  // Rule 3: the policy filters the updates and take-overs.
  policyOnHeld(zone, classified, skipped);
  // Rule 1: managed mappings nobody wants any more, deletable only after their tombstone.
  const misses = countMisses(input, listed, desired, skipped);
  const allowed = policyOnDeletes(zone, misses.retiring, skipped);
  const unfrozen = freezeDeletes(input.recovery, allowed.kept, skipped);
  const staying = misses.staying + allowed.held + unfrozen.frozen;

  // Rule 4: the capacity budget and the priority order.
  const room = budgetRoom(input, listed, classified.adoptable, staying);
  const fitted = fitBudget(
    { held: classified.held, desired, decided: classified.decided, recreate: classified.recreate },
    room,
    current,
    !!input.recovery?.freezeDeletes,
    skipped,
    input.sample,
  );
  const deletes: Delete[] = sortByIp([...unfrozen.kept.map(toDelete), ...fitted.deletes], (d) => d.ip);
  const upserts = sortByIp(fitted.upserts, (u) => u.ip);
  // Rule 2 again: registry entries with nothing behind them.
  const forget = staleEntries(input.registry, listed, desired);

  const frozenDeletes = unfrozen.frozen + fitted.frozenDeletes;
  const recovery = input.recovery ? recoveryReport(input.recovery, listed, desired, classified.adoptable, classified.identical, frozenDeletes) : undefined;

  let managedBefore = 0;
  for (const ip of current.keys()) if (owned(ip)) managedBefore++;
  const managedAfter = fitted.fitted + staying;
  const { cap, unmanaged, available } = room;
  const changes = upserts.filter((u) => u.kind === 'update' || u.kind === 'repair' || u.kind === 'adopt').length;
  const overflowTotal = fitted.overflow.total;

  return {
    zoneId: zone.id,
    createdAt: now,
    upserts,
    deletes,
    skipped: skipped.list(),
    drift: sortByIp(classified.drift, (d) => d.ip),
    overflow: fitted.overflow.list(),
    totals: { skipped: skipped.total, skippedByReason: skipped.byReason, overflow: overflowTotal },
    budget: {
      cap,
      unmanaged,
      reserve: zone.reserve,
      available,
      managedBefore,
      managedAfter,
      totalAfter: managedAfter + unmanaged,
      desired: desired.size,
      overflow: overflowTotal,
      left: available - managedAfter,
    },
    // Rule 5: the mass-change guard.
    guard: guardVerdict(zone, current.size, deletes.length, changes),
    remember: sortByIp(fitted.remember, (r) => r.ip),
    forget: sortByIp(forget, (ip) => ip),
    tombstones: misses.tombstones,
    digest: changeDigest(upserts, deletes),
    basis: { zone: zoneBasis(input.current, input.unparsed), desired: desiredBasis(desired) },
    scopes: input.scopes
      .map((s) => ({ scope: s.scope, status: s.status, scannedAt: s.scannedAt, origins: s.origins.length, ...(s.error ? { error: s.error } : {}) }))
      .sort((a, b) => cmp(a.scope, b.scope)),
    ...(recovery ? { recovery } : {}),
  };
}

function desiredBasis(desired: Desired): string {
  // Read in place, not gathered into an array: a million origins' array is 8 MB more at the plan's peak.
  return basisDigestOf(
    desired.size,
    (i) => desired.origin(i),
    (i) => desired.quad(i),
  );
}
