import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { origins, startHarness, ZONE, type Harness } from '../helpers/pipeline.ts';
import { waitFor } from '../setup/redis-cluster.ts';
import { startLocalSentinel, type LocalSentinel } from '../setup/redis-sentinel.ts';

let group: LocalSentinel;
let h: Harness | undefined;

beforeAll(async () => {
  group = await startLocalSentinel();
}, 60_000);
afterAll(async () => {
  await group?.stop();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function sentinelHarness(prefix: string, latencyMs = 0): Promise<Harness> {
  return startHarness({
    inventory: origins(1000),
    emulator: { latencyMs },
    config: { redis: { sentinels: group.sentinels.map((s) => `${s.host}:${s.port}`), name: group.name, prefix } },
  });
}

describe('Redis Sentinel (master, replica, three Sentinels)', () => {
  it('a sync converges through Sentinel; after a failover between runs the same daemon keeps working on the new master', async () => {
    const prefix = `ors-${randomBytes(4).toString('hex')}`;
    h = await sentinelHarness(prefix);
    const first = await h.once();
    expect(first.zones[0]!.result.status).toBe('applied');
    expect(h.emu.mappings(ZONE)).toHaveLength(1000);
    expect((await h.rt.ctx.state.registry.get(ZONE)).size).toBe(1000);

    const { from, to } = await group.failover();
    expect(to).not.toBe(from);
    expect(((await group.admin(from).call('ROLE')) as [string])[0]).toBe('slave');

    h.emu.clearStats();
    await h.setInventory(origins(1100));
    const next = await h.once();
    expect(next.zones[0]!.result.status).toBe('applied');
    expect(h.emu.mappings(ZONE)).toHaveLength(1100);
    expect(h.writes()).toBe(1); // the 100 new ones only: ownership of the first 1,000 survived the failover
    // The state is on the new master (the old one is its replica now and refuses writes).
    expect(await group.admin(to).hlen(`${prefix}:state:registry:${ZONE}`)).toBe(1100);

    h.emu.clearStats();
    expect((await h.once()).zones[0]!.result.status).toBe('noop');
    expect(h.writes()).toBe(0);
  });

  it('the master is killed while a sync is applying: Sentinel promotes the replica and the run converges on it', async () => {
    const prefix = `ors-${randomBytes(4).toString('hex')}`;
    h = await sentinelHarness(prefix, 100);
    const run = h.once();
    await waitFor('the first Cloudflare write', async () => h!.writes() >= 1, 20_000, 5);
    const { to } = await group.killMaster();
    const writesAtFailover = h.writes();
    const first = await run;
    expect(writesAtFailover).toBeLessThan(10); // the master died with batches still to write
    expect(await group.masterPort()).toBe(to);

    expect(first.zones[0]!.result.status).toBe('applied');
    const got = h.emu.mappings(ZONE);
    expect(new Set(got.map((m) => m.origin_ip)).size).toBe(1000);
    expect(got).toHaveLength(1000);
    // Every mapping owned and confirmed on the new master: nothing the daemon wrote was forgotten.
    const registry = [...(await h.rt.ctx.state.registry.get(ZONE)).values()];
    expect(registry).toHaveLength(1000);
    expect(registry.filter((e) => e.pending)).toHaveLength(0);

    h.emu.clearStats();
    expect((await h.once()).zones[0]!.result.status).toBe('noop');
    expect(h.writes()).toBe(0);
  });
});
