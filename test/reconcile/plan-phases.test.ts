import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Skipped, Vendor } from '../../src/model/index.ts';
import { planZone, type CurrentMapping, type PlanInput, type RegistryEntry, type ScopeView, type Selector } from '../../src/reconcile/index.ts';
import { origin, zone } from '../helpers/plan-fixtures.ts';
import { legacyPlanZone } from './legacy/plan.ts';

/**
 * The planner in phases (one step per rule) against the single function it replaced, on random zones:
 * the same plan, entry for entry and in the same order, and a sampled plan is the head of the full one.
 */
const POOL = Array.from({ length: 40 }, (_, i) => (i % 4 === 3 ? `2001:db8::${(i * 37).toString(16)}` : `${i % 2 ? 198 : 9}.51.${i % 3}.${(i * 7) % 250}`));
const GARBAGE = ['not-an-ip', '010.1.1.1', '::ffff:9.51.0.0', '10.0.0.1', ''];
const VALUES: Array<[Vendor, string]> = [
  ['aws', 'us-east-1'],
  ['aws', 'eu-west-1'],
  ['aws', 'moon-1'],
  ['gcp', 'us-central1'],
  ['gcp', 'global'],
  ['azure', 'westeurope'],
];
const SCOPES = ['c/aws/1/us-east-1', 'c/gcp/p/*', 'd/azure/s/*'];

const value = fc.constantFrom(...VALUES);
const ipSubset = fc.subarray(POOL);

const state = fc
  .record({
    policy: fc.constantFrom('sync', 'sync', 'upsert-only', 'create-only' as const),
    adopt: fc.boolean(),
    maxMappings: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 40 })),
    reserve: fc.integer({ min: 0, max: 4 }),
    deleteAfterMissedScans: fc.integer({ min: 1, max: 3 }),
    deleteGrace: fc.constantFrom(0, 0, 500),
    priority: fc.constantFrom<Selector[]>([], [{ tags: { tier: 'gold' } }], [{ regions: ['eu-*'] }, { vendors: ['gcp'] }]),
    scopes: fc.tuple(
      ...SCOPES.map((scope) =>
        fc.record({
          scope: fc.constant(scope),
          listed: fc.boolean(),
          status: fc.constantFrom('complete', 'complete', 'partial', 'failed', 'never' as const),
          scannedAt: fc.integer({ min: 0, max: 2_000 }),
          origins: fc.array(fc.record({ ip: fc.constantFrom(...POOL), value, gold: fc.boolean() }), { maxLength: 30 }),
          skipped: fc.array(fc.record({ ip: fc.constantFrom(...POOL, ...GARBAGE), reason: fc.constantFrom('not-public', 'invalid-ip', 'unknown-region', 'anycast' as const), d: fc.integer({ min: 0, max: 1 }) }), { maxLength: 6 }),
        }),
      ),
    ),
    current: fc.array(fc.record({ ip: fc.constantFrom(...POOL), value }), { maxLength: 40 }),
    unparsed: fc.array(fc.option(fc.constantFrom(...POOL), { nil: null }), { maxLength: 3 }),
    owned: fc.oneof(ipSubset, fc.constant(POOL)),
    registryValue: fc.array(value, { minLength: POOL.length, maxLength: POOL.length }),
    pending: ipSubset,
    registryScope: fc.array(fc.constantFrom(...SCOPES, 'gone/aws/1/us-east-1'), { minLength: POOL.length, maxLength: POOL.length }),
    tombs: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: POOL.length, maxLength: POOL.length }),
    supported: fc.boolean(),
    unlisted: fc.subarray(['c', 'd', 'gone']),
    recovery: fc.option(fc.record({ reown: fc.boolean(), freezeDeletes: fc.boolean() }), { nil: undefined }),
  })
  .map((s): PlanInput => {
    const scopes: ScopeView[] = s.scopes
      .filter((v) => v.listed)
      .map((v) => ({
        scope: v.scope,
        connector: v.scope.split('/')[0]!,
        status: v.status,
        scannedAt: v.scannedAt,
        origins: v.origins.map((o) => origin(o.ip, o.value[0], o.value[1], { scope: v.scope, tags: o.gold ? { tier: 'gold' } : {} })),
        skipped: v.skipped.map((k): Skipped => ({ ip: k.ip, reason: k.reason, detail: `detail ${k.d}`, scope: v.scope, source: 'x' })),
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
        deleteGrace: s.deleteGrace,
        guard: { maxChangeFraction: 0.3, minEntries: 5 },
        priority: s.priority,
      }),
      now: 2_500,
      maxScanAgeMs: 1_000,
      scopes,
      unlistedConnectors: new Set(s.unlisted),
      current: [...current.values()],
      unparsed: s.unparsed.map((ip) => ({ ip, reason: 'unknown vendor' })),
      registry,
      tombstones: new Map(POOL.flatMap((ip, i) => (s.tombs[i]! > 0 ? [[ip, { misses: s.tombs[i]!, lastScanAt: 100 * s.tombs[i]!, firstMissedAt: 100 }]] : []))),
      ...(s.supported ? { supportedRegions: new Map<Vendor, Set<string>>([['aws', new Set(['us-east-1'])], ['gcp', new Set(['us-central1', 'global'])]]) } : {}),
      ...(s.recovery ? { recovery: s.recovery } : {}),
    };
  });

