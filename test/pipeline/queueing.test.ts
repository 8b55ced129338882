import { afterEach, describe, expect, it } from 'vitest';
import { approvePlan, requestResync } from '../../src/pipeline/requests.ts';
import { jobId } from '../../src/pipeline/jobs.ts';
import { until } from '../helpers/cli.ts';
import { origins, startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('pipeline: queueing', () => {
  it('coalesces a burst of resync requests: one running, at most one waiting', async () => {
    h = await startHarness({ inventory: origins(50), emulator: { latencyMs: 30 } });
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await requestResync(h.rt, { zone: ZONE, reason: 'api' });
      expect(r.ok).toBe(true);
      if (r.ok) ids.add(r.jobId);
    }
    expect(ids.size).toBeLessThanOrEqual(2);
    await h.rt.ctx.jobs.wait(h.rt.ctx.queues.cycle, [...ids]);
    const completed = await h.rt.ctx.queues.cycle.getJobs(['completed']);
    expect(completed.length).toBeLessThanOrEqual(2);
    await until(() => h!.emu.mappings(ZONE).length === 50, { what: 'the resync to apply' });
  });

  it('does not retry what cannot succeed: a refused credential fails the reconcile once, with the reason', async () => {
    h = await startHarness({ inventory: origins(5), emulator: { tokens: ['another-token'] } });
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('error');
    expect(r.zones[0]!.result.statusReason).toMatch(/auth/);
    const failed = await h.rt.ctx.queues.reconcile.getJobs(['failed']);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attemptsMade).toBe(1);
    expect(JSON.stringify(await h.rt.ctx.state.errors.recent())).toMatch(/auth/);
    // Only the one listing request was sent: no retry loop against Cloudflare.
    expect(h.reads()).toBeLessThanOrEqual(2);
  });

  it('never sends a batch of a plan superseded by a newer one', async () => {
    h = await startHarness({ inventory: origins(5) });
    await h.rt.ctx.state.plans.setCurrent(ZONE, 'pnewer');
    const job = await h.rt.ctx.queues.apply.add('upsert', { planId: 'polder', zoneId: ZONE, batch: 0, kind: 'upsert', items: [{ ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1', scope: 's' }] }, { jobId: jobId('apply', 'polder', '0') });
    const [f] = await h.rt.ctx.jobs.wait(h.rt.ctx.queues.apply, [job.id!]);
    expect(f).toMatchObject({ state: 'completed', result: { superseded: true, sent: 0 } });
    expect(h.writes()).toBe(0);
    expect(await h.rt.ctx.state.registry.get(ZONE)).toEqual(new Map());
  });
});

describe('pipeline: held plans', () => {
  it('a held plan that no longer matches the zone is superseded and cannot be approved', async () => {
    h = await startHarness({ inventory: origins(100), zones: [zoneYaml({ deleteAfterMissedScans: 1 })] });
    await h.once();
    await h.setInventory(origins(50));
    const a = (await h.once()).zones[0]!.result;
    expect(a.status).toBe('held');
    await h.setInventory(origins(40));
    const b = (await h.once()).zones[0]!.result;
    expect(b.status).toBe('held');
    expect(b.planId).not.toBe(a.planId);
    expect(await h.rt.ctx.state.plans.get(a.planId!)).toMatchObject({ status: 'superseded', statusReason: `superseded by plan ${b.planId} (was held)` });
    expect(await approvePlan(h.rt, a.planId!)).toMatchObject({ ok: false, status: 409, error: expect.stringMatching(/is superseded, not held/) });
    expect(h.emu.mappings(ZONE)).toHaveLength(100);
  });
});
