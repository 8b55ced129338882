import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { enqueueReconcile } from '../../src/pipeline/cycle.ts';
import { dryRun } from '../../src/pipeline/dry-run.ts';
import { approvePlan, requestResync } from '../../src/pipeline/requests.ts';
import { waitForZone, type OnceResult } from '../../src/pipeline/run-once.ts';
import { openReadOnly, startRuntime } from '../../src/pipeline/runtime.ts';
import type { StoredPlan } from '../../src/state/store.ts';
import { until } from '../helpers/cli.ts';
import { origins, startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';
import { dumpPrefix, settle } from '../helpers/redis-dump.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const logger = pino({ level: 'silent' });

async function plan(harness: Harness): Promise<OnceResult> {
  const ro = await openReadOnly({ config: harness.config, logger });
  try {
    return await dryRun(ro.ctx, { reason: 'cli' });
  } finally {
    await ro.close();
  }
}

/** Runs a dry run and checks that Redis is exactly as before, but for the dry-run plan under its own key. */
async function planChangesNothing(harness: Harness): Promise<StoredPlan> {
  await settle(harness.rt.redis, harness.prefix);
  const before = await dumpPrefix(harness.rt.redis, harness.prefix);
  const readsBefore = harness.reads();
  const r = await plan(harness);
  expect(r.zones[0]!.result.status).toBe('dry-run');
  const stored = r.zones[0]!.plan!;
  expect(stored).toMatchObject({ status: 'dry-run', dryRun: true });
  const after = await dumpPrefix(harness.rt.redis, harness.prefix);
  const planKey = `${harness.prefix}:state:plan:${stored.id}`;
  // The plan, and the pointer to the zone's newest dry run (only `recover` reads it); both expire in an hour.
  const pointer = `${harness.prefix}:state:zone:${stored.zoneId}:dry-run`;
  // The dry run's reads spend the one Cloudflare budget like any other request: the limiter counts them.
  const limiter = `${harness.prefix}:apply:limiter`;
  expect(Number(after[limiter] ?? 0) - Number(before[limiter] ?? 0)).toBe(harness.reads() - readsBefore);
  delete after[limiter];
  delete before[limiter];
  const added = Object.keys(after).filter((k) => !(k in before) || (k === pointer && before[k] !== after[k]));
  expect(added.sort()).toEqual([planKey, pointer].sort());
  expect(after[pointer]).toBe(stored.id);
  for (const k of [planKey, pointer]) {
    const ttl = await harness.rt.redis.ttl(k);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3600);
  }
  delete after[planKey];
  delete after[pointer];
  delete before[pointer];
  expect(after).toEqual(before);
  return stored;
}

function expectSamePlan(dry: StoredPlan, real: StoredPlan): void {
  expect(dry.upserts).toEqual(real.upserts);
  expect(dry.deletes).toEqual(real.deletes);
  expect(dry.skipped).toEqual(real.skipped);
  expect(dry.guard).toEqual(real.guard);
  expect(dry.budget).toEqual(real.budget);
  expect(dry.digest).toBe(real.digest);
  const misses = (p: StoredPlan) => Object.entries(p.tombstones).map(([ip, t]) => [ip, t.misses]);
  expect(misses(dry)).toEqual(misses(real));
}