describe('planZone in phases', () => {
  it('makes the plan the single-function planner made, in the same order', () => {
    fc.assert(
      fc.property(state, (input) => {
        const { totals, ...plan } = planZone(input);
        const legacy = legacyPlanZone(input);
        expect(plan).toEqual(legacy);
        expect(JSON.stringify(plan)).toBe(JSON.stringify(legacy));
        const byReason: Record<string, number> = {};
        for (const s of legacy.skipped) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
        expect(totals).toEqual({ skipped: legacy.skipped.length, skippedByReason: byReason, overflow: legacy.overflow.length });
      }),
      { numRuns: 400 },
    );
  });

  it('keeps the head of each list and the counts of all with a sample', () => {
    fc.assert(
      fc.property(state, fc.integer({ min: 0, max: 6 }), (input, sample) => {
        const full = planZone(input);
        const sampled = planZone({ ...input, sample });
        expect(sampled.skipped).toEqual(full.skipped.slice(0, sample));
        expect(sampled.overflow).toEqual(full.overflow.slice(0, sample));
        expect(sampled.totals).toEqual(full.totals);
        expect({ ...sampled, skipped: [], overflow: [] }).toEqual({ ...full, skipped: [], overflow: [] });
      }),
      { numRuns: 300 },
    );
  });
});

describe('planZone in phases, at a size where the budget cuts through every group', () => {
  it('makes the same plan as before for zones of a few thousand origins', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 0, max: 400 }), fc.constantFrom('sync', 'upsert-only', 'create-only' as const), (seed, maxMappings, policy) => {
        let a = seed;
        const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 2 ** 32);
        const ip = (i: number) => (i % 5 === 4 ? `2001:db8::${i.toString(16)}` : `203.0.${(i >>> 8) & 255}.${i & 255}`);
        const scopes: ScopeView[] = SCOPES.map((scope) => ({ scope, connector: scope.split('/')[0]!, status: 'complete', scannedAt: 2_000, origins: [], skipped: [] }));
        for (let i = 0; i < 1_500; i++) {
          const [vendor, region] = VALUES[Math.floor(rand() * 2) * 3]!; // aws/us-east-1 or gcp/us-central1
          const v = scopes[Math.floor(rand() * scopes.length)]!;
          v.origins.push(origin(ip(Math.floor(rand() * 1_200)), vendor, region, { scope: v.scope, tags: rand() < 0.3 ? { tier: 'gold' } : {} }));
        }
        const current: CurrentMapping[] = [];
        const registry = new Map<string, RegistryEntry>();
        for (let i = 0; i < 300; i++) {
          const at = ip(Math.floor(rand() * 1_400));
          if (current.some((c) => c.ip === at)) continue;
          const [vendor, region] = VALUES[Math.floor(rand() * 2) * 3]!;
          current.push({ ip: at, vendor, region });
          if (rand() < 0.8) registry.set(at, { vendor, region, scope: SCOPES[i % 3]!, planId: 'p0', at: 1 });
        }
        const input: PlanInput = {
          zone: zone({ policy, maxMappings, adopt: seed % 2 === 0, deleteAfterMissedScans: 1, priority: [{ tags: { tier: 'gold' } }] }),
          now: 2_500,
          maxScanAgeMs: 1_000,
          scopes,
          current,
          registry,
          tombstones: new Map(),
        };
        const { totals: _totals, ...plan } = planZone(input);
        expect(JSON.stringify(plan)).toBe(JSON.stringify(legacyPlanZone(input)));
      }),
      { numRuns: 40 },
    );
  });
});
