import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Vendor } from '../../src/model/index.ts';
import { isOwned, planZone, type CurrentMapping, type PlanInput, type RegistryEntry, type ScopeView } from '../../src/reconcile/index.ts';
import { applyPlan, origin, zone } from '../helpers/plan-fixtures.ts';

const POOL = Array.from({ length: 24 }, (_, i) => (i % 3 === 2 ? `2001:db8::${i + 1}` : `192.0.2.${i + 1}`));
const VALUES: Array<[Vendor, string]> = [
  ['aws', 'us-east-1'],
  ['aws', 'eu-west-1'],
  ['gcp', 'us-central1'],
  ['azure', 'westeurope'],
];
const SCOPES = ['c/aws/1/us-east-1', 'c/gcp/p/*'];

const value = fc.constantFrom(...VALUES);
const ipSubset = fc.subarray(POOL);

const state = fc
  .record({
    policy: fc.constantFrom('sync', 'upsert-only', 'create-only' as const),
    adopt: fc.boolean(),
    maxMappings: fc.integer({ min: 0, max: 30 }),
    reserve: fc.integer({ min: 0, max: 4 }),
    deleteAfterMissedScans: fc.integer({ min: 1, max: 3 }),
    goldTag: fc.boolean(),
    scopes: fc.tuple(
      ...SCOPES.map((scope) =>
        fc.record({
          scope: fc.constant(scope),
          status: fc.constantFrom('complete', 'complete', 'partial', 'failed', 'never' as const),
          scannedAt: fc.integer({ min: 0, max: 2_000 }),
          origins: fc.array(fc.record({ ip: fc.constantFrom(...POOL), value, gold: fc.boolean() }), { maxLength: 20 }),
        }),
      ),
    ),
    current: fc.array(fc.record({ ip: fc.constantFrom(...POOL), value }), { maxLength: 24 }),
    owned: ipSubset,
    registryValue: fc.array(value, { minLength: POOL.length, maxLength: POOL.length }),
    pending: ipSubset,
    registryScope: fc.array(fc.constantFrom(...SCOPES, 'gone/aws/1/us-east-1'), { minLength: POOL.length, maxLength: POOL.length }),
    tombs: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: POOL.length, maxLength: POOL.length }),
  })
  .map((s): PlanInput => {
    const scopes: ScopeView[] = s.scopes.map((v) => ({
      scope: v.scope,
      connector: 'c',
      status: v.status,
      scannedAt: v.scannedAt,
      origins: v.origins.map((o) => origin(o.ip, o.value[0], o.value[1], { scope: v.scope, tags: o.gold ? { tier: 'gold' } : {} })),
      skipped: [],
    }));
    const current = new Map<string, CurrentMapping>();
    for (const c of s.current) current.set(c.ip, { ip: c.ip, vendor: c.value[0], region: c.value[1] });
    const registry = new Map<string, RegistryEntry>();
    for (const ip of s.owned) {
      const i = POOL.indexOf(ip);
      const [vendor, region] = s.registryValue[i]!;
      registry.set(ip, { vendor, region, scope: s.registryScope[i]!, planId: 'p0', at: 1, ...(s.pending.includes(ip) ? { pending: true } : {}) });
    }
    return {
      zone: zone({
        policy: s.policy,
        adopt: s.adopt,
        maxMappings: s.maxMappings,
        reserve: s.reserve,
        deleteAfterMissedScans: s.deleteAfterMissedScans,
        priority: s.goldTag ? [{ tags: { tier: 'gold' } }] : [],
      }),
      now: 2_500,
      maxScanAgeMs: 1_000,
      scopes,
      current: [...current.values()],
      registry,
      tombstones: new Map(POOL.flatMap((ip, i) => (s.tombs[i]! > 0 ? [[ip, { misses: s.tombs[i]!, lastScanAt: 100, firstMissedAt: 100 }]] : []))),
    };
  });

describe('planZone properties', () => {
  it('is deterministic whatever the order of scopes and mappings', () => {
    fc.assert(
      fc.property(state, (inp) => {
        const a = planZone(inp);
        const b = planZone({ ...inp, scopes: [...inp.scopes].reverse(), current: [...inp.current].reverse() });
        expect(b).toEqual(a);
      }),
    );
  });

  it('never touches what it does not own, never deletes outside sync or from incomplete scopes', () => {
    fc.assert(
      fc.property(state, (inp) => {
        const plan = planZone(inp);
        const current = new Map(inp.current.map((m) => [m.ip, m]));
        const scopes = new Map(inp.scopes.map((s) => [s.scope, s]));
        for (const d of plan.deletes) {
          expect(inp.zone.policy).toBe('sync');
          expect(current.has(d.ip)).toBe(true);
          if (isOwned(inp.registry.get(d.ip), current.get(d.ip))) {
            const view = scopes.get(inp.registry.get(d.ip)!.scope);
            if (d.reason === 'absent') expect(view?.status).toBe('complete');
          } else {
            // Only a mapping taken over with adopt: true, losing its place to a higher-priority origin.
            expect(inp.zone.adopt).toBe(true);
            expect(d.reason).toBe('over-budget');
          }
        }
        for (const u of plan.upserts) {
          const cur = current.get(u.ip);
          if (cur && !isOwned(inp.registry.get(u.ip), cur)) expect(inp.zone.adopt).toBe(true);
          if (cur) expect(inp.zone.policy).not.toBe('create-only');
          // No write without a difference.
          if (cur) expect(cur.vendor !== u.vendor || cur.region !== u.region).toBe(true);
        }
      }),
    );
  });

  it('applying a plan gives the desired state within budget, and planning again gives no change', () => {
    fc.assert(
      fc.property(state, (inp) => {
        const plan = planZone(inp);
        const after = applyPlan(inp, plan);
        const cap = Math.min(3500, inp.zone.maxMappings);
        const creates = plan.upserts.filter((u) => u.kind === 'create' || u.kind === 'recreate').length;
        expect(after.current.length).toBe(plan.budget.totalAfter);
        if (creates > 0) expect(after.current.length).toBeLessThanOrEqual(cap - inp.zone.reserve);

        // Every desired origin is in place, or the plan says why not.
        const skippedIps = new Set(plan.skipped.map((s) => s.ip));
        const now = new Map(after.current.map((m) => [m.ip, m]));
        for (const view of inp.scopes) {
          for (const o of view.origins) {
            const m = now.get(o.ip);
            const inPlace = m && plan.upserts.every((u) => u.ip !== o.ip || (u.vendor === m.vendor && u.region === m.region));
            expect(inPlace || skippedIps.has(o.ip)).toBeTruthy();
          }
        }

        const again = planZone({ ...inp, ...after });
        expect(again.upserts).toEqual([]);
        expect(again.deletes).toEqual([]);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });
});
