import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { renderPlan, renderStatus } from '../../src/commands/render.ts';
import { pauseCloudflare } from '../../src/pipeline/cloudflare-pace.ts';
import { collectStatus } from '../../src/server/status.ts';
import { requestResync } from '../../src/pipeline/requests.ts';
import { waitForZone } from '../../src/pipeline/run-once.ts';
import { driftCheckInterval, fullReadReason } from '../../src/pipeline/zone-list.ts';
import type { CycleResult } from '../../src/pipeline/jobs.ts';
import { origins, startHarness, ZONE, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const v2 = (over: Record<string, unknown> = {}) => ({ cloudflare: { api: 'v2', ...over } });

/** Successful list pages (v2 collection GETs answered 200) the emulator served. */
function listPages(hh: Harness, status = 200): number {
  return hh.emu
    .stats()
    .filter((s) => s.method === 'GET' && /origin\/cloud_regions$/.test(s.route) && s.status === status)
    .reduce((a, s) => a + s.count, 0);
}

function seedOthers(hh: Harness, n: number): void {
  // Mappings the daemon does not own: listed, never written (no write to muddle the count of reads).
  hh.emu.seed(ZONE, origins(n, 40_000).map((o) => ({ origin_ip: o.ip, vendor: o.vendor, region: o.region })));
}

describe('pipeline: Cloudflare reads within the shared budget', () => {
  it('counts every read in the apply queue limiter, the one budget of all replicas', { timeout: 60_000 }, async () => {
    h = await startHarness({ config: v2() });
    seedOthers(h, 250);
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('noop');
    const reads = h.reads();
    expect(reads).toBe(4); // supported_regions + 3 pages
    expect(Number(await h.rt.redis.get(`${h.prefix}:apply:limiter`))).toBe(reads);
  });

  it('spreads a list longer than the budget over its windows instead of meeting 429s', { timeout: 60_000 }, async () => {
    // Cloudflare allows 6 requests per 2 s; the daemon's budget is 3 per 2 s, so whatever the windows'
    // alignment it never sends more than Cloudflare allows. 11 reads without the budget would meet 429s at once.
    h = await startHarness({ config: v2({ rateLimit: { requests: 3, perSeconds: 2 } }), emulator: { rateLimit: { requests: 6, windowSeconds: 2 } } });
    seedOthers(h, 1000);
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('noop');
    expect(listPages(h)).toBe(10);
    expect(listPages(h, 429)).toBe(0);
    expect(h.emu.stats().filter((s) => s.status === 429)).toEqual([]);
  });

  it('sends no read while a pause is in force', { timeout: 60_000 }, async () => {
    const seen: number[] = [];
    h = await startHarness({ config: v2(), emulator: { logger: () => seen.push(Date.now()) } });
    seedOthers(h, 250);
    // What a 429 on a write does: the whole apply queue (and so the budget) pauses for Retry-After.
    const pausedUntil = Date.now() + 3_000;
    await pauseCloudflare(h.rt.ctx, 3_000, 'test: 429 with Retry-After 3s');
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('noop');
    expect(seen.length).toBe(4);
    // The limiter's own clock is Redis's: a few ms of slack either way.
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(pausedUntil - 50);
  });

  it('resumes a list walk stopped by a 429 at the page it failed on, not at page 1', { timeout: 60_000 }, async () => {
    // Cloudflare allows 5 requests per 2 s: supported_regions and pages 1–4 pass, page 5 meets the 429.
    h = await startHarness({ config: v2(), emulator: { rateLimit: { requests: 5, windowSeconds: 2 } } });
    seedOthers(h, 1000);
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('noop');
    expect(listPages(h, 429)).toBeGreaterThan(0);
    // Every page was read once: a walk restarted at page 1 would read pages 1–4 again.
    expect(listPages(h)).toBe(10);
    expect((await h.rt.ctx.state.zones.get(ZONE)).unmanaged).toBe(1000);
  });
});

describe('pipeline: the list cache', () => {
  it('plans an unchanged zone from the cache: no list request at all', { timeout: 60_000 }, async () => {
    h = await startHarness({ config: v2(), inventory: origins(300) });
    const first = await h.once();
    expect(first.zones[0]!.result.status).toBe('applied');
    expect(first.zones[0]!.plan!.list).toMatchObject({ from: 'cloudflare', why: 'no cached list' });
    h.emu.clearStats();
    const second = await h.once();
    expect(second.zones[0]!.result.status).toBe('noop');
    expect(second.zones[0]!.plan!.list?.from).toBe('cache');
    expect(h.reads()).toBe(0);
    expect(h.writes()).toBe(0);
    // The cache held what the first cycle wrote, laid over the list it read before writing.
    expect(await h.rt.ctx.state.zones.get(ZONE)).toMatchObject({ managed: 300, listFrom: 'cache' });
    // What `plan` and `status` print.
    expect(renderPlan(h.config, second.zones[0]!.plan!)).toMatch(/list: from the list cache \(last full read \d+m?s before the plan\)/);
    expect(renderStatus(h.config, await collectStatus(h.config, h.rt.ctx.state, h.rt.ctx.queues))).toMatch(/list read[\s\S]*ago \(cache\)/);
  });

  it('sees drift made by someone else once the drift check is due, and not before', { timeout: 60_000 }, async () => {
    // A budget so large that drift checks are never spaced out for it (driftCheckShare): the test sets the period.
    h = await startHarness({ config: v2({ driftCheckEvery: '1h', rateLimit: { requests: 100_000, perSeconds: 1 } }), inventory: origins(30) });
    await h.once();
    // Someone else moves one of our mappings to another region.
    const changed = h.emu.mappings(ZONE).map((m, i) => ({ origin_ip: m.origin_ip, vendor: m.vendor, region: i === 0 ? 'us-west-2' : m.region }));
    h.emu.seed(ZONE, changed);
    const cached = await h.once();
    expect(cached.zones[0]!.plan!.list?.from).toBe('cache');
    expect(cached.zones[0]!.plan!.drift).toEqual([]);
    expect(h.emu.mappings(ZONE).filter((m) => m.region === 'us-west-2')).toHaveLength(1);

    // The drift check falls due (the same as an hour passing with driftCheckEvery 1h).
    h.rt.ctx.config.cloudflare.driftCheckEveryMs = 20;
    await sleep(30);
    const checked = await h.once();
    expect(checked.zones[0]!.plan!.list).toMatchObject({ from: 'cloudflare', why: 'drift check due' });
    expect(checked.zones[0]!.plan!.drift).toHaveLength(1);
    expect(checked.zones[0]!.result.status).toBe('applied');
    expect(h.emu.mappings(ZONE).filter((m) => m.region === 'us-west-2')).toHaveLength(0);
  });

  it('spaces drift checks further apart when checking every zone that often would spend more than driftCheckShare of the budget', { timeout: 60_000 }, async () => {
    // 250 mappings: a drift check is 3 pages. With 60 requests a minute, 10% is 6 a minute: one check every 30 s, not every 10 s.
    h = await startHarness({ config: v2({ driftCheckEvery: '10s', rateLimit: { requests: 60, perSeconds: 60 } }) });
    seedOthers(h, 250);
    await h.once();
    const ctx = h.rt.ctx;
    const cached = (await ctx.state.lists.get(ZONE))!;
    expect(await driftCheckInterval(ctx, cached.readAt + 10_000)).toEqual({ everyMs: 30_000, requests: 3, stretched: true });
    const registry = await ctx.state.registry.get(ZONE);
    const epoch = (await ctx.epoch.getEpoch())?.id ?? null;
    // A zone's first check comes early, somewhere in the period (the zones are staggered); later ones a period apart.
    const later = { ...cached, checkAt: Number.MAX_SAFE_INTEGER };
    const reason = (after: number) => fullReadReason(ctx, ZONE, later, registry, cached.readAt + after, epoch);
    expect(await reason(15_000)).toBeNull();
    expect(await reason(30_000)).toBe('drift check due');
    expect(cached.checkAt - cached.readAt).toBeLessThanOrEqual(30_000);
    // Status says why the period is longer than driftCheckEvery.
    expect(renderStatus(h.config, await collectStatus(h.config, ctx.state, ctx.queues))).toMatch(/drift check: each zone's list is read in full every 30s \(stretched from cloudflare.driftCheckEvery 10s: one check of every zone takes 3 requests, and cloudflare.driftCheckShare lets drift checks spend 10% of 60 requests per 60s\)/);

    // A larger share leaves driftCheckEvery as it is.
    ctx.config.cloudflare.driftCheckShare = 0.5;
    expect(await driftCheckInterval(ctx, cached.readAt + 60_000)).toEqual({ everyMs: 10_000, requests: 3, stretched: false });
    expect(await reason(15_000)).toBe('drift check due');
  });

  it('reads in full after a write whose outcome is unknown', { timeout: 60_000 }, async () => {
    h = await startHarness({ config: { ...v2(), worker: { applyAttempts: 1 } }, inventory: origins(30), emulator: { writeFault: 'garbled' } });
    const first = await h.once();
    // The writes landed, but no answer said so.
    expect(first.zones[0]!.result.status).not.toBe('applied');
    expect(h.emu.mappings(ZONE)).toHaveLength(30);
    h.emu.setFaults({ writeFault: 'off' });
    h.emu.clearStats();
    const next = await h.once();
    expect(next.zones[0]!.plan!.list?.from).toBe('cloudflare');
    expect(next.zones[0]!.plan!.list?.why).toMatch(/without a known outcome|unknown outcome/);
    expect(listPages(h)).toBe(1);
    expect(next.zones[0]!.plan!.upserts).toEqual([]);
    // That read settled the pending ownership: the cycle after it is served from the cache again.
    expect([...(await h.rt.ctx.state.registry.get(ZONE)).values()].filter((e) => e.pending)).toEqual([]);
    expect((await h.once()).zones[0]!.plan!.list?.from).toBe('cache');
  });

  it('marks the cached list stale while writes are in flight: a crash then leaves a zone that is read in full', { timeout: 60_000 }, async () => {
    h = await startHarness({ config: { ...v2({ timeout: '2s' }), worker: { applyAttempts: 1 } }, inventory: origins(30) });
    await h.once();
    await h.setInventory(origins(40));
    // The answers to writes hang until the client gives up: the batch is sent, its result not yet known.
    h.emu.setFaults({ writeFault: 'late' });
    const run = h.once();
    const cache = h.rt.ctx.state.lists;
    let stale: string | undefined;
    for (let i = 0; i < 200 && !stale; i++) {
      stale = (await cache.get(ZONE))?.stale;
      if (!stale) await sleep(10);
    }
    expect(stale).toMatch(/^plan \S+ was being applied$/);
    await run;
    h.emu.setFaults({ writeFault: 'off' });
    const next = await h.once();
    expect(next.zones[0]!.plan!.list?.from).toBe('cloudflare');
    expect(h.emu.mappings(ZONE)).toHaveLength(40);
  });

  it('reads in full on resync --full, and from the cache again after', { timeout: 60_000 }, async () => {
    h = await startHarness({ config: v2(), inventory: origins(30) });
    await h.once();
    h.emu.clearStats();
    const r = await requestResync(h.rt, { zone: ZONE, full: true, reason: 'cli' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [c] = await h.rt.ctx.jobs.wait<CycleResult>(h.rt.ctx.queues.cycle, [r.jobId]);
    const cycle = (c as { result: CycleResult }).result;
    const zone = await waitForZone(h.rt, ZONE, cycle.reconciles[0]!.jobId, cycle.discoveredAt, false);
    expect(zone.plan!.list).toMatchObject({ from: 'cloudflare', why: 'full read asked for (resync --full)' });
    expect(listPages(h)).toBe(1);
    const after = await h.once();
    expect(after.zones[0]!.plan!.list?.from).toBe('cache');
  });

  it('a dry run reads without keeping anything: the real run after it still reads in full', { timeout: 60_000 }, async () => {
    h = await startHarness({ config: v2(), inventory: origins(30) });
    const dry = await h.once({ dryRun: true });
    expect(dry.zones[0]!.plan!.list?.from).toBe('cloudflare');
    const real = await h.once();
    expect(real.zones[0]!.plan!.list).toMatchObject({ from: 'cloudflare', why: 'no cached list' });
    // Once the daemon has cached the zone, a dry run plans from the same cache (and says so).
    h.emu.clearStats();
    const again = await h.once({ dryRun: true });
    expect(again.zones[0]!.plan!.list?.from).toBe('cache');
    expect(h.reads()).toBe(0);
  });
});
