import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { freePort, spawnRedis, type RedisProcess } from '../../src/state/private-redis.ts';
import { createRedisClient, type HostPort } from '../../src/state/redis-connection.ts';

const run = promisify(execFile);

export interface LocalCluster {
  nodes: HostPort[];
  /** A plain (non-cluster) connection to one node, for CLUSTER commands. */
  admin(port: number): Redis;
  /** The port of the master serving a slot. */
  ownerOf(slot: number): Promise<number>;
  /** Moves a slot and its keys to another master while clients keep using it, as `redis-cli --cluster reshard` does. */
  migrateSlot(slot: number, to: number, opts?: { keysPerStep?: number; pauseMs?: number }): Promise<{ keys: number; steps: number }>;
  stop(): Promise<void>;
}

/** Polls until check() is true or the deadline passes (cluster state, failovers: nothing here is instant). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

interface NodeRow {
  id: string;
  port: number;
  master: boolean;
}

function parseNodes(text: string): NodeRow[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, addr, flags] = line.split(' ');
      return { id: id!, port: Number(/:(\d+)@/.exec(addr!)![1]), master: flags!.split(',').includes('master') };
    });
}

/**
 * Three `redis-server --cluster-enabled yes` masters on free ports in a temporary folder, joined with
 * `redis-cli --cluster create`, each slot owned once. The cluster bus gets a free port of its own
 * (`cluster-port`, Redis 7) instead of port + 10000, which may be taken.
 */
export async function startLocalCluster(size = 3): Promise<LocalCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'ors-cluster-'));
  const servers: RedisProcess[] = [];
  const admins = new Map<number, Redis>();
  const stop = async () => {
    for (const a of admins.values()) a.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      const bus = await freePort();
      const args = ['--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`];
      args.push('--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning');
      servers.push(await spawnRedis(args, port));
    }
    const addrs = servers.map((s) => `127.0.0.1:${s.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    const admin = (port: number) => {
      let a = admins.get(port);
      if (!a) {
        a = createRedisClient({ mode: 'single', url: `redis://127.0.0.1:${port}`, prefix: '' }, { maxRetriesPerRequest: 1 }) as Redis;
        a.on('error', () => {});
        admins.set(port, a);
      }
      return a;
    };
    // Every node must agree: state ok and all masters known, or a client may be sent to a node still joining.
    await waitFor('cluster state ok on every node', async () => {
      for (const s of servers) {
        const info = (await admin(s.port).call('CLUSTER', 'INFO')) as string;
        if (!info.includes('cluster_state:ok') || !info.includes(`cluster_known_nodes:${size}`)) return false;
      }
      return true;
    });
    const nodes = async () => parseNodes((await admin(servers[0]!.port).call('CLUSTER', 'NODES')) as string);
    const ownerOf = async (slot: number) => {
      const slots = (await admin(servers[0]!.port).call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`slot ${slot} has no owner`);
      return range[2][1];
    };
    return {
      nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
      admin,
      ownerOf,
      async migrateSlot(slot, to, opts = {}) {
        const rows = await nodes();
        const from = await ownerOf(slot);
        const src = rows.find((r) => r.port === from)!;
        const dst = rows.find((r) => r.port === to)!;
        if (src.id === dst.id) throw new Error(`slot ${slot} is already on ${to}`);
        await admin(to).call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', src.id);
        await admin(from).call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', dst.id);
        let keys = 0;
        let steps = 0;
        for (;;) {
          const batch = (await admin(from).call('CLUSTER', 'GETKEYSINSLOT', String(slot), String(opts.keysPerStep ?? 20))) as string[];
          if (batch.length === 0) break;
          // REPLACE: a key re-created on the source by a script while its slot was half-moved wins, as it is the newer one.
          await admin(from).call('MIGRATE', '127.0.0.1', String(to), '', '0', '5000', 'REPLACE', 'KEYS', ...batch);
          keys += batch.length;
          steps++;
          if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
        }
        // The new owner first, then the old one, then everyone else (the order redis-cli uses).
        await admin(to).call('CLUSTER', 'SETSLOT', String(slot), 'NODE', dst.id);
        await admin(from).call('CLUSTER', 'SETSLOT', String(slot), 'NODE', dst.id);
        for (const r of rows) if (r.master && r.port !== to && r.port !== from) await admin(r.port).call('CLUSTER', 'SETSLOT', String(slot), 'NODE', dst.id);
        await waitFor(`slot ${slot} owned by ${to} on every node`, async () => {
          for (const s of servers) {
            const slots = (await admin(s.port).call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
            if (slots.find(([a, b]) => slot >= a && slot <= b)?.[2][1] !== to) return false;
          }
          return true;
        });
        return { keys, steps };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