describe('dry run (plan, sync --once --dry-run)', () => {
  it('runs none of the pending work (an approved held plan, a resync), writes nothing, changes no state', { timeout: 120_000 }, async () => {
    h = await startHarness({ inventory: origins(100), zones: [zoneYaml({ deleteAfterMissedScans: 1 })] });
    await h.once();
    await h.setInventory(origins(50));
    const held = await h.once();
    expect(held.zones[0]!.result.status).toBe('held');
    const heldPlan = held.zones[0]!.plan!;

    // No daemon from here on: the approval and the resync wait in the queues.
    await h.rt.close();
    h.rt = await startRuntime({ config: h.config, logger, workers: false, schedule: false });
    const approved = await approvePlan(h.rt, heldPlan.id);
    const resync = await requestResync(h.rt, { zone: ZONE, reason: 'resync' });
    if (!approved.ok || !resync.ok) throw new Error('could not queue the pending work');
    h.emu.clearStats();

    const dry = await planChangesNothing(h);
    expect(h.writes()).toBe(0);
    expect(h.emu.mappings(ZONE)).toHaveLength(100);
    // It shows what the approved plan will do.
    expect(dry.deletes).toHaveLength(50);
    expect(dry.guard.held).toBe(true);
    expect(dry.digest).toBe(heldPlan.digest);
    expect(await h.rt.ctx.queues.cycle.getJobState(resync.jobId)).toBe('waiting');
    expect(await h.rt.ctx.queues.reconcile.getJobState(approved.jobId)).toBe('waiting');

    // The pending work is intact: a daemon starting now applies the very plan that was approved.
    await h.rt.close();
    h.rt = await startRuntime({ config: h.config, logger, workers: true, schedule: false });
    await until(async () => (await h!.rt.ctx.state.plans.get(heldPlan.id))?.status === 'applied', { what: 'the approved plan to be applied' });
    expect(h.emu.mappings(ZONE)).toHaveLength(50);
  });

  it('plans what a real run plans, and its fresh scans never count as a miss for tombstones', { timeout: 120_000 }, async () => {
    const theirs = [{ origin_ip: '34.0.0.100', vendor: 'aws', region: 'eu-west-1' }];
    // A daemon runs alongside (the harness's workers); its stalled-job check, which writes a timer key, runs
    // at start and then every lockDuration: long enough here not to fall between two dumps.
    h = await startHarness({ inventory: origins(20), zones: [zoneYaml({ deleteAfterMissedScans: 2 })], emulator: { seed: { [ZONE]: theirs } }, runtime: { lockDurationMs: 600_000 } });
    await h.once();
    // 5 gone, 3 new (one of them held in Cloudflare by someone else), one entry the connector skips.
    await h.setInventory([...origins(15), ...origins(3, 100), { ip: 'not-an-ip', vendor: 'aws', region: 'us-east-1' }]);
    h.emu.clearStats();

    const dry1 = await planChangesNothing(h);
    expect(h.writes()).toBe(0);
    const real1 = (await h.once()).zones[0]!.plan!;
    expectSamePlan(dry1, real1);
    expect(real1.upserts.map((u) => u.kind)).toEqual(['create', 'create']);
    expect(real1.skipped.filter((s) => s.reason === 'tombstone-pending')).toHaveLength(5);
    expect(real1.skipped).toContainEqual(expect.objectContaining({ ip: '34.0.0.100', reason: 'unowned' }));
    expect(real1.skipped).toContainEqual(expect.objectContaining({ reason: 'invalid-ip' }));

    // Second complete scan: the dry run would delete the 5...
    h.emu.clearStats();
    const dry2 = await planChangesNothing(h);
    expect(h.writes()).toBe(0);
    expect(dry2.deletes).toHaveLength(5);
    // ...but it scanned for itself only: a reconcile that does not rescan (as after `approve`) still sees one miss.
    const jobId = await enqueueReconcile(h.rt.ctx, { cycleId: 'c-test', zoneId: ZONE, reason: 'approve' });
    const between = await waitForZone(h.rt, ZONE, jobId, 0, false);
    expect(between.plan!.deletes).toEqual([]);
    expect(between.plan!.skipped.filter((s) => s.reason === 'tombstone-pending')).toHaveLength(5);
    expect(h.emu.mappings(ZONE)).toHaveLength(23);

    const real2 = (await h.once()).zones[0]!.plan!;
    expectSamePlan(dry2, real2);
    expect(h.emu.mappings(ZONE)).toHaveLength(18);
  });

  it('on a zone nobody synced yet, stores neither the scans, the scope lists nor the API family it learnt', async () => {
    h = await startHarness({ inventory: origins(5), emulator: { retireV1: true }, workers: false });
    const dry = await planChangesNothing(h);
    expect(dry.upserts).toHaveLength(5);
    expect(dry.api).toBe('v2');
    expect(h.writes()).toBe(0);
    expect(await h.rt.ctx.state.caches.getFamily(ZONE)).toBeUndefined();
  });
});
