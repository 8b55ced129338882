import { canonicalIp, compareIps } from '../../../src/model/index.ts';
import { buildDesired, type DesiredOrigin } from './desired.ts';
import { basisDigest, changeDigest, zoneBasis } from '../../../src/reconcile/digest.ts';
import { guardVerdict } from '../../../src/reconcile/guard.ts';
import { isOwned } from '../../../src/reconcile/ownership.ts';
import { recoveryVerdict, type PossiblyOurs } from '../../../src/reconcile/recovery.ts';
import type { CurrentMapping, Delete, DeleteReason, Drift, Plan, PlanInput, PlanSkip, Tombstone, Upsert } from '../../../src/reconcile/types.ts';
import { MAX_MAPPINGS_PER_ZONE } from '../../../src/cloudflare/limits.ts';

/** Kept for the planner's callers; the limit itself lives with the Cloudflare client. */
export const CLOUDFLARE_CAP = MAX_MAPPINGS_PER_ZONE;

interface Slot {
  origin: DesiredOrigin;
  /** Already in the zone (kept, updated, repaired or adopted). */
  existing: boolean;
  /** May lose its place to a higher-priority origin, and be deleted (an existing mapping under sync). */
  evictable: boolean;
  upsert?: Upsert;
  remember?: Plan['remember'][number];
  /** An unowned mapping this plan takes over (adopt: true). */
  adopt?: boolean;
}

/**
 * Plans one zone: desired (from snapshots) against current (Cloudflare's list), under the ownership
 * registry, tombstones, the zone's policy, its capacity budget and the mass-change guard. Pure: the
 * same input always gives the same plan.
 */
/**
 * The planner as it was before it was split into one step per rule and made to scale (kept as the
 * reference the equivalence test compares the new one with, on random inputs).
 */
