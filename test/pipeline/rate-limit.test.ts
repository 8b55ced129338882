import { afterEach, describe, expect, it } from 'vitest';
import { origins, startHarness, ZONE, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('pipeline: a 429 storm', () => {
  it('pauses on Retry-After and converges after, without failing a job or hammering the API', { timeout: 120_000 }, async () => {
    // Cloudflare allows 4 requests per 2 s here; the daemon believes it may send 1,200 per 300 s, and
    // sends 8 batches at once: they outrun the Ratelimit header's warning, so some meet a 429.
    h = await startHarness({ inventory: origins(1000), emulator: { rateLimit: { requests: 4, windowSeconds: 2 } }, config: { worker: { applyConcurrency: 8 } } });
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('applied');
    expect(h.emu.mappings(ZONE)).toHaveLength(1000);
    const limited = h.emu.stats().filter((s) => s.status === 429).reduce((a, s) => a + s.count, 0);
    expect(limited).toBeGreaterThan(0);
    // Each 429 paused the whole apply queue until the window reopened: a handful, not a loop.
    expect(limited).toBeLessThanOrEqual(10);
    expect(await h.rt.ctx.queues.apply.getJobCounts('failed')).toEqual({ failed: 0 });
    expect(r.zones[0]!.plan!.result!.failed).toEqual([]);
    const metrics = await h.rt.ctx.metrics.registry.getSingleMetricAsString('ors_cloudflare_rate_limited_total');
    expect(metrics).toMatch(/ors_cloudflare_rate_limited_total [1-9]/);
  });
});
