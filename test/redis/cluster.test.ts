import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/state/redis-connection.ts';
import { origins, startHarness, ZONE, type Harness } from '../helpers/pipeline.ts';
import { startLocalCluster, waitFor, type LocalCluster } from '../setup/redis-cluster.ts';

let cluster: LocalCluster;
let h: Harness | undefined;

beforeAll(async () => {
  cluster = await startLocalCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const tagged = () => `{ors-${randomBytes(4).toString('hex')}}`;

async function clusterHarness(prefix: string, inventory = origins(1000), latencyMs = 0): Promise<Harness> {
  return startHarness({ inventory, emulator: { latencyMs }, config: { redis: { cluster: { nodes: cluster.nodes.map((n) => `${n.host}:${n.port}`) }, prefix } } });
}

/** Which node holds each key: every key of the daemon (queues and state) must share the prefix's slot. */
async function keysByNode(prefix: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const n of cluster.nodes) {
    const a = cluster.admin(n.port);
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await a.scan(cursor, 'MATCH', `${prefix.replace(/[{}[\]*?]/g, '\\$&')}:*`, 'COUNT', 1000);
      count += keys.length;
      cursor = next;
    } while (cursor !== '0');
    if (count > 0) out.set(n.port, count);
  }
  return out;
}

describe('Redis Cluster (three local masters)', () => {
  it('a sync converges on the cluster; every key sits in the hash tag slot, so no MOVED or CROSSSLOT', async () => {
    const prefix = tagged();
    h = await clusterHarness(prefix);
    const first = await h.once();
    expect(first.zones[0]!.result.status).toBe('applied');
    expect(h.emu.mappings(ZONE)).toHaveLength(1000);
    expect(h.writes()).toBe(10);
    expect((await h.rt.ctx.state.registry.get(ZONE)).size).toBe(1000);

    const slot = (await cluster.admin(cluster.nodes[0]!.port).call('CLUSTER', 'KEYSLOT', prefix)) as number;
    const owner = await cluster.ownerOf(slot);
    const where = await keysByNode(prefix);
    expect([...where.keys()]).toEqual([owner]);
    expect(where.get(owner)).toBeGreaterThan(10);

    h.emu.clearStats();
    const second = await h.once();
    expect(second.zones[0]!.result.status).toBe('noop');
    expect(h.writes()).toBe(0);
  });

  it('a single-node url pointed at a cluster node is refused at start with what to configure, not MOVED at every command', async () => {
    const url = `redis://127.0.0.1:${cluster.nodes[0]!.port}`;
    await expect(connectRedis({ mode: 'single', url, prefix: tagged() })).rejects.toThrow(
      `Redis at ${url} is a Redis Cluster node: list the nodes under redis.cluster.nodes (single-node clients get MOVED for most keys)`,
    );
  });

  it('the slot of the prefix moves to another master while a sync is applying: it converges, nothing lost or written twice', async () => {
    const prefix = tagged();
    // 100 ms per Cloudflare request: the ten batches take long enough for the slot to move under them.
    h = await clusterHarness(prefix, origins(1000), 100);
    const slot = (await cluster.admin(cluster.nodes[0]!.port).call('CLUSTER', 'KEYSLOT', prefix)) as number;
    const from = await cluster.ownerOf(slot);
    const to = cluster.nodes.find((n) => n.port !== from)!.port;

    const run = h.once();
    await waitFor('the first Cloudflare write', async () => h!.writes() >= 1, 20_000, 5);
    const moved = await cluster.migrateSlot(slot, to, { keysPerStep: 5, pauseMs: 5 });
    const writesWhenMoved = h.writes();
    const first = await run;

    expect(moved.keys).toBeGreaterThan(10);
    expect(writesWhenMoved).toBeLessThan(10); // the move finished while writes were still to come
    expect(await cluster.ownerOf(slot)).toBe(to);
    expect([...(await keysByNode(prefix)).keys()]).toEqual([to]);

    expect(first.zones[0]!.result.status).toBe('applied');
    const got = h.emu.mappings(ZONE);
    expect(new Set(got.map((m) => m.origin_ip)).size).toBe(1000);
    expect(got).toHaveLength(1000);
    // Nothing written twice: the same ten batches as without a migration, and every mapping owned.
    expect(h.writes()).toBe(10);
    expect((await h.rt.ctx.state.registry.get(ZONE)).size).toBe(1000);

    h.emu.clearStats();
    await h.setInventory(origins(1100));
    const next = await h.once();
    expect(next.zones[0]!.result.status).toBe('applied');
    expect(h.emu.mappings(ZONE)).toHaveLength(1100);
    expect(h.writes()).toBe(1);
  });
});