export function legacyPlanZone(input: PlanInput): Omit<Plan, 'totals'> {
  const { zone, now } = input;
  const { desired, skipped } = buildDesired(input);
  const current = new Map<string, CurrentMapping>();
  for (const m of input.current) current.set(m.ip, m);
  const owned = (ip: string) => isOwned(input.registry.get(ip), current.get(ip));

  const drift: Drift[] = [];
  const remember: Plan['remember'] = [];
  const slots: Slot[] = [];
  const adoptable = new Set<string>();
  const identical: string[] = [];

  const unreadable = new Map((input.unparsed ?? []).flatMap((u) => (u.ip ? [[u.ip, u.reason] as const] : [])));
  for (const ip of [...desired.keys()].sort(compareIps)) {
    const d = desired.get(ip)!;
    if (unreadable.has(ip)) {
      skipped.push({ ip, reason: 'unowned', detail: `the zone holds an entry for this IP that this daemon cannot read (${unreadable.get(ip)}); left alone`, scope: d.scope });
      continue;
    }
    const cur = current.get(ip);
    const own = owned(ip);
    const entry = input.registry.get(ip);
    const value = { vendor: d.vendor, region: d.region };
    const upsert = (kind: Upsert['kind'], from?: CurrentMapping): Upsert => ({
      ip,
      ...value,
      kind,
      ...(from ? { from: { vendor: from.vendor, region: from.region } } : {}),
      scope: d.scope,
      source: d.source,
    });

    if (!cur) {
      const recreate = own && entry && !entry.pending;
      if (recreate) drift.push({ ip, expected: { vendor: entry.vendor, region: entry.region }, actual: null, action: 'recreate' });
      slots.push({ origin: d, existing: false, evictable: false, upsert: upsert(recreate ? 'recreate' : 'create') });
      continue;
    }
    const same = cur.vendor === d.vendor && cur.region === d.region;
    if (own) {
      const changedBehindUs = !!entry && !entry.pending && (entry.vendor !== cur.vendor || entry.region !== cur.region);
      if (same) {
        // Someone set what we want, or we wrote it: no request, but remember the value as ours.
        const refresh = changedBehindUs || entry?.pending || entry?.scope !== d.scope;
        slots.push({ origin: d, existing: true, evictable: zone.policy === 'sync', ...(refresh ? { remember: { ip, entry: { ...value, scope: d.scope } } } : {}) });
        continue;
      }
      if (changedBehindUs) {
        drift.push({
          ip,
          expected: { vendor: entry.vendor, region: entry.region },
          actual: { vendor: cur.vendor, region: cur.region },
          action: zone.policy === 'create-only' ? 'report' : 'repair',
        });
      }
      if (zone.policy === 'create-only') {
        skipped.push({ ip, reason: 'policy', detail: `create-only: leaves ${cur.vendor}/${cur.region}, wanted ${d.vendor}/${d.region}`, scope: d.scope });
        slots.push({ origin: d, existing: true, evictable: false });
        continue;
      }
      slots.push({ origin: d, existing: true, evictable: zone.policy === 'sync', upsert: upsert(changedBehindUs ? 'repair' : 'update', cur) });
      continue;
    }
    // After a state loss, a mapping identical to what we want is what we would write: ours again.
    if (input.recovery && recoveryVerdict(value, cur) === 'identical') {
      identical.push(ip);
      if (input.recovery.reown) {
        adoptable.add(ip);
        slots.push({ origin: d, existing: true, evictable: zone.policy === 'sync', remember: { ip, entry: { ...value, scope: d.scope } } });
        continue;
      }
    }
    // Unowned: someone else's mapping.
    if (!zone.adopt) {
      skipped.push({
        ip,
        reason: 'unowned',
        detail: same
          ? `already mapped to ${cur.vendor}/${cur.region} by someone else (adopt: false)`
          : `mapped to ${cur.vendor}/${cur.region} by someone else; wanted ${d.vendor}/${d.region} (adopt: false)`,
        scope: d.scope,
      });
      continue;
    }
    // Taken over, it is ours like any other: under sync it competes for the budget (and may be deleted).
    if (same) {
      adoptable.add(ip);
      slots.push({ origin: d, existing: true, evictable: zone.policy === 'sync', adopt: true, remember: { ip, entry: { ...value, scope: d.scope } } });
      continue;
    }
    if (zone.policy === 'create-only') {
      skipped.push({ ip, reason: 'policy', detail: `create-only: will not take over ${cur.vendor}/${cur.region} (wanted ${d.vendor}/${d.region})`, scope: d.scope });
      continue;
    }
    adoptable.add(ip);
    slots.push({ origin: d, existing: true, evictable: zone.policy === 'sync', adopt: true, upsert: upsert('adopt', cur) });
  }

  // Managed mappings nobody wants any more: deletable only where absence is known (complete, fresh scan).
  const scopes = new Map(input.scopes.map((s) => [s.scope, s]));
  const deletes: Delete[] = [];
  const tombstones: Record<string, Tombstone> = {};
  let staying = 0;
  let frozenDeletes = 0;
  for (const m of [...current.values()].sort((a, b) => compareIps(a.ip, b.ip))) {
    if (desired.has(m.ip) || !owned(m.ip)) continue;
    const entry = input.registry.get(m.ip)!;
    const view = scopes.get(entry.scope);
    let reason: DeleteReason;
    let scanAt: number;
    const connector = entry.scope.split('/')[0] ?? '';
    if (!view && input.unlistedConnectors?.has(connector)) {
      skipped.push({ ip: m.ip, reason: 'scope-incomplete', detail: `kept: the scopes of connector ${connector} could not be listed`, scope: entry.scope });
      const prev = input.tombstones.get(m.ip);
      if (prev) tombstones[m.ip] = prev;
      staying++;
      continue;
    }
    if (!view) {
      reason = 'deselected';
      scanAt = now; // no scan will ever come: each reconcile counts
    } else if (view.status === 'complete' && now - view.scannedAt <= input.maxScanAgeMs) {
      reason = 'absent';
      scanAt = view.scannedAt;
    } else {
      const why = view.status === 'complete' ? `last complete scan is ${Math.round((now - view.scannedAt) / 1000)}s old` : `latest scan ${view.status}${view.error ? `: ${view.error}` : ''}`;
      skipped.push({ ip: m.ip, reason: 'scope-incomplete', detail: `kept: ${entry.scope} ${why}`, scope: entry.scope });
      const prev = input.tombstones.get(m.ip);
      if (prev) tombstones[m.ip] = prev;
      staying++;
      continue;
    }
    const prev = input.tombstones.get(m.ip);
    const t: Tombstone = prev ?? { misses: 0, lastScanAt: 0, firstMissedAt: scanAt };
    // firstMissedAt is the time of the first scan that missed the IP: the misses span from it to lastScanAt.
    const next = scanAt > t.lastScanAt ? { misses: t.misses + 1, lastScanAt: scanAt, firstMissedAt: t.misses === 0 ? scanAt : t.firstMissedAt } : t;
    tombstones[m.ip] = next;
    const what = reason === 'deselected' ? `${entry.scope} is no longer selected or listed` : `absent from ${entry.scope}`;
    const span = next.lastScanAt - next.firstMissedAt;
    if (next.misses < zone.deleteAfterMissedScans || span < zone.deleteGrace) {
      const time = span < zone.deleteGrace ? `, over ${Math.round(span / 1000)}s of the ${Math.round(zone.deleteGrace / 1000)}s deleteGrace` : '';
      skipped.push({ ip: m.ip, reason: 'tombstone-pending', detail: `${what} in ${next.misses} of ${zone.deleteAfterMissedScans} consecutive complete scans${time}`, scope: entry.scope });
      staying++;
    } else if (zone.policy !== 'sync') {
      skipped.push({ ip: m.ip, reason: 'policy', detail: `${zone.policy}: ${what}, would be deleted under sync`, scope: entry.scope });
      staying++;
    } else if (input.recovery?.freezeDeletes) {
      skipped.push({ ip: m.ip, reason: 'state-loss', detail: `${what}; deletes are frozen until the zone's first complete reconcile after the state loss`, scope: entry.scope });
      staying++;
      frozenDeletes++;
    } else {
      deletes.push({ ip: m.ip, vendor: m.vendor, region: m.region, reason, scope: entry.scope });
    }
  }

  // Capacity: everything that stays occupies a slot; desired origins take what is left in a fixed order.
  const cap = Math.min(input.cloudflareCap ?? CLOUDFLARE_CAP, zone.maxMappings);
  let unmanaged = 0;
  for (const m of current.values()) if (!owned(m.ip) && !adoptable.has(m.ip)) unmanaged++;
  unmanaged += input.unparsed?.length ?? 0;
  const available = Math.max(0, cap - unmanaged - zone.reserve);
  const slotsForDesired = Math.max(0, available - staying);
  slots.sort(
    (a, b) =>
      Number(a.evictable || !a.existing) - Number(b.evictable || !b.existing) || // mappings we may not remove come first
      a.origin.rank - b.origin.rank ||
      Number(!a.existing) - Number(!b.existing) || // then what is already there, to avoid churn
      compareIps(a.origin.ip, b.origin.ip),
  );
  const upserts: Upsert[] = [];
  const overflow: Plan['overflow'] = [];
  let fitted = 0;
  for (const s of slots) {
    const fits = fitted < slotsForDesired || (s.existing && !s.evictable);
    if (fits) {
      fitted++;
      if (s.upsert) upserts.push(s.upsert);
      if (s.remember) remember.push(s.remember);
      continue;
    }
    const o = s.origin;
    overflow.push({ ip: o.ip, vendor: o.vendor, region: o.region, scope: o.scope });
    skipped.push({ ip: o.ip, reason: 'over-budget', detail: `no room: ${available} mappings available to this daemon (rank ${o.rank})`, scope: o.scope });
    if (s.existing && input.recovery?.freezeDeletes) {
      skipped.push({ ip: o.ip, reason: 'state-loss', detail: 'over budget; deletes are frozen until the zone\'s first complete reconcile after the state loss', scope: o.scope });
      frozenDeletes++;
    } else if (s.existing) {
      const cur = current.get(o.ip)!;
      deletes.push({ ip: o.ip, vendor: cur.vendor, region: cur.region, reason: 'over-budget', scope: o.scope });
    }
  }

  // Registry entries with nothing behind them: our write never landed, or the mapping is gone and unwanted.
  const forget: string[] = [];
  for (const [ip, entry] of input.registry) {
    const cur = current.get(ip);
    if (!isOwned(entry, cur) || (!cur && !desired.has(ip))) forget.push(ip);
  }

  let recovery: Plan['recovery'];
  if (input.recovery) {
    // Everything still unowned after the rule above: listed for review, never touched.
    const possiblyOurs: PossiblyOurs[] = [];
    for (const m of [...current.values()].sort((a, b) => compareIps(a.ip, b.ip))) {
      if (owned(m.ip) || adoptable.has(m.ip)) continue;
      const d = desired.get(m.ip);
      possiblyOurs.push({ ip: m.ip, vendor: m.vendor, region: m.region, ...(d ? { wanted: { vendor: d.vendor, region: d.region } } : {}) });
    }
    identical.sort(compareIps);
    recovery = { identical, reowned: input.recovery.reown ? identical.length : 0, possiblyOurs, frozenDeletes };
  }

  upserts.sort((a, b) => compareIps(a.ip, b.ip));
  deletes.sort((a, b) => compareIps(a.ip, b.ip));
  overflow.sort((a, b) => compareIps(a.ip, b.ip));
  forget.sort(compareIps);
  skipped.sort((a, b) => compareIps(safeIp(a.ip), safeIp(b.ip)) || cmp(a.reason, b.reason) || cmp(a.ip, b.ip));

  const managedBefore = [...current.keys()].filter(owned).length;
  const managedAfter = fitted + staying;
  remember.sort((a, b) => compareIps(a.ip, b.ip));
  const changes = upserts.filter((u) => u.kind === 'update' || u.kind === 'repair' || u.kind === 'adopt').length;

  return {
    zoneId: zone.id,
    createdAt: now,
    upserts,
    deletes,
    skipped: dedupeSkips(skipped),
    drift,
    overflow,
    budget: {
      cap,
      unmanaged,
      reserve: zone.reserve,
      available,
      managedBefore,
      managedAfter,
      totalAfter: managedAfter + unmanaged,
      desired: desired.size,
      overflow: overflow.length,
      left: available - managedAfter,
    },
    guard: guardVerdict(zone, current.size, deletes.length, changes),
    remember,
    forget,
    tombstones,
    digest: changeDigest(upserts, deletes),
    basis: { zone: zoneBasis(input.current, input.unparsed), desired: basisDigest(desired.values()) },
    scopes: input.scopes
      .map((s) => ({ scope: s.scope, status: s.status, scannedAt: s.scannedAt, origins: s.origins.length, ...(s.error ? { error: s.error } : {}) }))
      .sort((a, b) => cmp(a.scope, b.scope)),
    ...(recovery ? { recovery } : {}),
  };
}

/** Skipped addresses from connectors may be garbage: sort those after every real IPv4 address. */
function safeIp(ip: string): string {
  const c = canonicalIp(ip);
  return c.ok ? c.ip : '255.255.255.255';
}

function dedupeSkips(list: PlanSkip[]): PlanSkip[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    const k = `${s.ip}|${s.reason}|${s.scope ?? ''}|${s.detail}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

