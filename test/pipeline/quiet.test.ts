import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { origins, startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const v2 = { cloudflare: { api: 'v2' } };

/** Runs cycles until one finds nothing changed since the last plan (the second no-op settles the inputs). */
async function quiet(hh: Harness) {
  const r = await hh.once();
  expect(r.zones[0]!.result.statusReason ?? '').toMatch(/^nothing changed since plan /);
  return r;
}

describe('pipeline: a zone where nothing changed is not planned again', () => {
  it('answers from the last no-op plan: no request to Cloudflare, no new plan, the zone still complete', { timeout: 60_000 }, async () => {
    h = await startHarness({ config: v2, inventory: origins(300) });
    expect((await h.once()).zones[0]!.result.status).toBe('applied');
    const settling = await h.once(); // planned in full: nothing to do, and the inputs are remembered
    expect(settling.zones[0]!.result).toMatchObject({ status: 'noop' });
    expect(settling.zones[0]!.result.statusReason).toBeUndefined();
    h.emu.clearStats();
    const before = await h.rt.ctx.state.zones.get(ZONE);
    const jobsBefore = await h.rt.ctx.queues.reconcile.count();
    const finishedBefore = (await h.rt.ctx.queues.reconcile.getJobCounts('completed', 'failed'));
    await sleep(5);
    const r = await quiet(h);
    expect(r.zones[0]!.result).toMatchObject({ status: 'noop', planId: settling.zones[0]!.result.planId });
    // The cycle answered the zone itself: no reconcile job was queued for it.
    expect(r.cycle.reconciles[0]).toMatchObject({ zoneId: ZONE, jobId: '', result: { status: 'noop' } });
    expect(await h.rt.ctx.queues.reconcile.count()).toBe(jobsBefore);
    expect(await h.rt.ctx.queues.reconcile.getJobCounts('completed', 'failed')).toEqual(finishedBefore);
    expect(r.zones[0]!.plan?.id).toBe(settling.zones[0]!.result.planId);
    expect(h.reads() + h.writes()).toBe(0);
    const after = await h.rt.ctx.state.zones.get(ZONE);
    expect(after.lastCompleteAt).toBeGreaterThan(before.lastCompleteAt!);
    expect(after).toMatchObject({ lastPlanId: before.lastPlanId, managed: 300, lastStatus: 'noop' });
  });

  it('plans again as soon as anything it plans from moves: the inventory, a failed scan, the zone settings, Cloudflare at the drift check', { timeout: 90_000 }, async () => {
    // A budget so large that drift checks are never spaced out for it (driftCheckShare): the test sets the period.
    h = await startHarness({ config: { ...v2, cloudflare: { api: 'v2', driftCheckEvery: '1h', rateLimit: { requests: 100_000, perSeconds: 1 } } }, inventory: origins(40) });
    await h.once();
    await h.once();
    await quiet(h);

    // The inventory: one origin moves region.
    const moved = origins(40).map((o, i) => (i === 0 ? { ...o, region: 'us-west-2' } : o));
    await h.setInventory(moved);
    const changed = await h.once();
    expect(changed.zones[0]!.result).toMatchObject({ status: 'applied', upserts: 1 });
    await h.once();
    await quiet(h);

    // A scan that fails: nothing is deleted, and the plan says why (it is not the quiet answer).
    await h.setInventory(null);
    const failed = await h.once();
    expect(failed.zones[0]!.result.statusReason ?? '').not.toMatch(/nothing changed/);
    expect(failed.zones[0]!.plan!.scopes[0]).toMatchObject({ status: 'failed' });
    expect(h.emu.mappings(ZONE)).toHaveLength(40);
    await h.setInventory(moved);
    await h.once();
    await h.once();
    await quiet(h);

    // The zone's settings (what a restart with an edited configuration gives): a lower cap overflows.
    const cap = h.rt.ctx.config.zones[0]!.maxMappings;
    h.rt.ctx.config.zones[0]!.maxMappings = 30;
    const capped = await h.once();
    expect(capped.zones[0]!.result.statusReason ?? '').not.toMatch(/nothing changed/);
    expect(capped.zones[0]!.plan!.budget.overflow).toBe(10);
    h.rt.ctx.config.zones[0]!.maxMappings = cap;
    await h.once();
    await h.once();
    await quiet(h);

    // Someone else changes a mapping: unseen while the cache stands (by design), seen at the drift check.
    h.emu.seed(ZONE, h.emu.mappings(ZONE).map((m, i) => ({ ...m, region: i === 1 ? 'eu-west-1' : m.region })));
    await quiet(h);
    h.rt.ctx.config.cloudflare.driftCheckEveryMs = 20;
    await sleep(30);
    const checked = await h.once();
    expect(checked.zones[0]!.plan!.drift).toHaveLength(1);
    expect(checked.zones[0]!.result.status).toBe('applied');
    expect(h.emu.mappings(ZONE).filter((m) => m.region === 'eu-west-1')).toHaveLength(0);
  });

  it('never answers quietly while a delete is counting down (tombstones move with time)', { timeout: 60_000 }, async () => {
    h = await startHarness({ config: v2, zones: [zoneYaml({ deleteAfterMissedScans: 3 })], inventory: origins(20) });
    await h.once();
    await h.once();
    await quiet(h);
    await h.setInventory(origins(19));
    for (let i = 0; i < 2; i++) {
      const r = await h.once();
      expect(r.zones[0]!.result.statusReason ?? '').not.toMatch(/nothing changed/);
      expect(h.emu.mappings(ZONE)).toHaveLength(20);
    }
    const third = await h.once();
    expect(third.zones[0]!.result).toMatchObject({ status: 'applied', deletes: 1 });
    expect(h.emu.mappings(ZONE)).toHaveLength(19);
  });
});
