import type { Origin, Vendor } from '../../src/model/index.ts';
import type { CurrentMapping, Plan, PlanInput, RegistryEntry, ScopeView, Tombstone, ZoneSettings } from '../../src/reconcile/index.ts';

export const SCOPE = 'inv/mixed/file/*';

export function zone(over: Partial<ZoneSettings> = {}): ZoneSettings {
  return {
    id: 'z1',
    policy: 'sync',
    adopt: false,
    maxMappings: 3500,
    reserve: 0,
    deleteAfterMissedScans: 2,
    deleteGrace: 0,
    guard: { maxChangeFraction: 1, minEntries: 10 },
    select: {},
    priority: [],
    ...over,
  };
}

export function origin(ip: string, vendor: Vendor = 'aws', region = 'us-east-1', over: Partial<Origin> = {}): Origin {
  return { ip, vendor, region, scope: SCOPE, source: `test ${ip}`, tags: {}, ...over };
}

export function view(origins: Origin[], over: Partial<ScopeView> = {}): ScopeView {
  const scope = over.scope ?? origins[0]?.scope ?? SCOPE;
  return { scope, connector: 'inv', status: 'complete', scannedAt: 1_000, origins, skipped: [], ...over };
}

export function input(over: Partial<PlanInput> & { zone?: ZoneSettings }): PlanInput {
  const scopes = over.scopes ?? [];
  return {
    zone: zone(),
    now: 2_000,
    maxScanAgeMs: 60_000,
    scopes,
    current: [],
    registry: new Map(),
    tombstones: new Map(),
    ...over,
  };
}

export function mapping(ip: string, vendor: Vendor = 'aws', region = 'us-east-1'): CurrentMapping {
  return { ip, vendor, region };
}

export function owned(entries: Array<[string, Vendor, string]>, scope = SCOPE): Map<string, RegistryEntry> {
  return new Map(entries.map(([ip, vendor, region]) => [ip, { vendor, region, scope, planId: 'p0', at: 1 }]));
}

/** What Cloudflare and the registry look like after every write of a plan succeeded. */
export function applyPlan(
  state: { current: CurrentMapping[]; registry: ReadonlyMap<string, RegistryEntry> },
  plan: Plan,
): { current: CurrentMapping[]; registry: Map<string, RegistryEntry>; tombstones: Map<string, Tombstone> } {
  const current = new Map(state.current.map((m) => [m.ip, m]));
  const registry = new Map(state.registry);
  for (const ip of plan.forget) registry.delete(ip);
  for (const r of plan.remember) registry.set(r.ip, { ...r.entry, planId: 'p', at: plan.createdAt });
  for (const d of plan.deletes) {
    current.delete(d.ip);
    registry.delete(d.ip);
  }
  for (const u of plan.upserts) {
    current.set(u.ip, { ip: u.ip, vendor: u.vendor, region: u.region });
    registry.set(u.ip, { vendor: u.vendor, region: u.region, scope: u.scope, planId: 'p', at: plan.createdAt });
  }
  return { current: [...current.values()], registry, tombstones: new Map(Object.entries(plan.tombstones)) };
}
