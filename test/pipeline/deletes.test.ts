import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connector } from '../../connectors/connector.ts';
import { startRuntime } from '../../src/pipeline/runtime.ts';
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

describe('pipeline: a connector that cannot list its scopes', () => {
  it('deletes nothing, even with no list of its scopes remembered', async () => {
    h = await startHarness({ inventory: origins(20), zones: [zoneYaml({ deleteAfterMissedScans: 1 })] });
    await h.once();
    expect(h.emu.mappings(ZONE)).toHaveLength(20);
    // Redis lost the scope list (a flush, a new prefix), and listing now fails (expired credentials).
    await h.rt.redis.del(`${h.prefix}:state:scopes:inventory`);
    await h.rt.close();
    const broken: Connector = {
      name: 'inventory',
      type: 'file',
      listScopes: () => Promise.reject(new Error('ExpiredToken: the security token included in the request is expired')),
      discover: () => Promise.reject(new Error('not reached')),
    };
    h.rt = await startRuntime({ config: h.config, logger: pino({ level: 'silent' }), workers: true, schedule: false, connectors: new Map([['inventory', broken]]) });
    for (let i = 0; i < 3; i++) {
      const r = await h.once();
      expect(r.cycle.listErrors).toEqual([{ connector: 'inventory', error: expect.stringMatching(/ExpiredToken/) }]);
      expect(r.zones[0]!.plan!.deletes).toEqual([]);
      expect(r.zones[0]!.plan!.skipped.filter((s) => s.reason === 'scope-incomplete')).toHaveLength(20);
    }
    expect(h.emu.mappings(ZONE)).toHaveLength(20);
  });
});
