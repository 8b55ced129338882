import { afterEach, describe, expect, it } from 'vitest';
import { origins, startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ips = (list: Array<{ origin_ip: string }>) => list.map((m) => m.origin_ip).sort();

describe('pipeline: deletes', () => {
  it('a failing scope deletes nothing of its own', async () => {
    h = await startHarness({ inventory: origins(20) });
    await h.once();
    expect(h.emu.mappings(ZONE)).toHaveLength(20);
    await h.setInventory(null); // the file vanishes: the scan fails, it is not "empty"
    for (let i = 0; i < 3; i++) {
      const r = await h.once();
      expect(r.cycle.scopes[0]).toMatchObject({ status: 'failed' });
      expect(r.zones[0]!.plan!.deletes).toEqual([]);
    }
    expect(h.emu.mappings(ZONE)).toHaveLength(20);
  });

  it('an IP absent from deleteAfterMissedScans complete scans is deleted under sync', async () => {
    h = await startHarness({ inventory: origins(20), zones: [zoneYaml({ deleteAfterMissedScans: 2 })] });
    await h.once();
    await h.setInventory(origins(15));
    const first = await h.once();
    expect(first.zones[0]!.plan!.deletes).toEqual([]);
    expect(first.zones[0]!.plan!.skipped.filter((s) => s.reason === 'tombstone-pending')).toHaveLength(5);
    expect(h.emu.mappings(ZONE)).toHaveLength(20);
    const second = await h.once();
    expect(second.zones[0]!.plan!.deletes).toHaveLength(5);
    expect(ips(h.emu.mappings(ZONE))).toEqual(origins(15).map((o) => o.ip).sort());
  });

  it.each(['upsert-only', 'create-only'])('never deletes under %s', async (policy) => {
    h = await startHarness({ inventory: origins(20), zones: [zoneYaml({ policy, deleteAfterMissedScans: 1 })] });
    await h.once();
    await h.setInventory(origins(10));
    for (let i = 0; i < 3; i++) await h.once();
    expect(h.emu.mappings(ZONE)).toHaveLength(20);
  });
});
