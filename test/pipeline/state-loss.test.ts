import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recoverZone } from '../../src/pipeline/recover.ts';
import { startRuntime, type Runtime } from '../../src/pipeline/runtime.ts';
import { SCHEDULER_ID } from '../../src/pipeline/scheduler.ts';
import { renderPlan, renderStatus } from '../../src/commands/render.ts';
import { refreshGauges } from '../../src/server/gauges.ts';
import { collectStatus } from '../../src/server/status.ts';
import { startPrivateRedis, type PrivateRedis } from '../../src/state/private-redis.ts';
import { until } from '../helpers/cli.ts';
import { origins, startHarness, ZONE, zoneYaml, type Harness, type InventoryOrigin } from '../helpers/pipeline.ts';
import { uniquePrefix } from '../helpers/redis.ts';

// FLUSHALL would wipe the keys of every other test file: this file has a Redis of its own.
let redis: PrivateRedis;
let admin: Redis;
beforeAll(async () => {
  redis = await startPrivateRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});

let h: Harness | undefined;
const extra: Runtime[] = [];
afterEach(async () => {
  for (const rt of extra.splice(0)) await rt.close(5_000);
  await h?.close();
  h = undefined;
});

function harness(opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  return startHarness({ ...opts, config: { ...opts.config, redis: { url: redis.url, prefix: uniquePrefix('loss') } } });
}

describe('state loss: the schedule heals itself', () => {
  it('two replicas on one Redis: after FLUSHALL exactly one scheduler is recreated within one check period, and cycles run again', async () => {
    h = await harness({ inventory: origins(20), runtime: { schedule: true, checkEveryMs: 200 } });
    const second = await startRuntime({ config: h.config, logger: pino({ level: 'silent' }), workers: true, schedule: true, checkEveryMs: 200 });
    extra.push(second);
    const q = h.rt.ctx.queues.cycle;
    await until(async () => (await h!.rt.ctx.state.zones.get(ZONE)).lastCompleteAt !== undefined, { what: 'the first scheduled cycle' });
    expect(await q.getJobSchedulersCount()).toBe(1);

    const flushedAt = Date.now();
    await admin.flushall();
    await until(async () => (await q.getJobSchedulersCount()) > 0, { timeoutMs: 5_000, pollMs: 20, what: 'the scheduler to come back' });
    const healedMs = Date.now() - flushedAt;
    // Both replicas' checks have run by now: still exactly one scheduler.
    await new Promise((r) => setTimeout(r, 600));
    expect(await q.getJobSchedulersCount()).toBe(1);
    expect(Number((await q.getJobScheduler(SCHEDULER_ID))?.every)).toBe(h.config.schedule.reconcileEveryMs);
    // Recreated once, by one replica: the other found it in place (or the lock taken).
    const recreated = (await h.rt.ctx.state.errors.recent(100)).filter((e) => e.where === 'schedule');
    expect(recreated).toHaveLength(1);
    // And it runs: a cycle reconciles the zone again in the flushed Redis.
    await until(async () => (await h!.rt.ctx.state.zones.get(ZONE)).lastCompleteAt !== undefined, { what: 'a cycle after the flush' });
    expect(healedMs).toBeLessThan(2_000);
    const loss = await h.rt.ctx.epoch.loss();
    expect(loss).toMatchObject({ kind: 'detected' });
    expect(loss!.detectedAt).toBeGreaterThanOrEqual(flushedAt);
  });
});

/** The 1,400 written before the loss; after it, 200 of them are gone from the inventory and 100 moved region. */
function afterChange(): InventoryOrigin[] {
  const before = origins(1400);
  const moved = before.slice(200, 300).map((o) => ({ ...o, region: o.vendor === 'aws' ? 'us-west-2' : 'europe-west1' }));
  return [...moved, ...before.slice(300), ...origins(800, 1400)];
}

