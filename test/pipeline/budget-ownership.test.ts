import { compareIps } from '../../src/model/index.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { origins, startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const unmanaged = Array.from({ length: 200 }, (_, i) => ({ origin_ip: `203.0.113.${i + 1}`, vendor: 'azure', region: 'westeurope' }));

describe('pipeline: capacity budget', () => {
  it('5,000 desired with 200 unmanaged: exactly 3,300 managed, 1,700 overflow, no 1164, the 200 untouched', async () => {
    h = await startHarness({ inventory: origins(5000), emulator: { seed: { [ZONE]: unmanaged } } });
    const r = await h.once();
    const plan = r.zones[0]!.plan!;
    expect(r.zones[0]!.result.status).toBe('applied');
    expect(plan.budget).toMatchObject({ cap: 3500, unmanaged: 200, managedAfter: 3300, overflow: 1700, left: 0 });
    // The stored plan keeps the first 100 overflow entries (by address) and the count of all of them.
    expect(plan.overflow).toHaveLength(100);
    expect(plan.totals).toMatchObject({ overflow: 1700, skippedByReason: { 'over-budget': 1700 } });
    const ips = plan.overflow.map((o) => o.ip);
    expect(ips).toEqual([...ips].sort(compareIps));
    const now = h.emu.mappings(ZONE);
    expect(now).toHaveLength(3500);
    for (const u of unmanaged) expect(now).toContainEqual(expect.objectContaining({ ...u }));
    // No request was ever refused for the cap.
    expect(h.emu.stats().filter((s) => s.status === 403)).toEqual([]);
    expect(plan.result?.failed ?? []).toEqual([]);

    h.emu.clearStats();
    const again = await h.once();
    expect(again.zones[0]!.result.status).toBe('noop');
    expect(h.writes()).toBe(0);
  });
});

describe('pipeline: ownership', () => {
  const theirs = [{ origin_ip: '34.0.0.1', vendor: 'aws', region: 'eu-west-1' }];

  it('adopt: false leaves an unmanaged mapping of a desired IP alone and reports it', async () => {
    h = await startHarness({ inventory: origins(3), emulator: { seed: { [ZONE]: theirs } } });
    const r = await h.once();
    const plan = r.zones[0]!.plan!;
    expect(plan.skipped).toContainEqual(expect.objectContaining({ ip: '34.0.0.1', reason: 'unowned' }));
    expect(h.emu.mappings(ZONE)).toContainEqual(expect.objectContaining({ origin_ip: '34.0.0.1', region: 'eu-west-1' }));
    expect(h.emu.mappings(ZONE)).toHaveLength(3);
  });

  it('adopt: true takes it over', async () => {
    h = await startHarness({ inventory: origins(3), zones: [zoneYaml({ adopt: true })], emulator: { seed: { [ZONE]: theirs } } });
    const r = await h.once();
    expect(r.zones[0]!.plan!.upserts).toContainEqual(expect.objectContaining({ ip: '34.0.0.1', kind: 'adopt', region: 'us-east-1' }));
    expect(h.emu.mappings(ZONE)).toContainEqual(expect.objectContaining({ origin_ip: '34.0.0.1', region: 'us-east-1' }));
    // From now on it is ours: removing it from the inventory deletes it.
    await h.setInventory(origins(3).filter((o) => o.ip !== '34.0.0.1'));
    await h.once();
    expect(h.emu.mappings(ZONE).map((m) => m.origin_ip)).not.toContain('34.0.0.1');
  });
});
