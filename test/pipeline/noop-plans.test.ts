import { afterEach, describe, expect, it } from 'vitest';
import { origins, startHarness, ZONE, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('stored plans: how long they are kept', () => {
  it('keeps a plan that wrote a week, and a no-op plan two cycles (still the zone last plan until the next one)', async () => {
    h = await startHarness({ inventory: origins(20) });
    const wrote = (await h.once()).zones[0]!;
    expect(wrote.result.status).toBe('applied');
    const noop = (await h.once()).zones[0]!;
    expect(noop.result.status).toBe('noop');
    const ttl = (id: string) => h!.rt.redis.ttl(`${h!.prefix}:state:plan:${id}`);
    expect(await ttl(wrote.plan!.id)).toBeGreaterThan(6 * 86_400);
    // Two cycles and a minute.
    const twoCycles = (2 * h.config.schedule.reconcileEveryMs) / 1000 + 60;
    const noopTtl = await ttl(noop.plan!.id);
    expect(noopTtl).toBeGreaterThan(twoCycles - 10);
    expect(noopTtl).toBeLessThanOrEqual(twoCycles);
    expect(twoCycles).toBeLessThan(3600);
    expect((await h.rt.ctx.state.zones.get(ZONE)).lastPlanId).toBe(noop.plan!.id);
  });
});
