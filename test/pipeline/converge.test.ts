import { afterEach, describe, expect, it } from 'vitest';
import { origins, startHarness, ZONE, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('pipeline: convergence', () => {
  it('an empty zone and 1,000 desired origins converge in at most 10 writes; the next cycle writes nothing', async () => {
    h = await startHarness({ inventory: origins(1000) });
    const first = await h.once();
    expect(first.zones[0]!.result.status).toBe('applied');
    expect(h.emu.mappings(ZONE)).toHaveLength(1000);
    const writes = h.writes();
    expect(writes).toBeLessThanOrEqual(10);
    expect(first.zones[0]!.plan!.upserts).toHaveLength(1000);

    h.emu.clearStats();
    const second = await h.once();
    expect(second.zones[0]!.result.status).toBe('noop');
    expect(h.writes()).toBe(0);
  });
});