describe('state loss: detection and ownership recovery', () => {
  it('2,000 desired, 1,400 written before FLUSHALL: 1,100 re-owned, 300 listed, claimed after review, deletes frozen then released', async () => {
    h = await harness({ inventory: origins(1400) });
    expect((await h.once()).zones[0]!.result.status).toBe('applied');
    expect((await h.rt.ctx.state.registry.get(ZONE)).size).toBe(1400);

    await admin.flushall();
    await h.setInventory(afterChange());

    // Review first: a dry run after the loss shows what the rule does, and writes nothing.
    h.emu.clearStats();
    const dry = (await h.once({ dryRun: true })).zones[0]!.plan!;
    expect(h.writes()).toBe(0);
    expect(dry.recovery).toMatchObject({ reowned: 1100 });
    expect(dry.recovery!.possiblyOurs).toHaveLength(300);
    expect(dry.recovery!.possiblyOurs.filter((p) => p.wanted)).toHaveLength(100);
    expect(dry.upserts.filter((u) => u.kind === 'create')).toHaveLength(800);
    expect(renderPlan(h.config, dry)).toContain('state loss recovery: 1100 identical mapping(s) re-owned, 300 possibly ours from before the loss');

    const loss = await h.rt.ctx.epoch.loss();
    expect(loss).toMatchObject({ kind: 'detected' });
    const report = await collectStatus(h.config, h.rt.ctx.state, h.rt.ctx.queues);
    expect(report.stateLoss?.detectedAt).toBe(loss!.detectedAt);
    expect(report.zones[0]!.recovery).toMatchObject({ kind: 'detected', deletesFrozen: true });
    expect(renderStatus(h.config, report)).toMatch(/STATE LOSS detected .* ago \(\d{4}-/);
    expect(report.errors.some((e) => e.where === 'state' && /lost the daemon's state/.test(e.message))).toBe(true);
    await refreshGauges(h.rt);
    expect(await h.rt.ctx.metrics.registry.getSingleMetricAsString('ors_state_loss_detected_timestamp_seconds')).toContain(`ors_state_loss_detected_timestamp_seconds{kind="detected"} ${loss!.detectedAt / 1000}`);

    // recover --dry-run prints what it would claim and writes nothing.
    const preview = await recoverZone(h.rt.ctx, ZONE, { dryRun: true });
    expect(preview.claimed).toHaveLength(300);
    expect((await h.rt.ctx.state.registry.get(ZONE)).size).toBe(0);
    const claimed = await recoverZone(h.rt.ctx, ZONE);
    expect(claimed.claimed).toHaveLength(300);
    expect((await h.rt.ctx.state.registry.get(ZONE)).size).toBe(300);

    // First real reconcile after the loss: the 200 claimed mappings nobody wants are not deleted yet.
    h.emu.clearStats();
    const first = (await h.once()).zones[0]!;
    expect(first.result.status).toBe('applied');
    expect(first.plan!.deletes).toHaveLength(0);
    expect(first.plan!.recovery!.frozenDeletes).toBe(200);
    // The stored plan lists the first 100 skipped origins; its totals count all of them.
    expect(first.plan!.totals.skippedByReason['state-loss']).toBe(200);
    expect(first.plan!.skipped.filter((s) => s.reason === 'state-loss')).toHaveLength(100);
    expect(first.plan!.upserts.filter((u) => u.kind === 'update')).toHaveLength(100);
    expect(h.emu.mappings(ZONE)).toHaveLength(2200);
    // That reconcile completed: the zone has recovered, deletes are released.
    expect(await h.rt.ctx.epoch.recovery(ZONE)).toBeNull();
    expect(renderStatus(h.config, await collectStatus(h.config, h.rt.ctx.state, h.rt.ctx.queues))).toContain('every zone has recovered');

    const second = (await h.once()).zones[0]!;
    expect(second.plan!.deletes).toHaveLength(200);
    expect(second.result.status).toBe('applied');
    expect(h.emu.mappings(ZONE)).toHaveLength(2000);
    expect((await h.rt.ctx.state.registry.get(ZONE)).size).toBe(2000);
  });

  it('a loss no process witnessed: identical mappings with an empty registry are a suspected loss, listed but not re-owned', async () => {
    const seed = origins(50).map((o) => ({ origin_ip: o.ip, vendor: o.vendor, region: o.region }));
    h = await harness({ inventory: origins(60), emulator: { seed: { [ZONE]: seed } } });
    const r = (await h.once()).zones[0]!;
    expect(await h.rt.ctx.epoch.loss()).toMatchObject({ kind: 'suspected' });
    expect(r.plan!.recovery).toMatchObject({ reowned: 0 });
    expect(r.plan!.recovery!.identical).toHaveLength(50);
    expect(r.plan!.recovery!.possiblyOurs).toHaveLength(50);
    expect(r.plan!.skipped.filter((s) => s.reason === 'unowned')).toHaveLength(50);
    expect((await h.rt.ctx.state.registry.get(ZONE)).size).toBe(10);
    const report = await collectStatus(h.config, h.rt.ctx.state, h.rt.ctx.queues);
    expect(report.stateLoss).toMatchObject({ kind: 'suspected' });
    expect(renderStatus(h.config, report)).toContain('STATE LOSS suspected');
    // After review: claimed, they are managed from the next reconcile on.
    expect((await recoverZone(h.rt.ctx, ZONE)).claimed).toHaveLength(50);
    await h.once();
    expect(await h.rt.ctx.epoch.recovery(ZONE)).toBeNull();
    expect((await h.rt.ctx.state.registry.get(ZONE)).size).toBe(60);
  });

  it('a genuine first start (empty zone) and an upgrade (registry without an epoch) are not losses', async () => {
    h = await harness({ inventory: origins(30), zones: [zoneYaml()] });
    await h.once();
    expect(await h.rt.ctx.epoch.loss()).toBeNull();
    expect(await h.rt.ctx.epoch.recovery(ZONE)).toBeNull();
    // A daemon of a version without epochs: the state is there, only the epoch is missing.
    await admin.del(`${h.config.redis.prefix}:state:epoch`);
    const upgraded = await startRuntime({ config: h.config, logger: pino({ level: 'silent' }), workers: true, schedule: false });
    await h.rt.close(5_000);
    h.rt = upgraded;
    const r = (await h.once()).zones[0]!;
    expect(r.result.status).toBe('noop');
    expect(r.plan!.recovery).toBeUndefined();
    expect(await h.rt.ctx.epoch.loss()).toBeNull();
  });
});
