import { afterEach, describe, expect, it } from 'vitest';
import { startEvents, type Events } from '../../src/events/index.ts';
import { until } from '../helpers/cli.ts';
import { origins, startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
let ev: Events | undefined;
afterEach(async () => {
  await ev?.stop();
  ev = undefined;
  await h?.close();
  h = undefined;
});

const discovers = async (hh: Harness) => (await hh.rt.ctx.queues.discover.getJobCounts('completed')).completed ?? 0;
const held = (hh: Harness) => hh.emu.mappings(ZONE).map((m) => m.origin_ip).sort();

describe('event intake', () => {
  it('an inventory edit reaches the zone within seconds, and a removal waits for the confirming scan and deleteGrace', { timeout: 60_000 }, async () => {
    h = await startHarness({
      inventory: origins(3),
      zones: [zoneYaml({ deleteAfterMissedScans: 2, deleteGrace: '2s' })],
      config: { schedule: { reconcileEvery: '1h' }, events: { debounce: '200ms', confirmAfter: '1s' } },
    });
    await h.once();
    expect(held(h)).toHaveLength(3);
    ev = await startEvents(h.rt.ctx);

    const added = Date.now();
    await h.setInventory(origins(4));
    await until(() => held(h!).length === 4, { timeoutMs: 10_000, what: 'the added origin' });
    expect(Date.now() - added).toBeLessThan(5_000);

    const removed = Date.now();
    await h.setInventory(origins(3));
    await until(() => held(h!).length === 3, { timeoutMs: 20_000, what: 'the removed origin deleted' });
    // Two complete scans spanning deleteGrace (2 s): never sooner, and long before the hour's schedule.
    expect(Date.now() - removed).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - removed).toBeLessThan(10_000);
    const plans = await h.rt.ctx.state.plans.list(ZONE, 20);
    expect(plans.some((p) => p.reason === 'event')).toBe(true);
    expect(plans.some((p) => p.reason === 'confirm' && p.deletes.length === 1)).toBe(true);
  });

  it('a burst of 200 events becomes a few scans; malformed, ignored and unrouted events are counted and refused', { timeout: 60_000 }, async () => {
    h = await startHarness({ inventory: origins(5), config: { schedule: { reconcileEvery: '1h' }, events: { debounce: '300ms', confirmAfter: '1s' } } });
    await h.once();
    ev = await startEvents(h.rt.ctx, { watchFiles: false });
    const scopes = await ev.intake.knownScopes();
    expect(scopes).toHaveLength(1);
    const before = await discovers(h);
    const outcomes = [];
    for (let i = 0; i < 200; i++) outcomes.push(await ev.intake.enqueue('test', `e${i}`, scopes));
    expect(outcomes.filter((o) => o === 'enqueued').length).toBeLessThanOrEqual(3);
    await until(async () => (await h!.rt.ctx.queues.cycle.getJobCounts('delayed', 'waiting', 'active')).delayed === 0 && (await discovers(h!)) > before, { timeoutMs: 15_000, what: 'the burst settled' });
    await new Promise((r) => setTimeout(r, 1_500)); // the confirming scan
    await until(async () => {
      const c = await h!.rt.ctx.queues.cycle.getJobCounts('delayed', 'waiting', 'active');
      return (c.delayed ?? 0) + (c.waiting ?? 0) + (c.active ?? 0) === 0;
    }, { timeoutMs: 15_000, what: 'the confirm ran' });
    const scans = (await discovers(h)) - before;
    expect(scans).toBeGreaterThanOrEqual(2); // the event's scan and its confirmation
    expect(scans).toBeLessThanOrEqual(4);

    const intake = ev.intake;
    expect(await intake.take('test', { ok: false, reason: 'not JSON' }, { raw: '{"token":"s3cr3t-value", broken' })).toBe('malformed');
    expect(await intake.take('test', { ok: true, id: 'x1', hints: [] })).toBe('ignored');
    expect(await intake.take('test', { ok: true, id: 'x2', hints: [{ vendor: 'aws', account: '999999999999', region: 'us-east-1' }] })).toBe('unrouted');
    const metrics = await h.rt.ctx.metrics.registry.getSingleMetricAsString('ors_events_total');
    expect(metrics).toContain('outcome="malformed"} 1');
    expect(metrics).toContain('outcome="ignored"} 1');
    expect(metrics).toContain('outcome="unrouted"} 1');
  });

  it('reports each source to Redis for status, and forgets this replica on a clean stop', { timeout: 30_000 }, async () => {
    h = await startHarness({ config: { events: { sources: [{ name: 'hook', type: 'webhook', token: 'tok-0123456789' }] } } });
    ev = await startEvents(h.rt.ctx, { watchFiles: false });
    await until(async () => (await h!.rt.ctx.state.eventSources.list()).some((r) => r.source === 'hook' && r.state === 'up'), { timeoutMs: 5_000, what: 'the report' });
    await ev.stop();
    ev = undefined;
    expect(await h.rt.ctx.state.eventSources.list()).toEqual([]);
  });
});
