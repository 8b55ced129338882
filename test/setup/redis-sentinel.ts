import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { freePort, spawnRedis, type RedisProcess } from '../../src/state/private-redis.ts';
import { createRedisClient, type HostPort } from '../../src/state/redis-connection.ts';
import { waitFor } from './redis-cluster.ts';

export interface LocalSentinel {
  name: string;
  sentinels: HostPort[];
  /** The port Sentinel currently names as master. */
  masterPort(): Promise<number>;
  /** A plain connection to one server or Sentinel. */
  admin(port: number): Redis;
  /**
   * `SENTINEL FAILOVER`, then waits until every Sentinel names the new master, it answers as one, and
   * the old master has been turned into its replica (until then the old one still takes writes).
   */
  failover(): Promise<{ from: number; to: number; ms: number }>;
  /** SIGKILLs the master and waits until Sentinel has promoted the replica (the killed one stays down). */
  killMaster(): Promise<{ from: number; to: number; ms: number }>;
  stop(): Promise<void>;
}

const NAME = 'ors-master';

/**
 * A master, one replica and three Sentinels (quorum 2) on free ports in a temporary folder. Sentinels
 * need a writable config file of their own, so each gets one.
 */
export async function startLocalSentinel(): Promise<LocalSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'ors-sentinel-'));
  const procs: RedisProcess[] = [];
  const admins = new Map<number, Redis>();
  const stop = async () => {
    for (const a of admins.values()) a.disconnect();
    await Promise.all(procs.map((p) => p.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  const admin = (port: number) => {
    let a = admins.get(port);
    if (!a) {
      a = createRedisClient({ mode: 'single', url: `redis://127.0.0.1:${port}`, prefix: '' }, { maxRetriesPerRequest: 1 }) as Redis;
      a.on('error', () => {});
      admins.set(port, a);
    }
    return a;
  };
  try {
    // No 5 s wait before a full resync (Redis 7's repl-diskless-sync-delay): a demoted master catches up at once.
    const common = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning', '--repl-diskless-sync-delay', '0'];
    const master = await freePort();
    procs.push(await spawnRedis(['--port', String(master), ...common, '--dbfilename', `dump-${master}.rdb`], master));
    const replica = await freePort();
    procs.push(await spawnRedis(['--port', String(replica), ...common, '--dbfilename', `dump-${replica}.rdb`, '--replicaof', '127.0.0.1', String(master)], replica));
    await waitFor('the replica in sync', async () => /master_link_status:up/.test(await admin(replica).info('replication')));

    const sentinels: HostPort[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${NAME} 127.0.0.1 ${master} 2`,
          `sentinel down-after-milliseconds ${NAME} 1000`,
          `sentinel failover-timeout ${NAME} 5000`,
          `sentinel parallel-syncs ${NAME} 1`,
          '',
        ].join('\n'),
      );
      procs.push(await spawnRedis([conf, '--sentinel', '--loglevel', 'warning'], port));
      sentinels.push({ host: '127.0.0.1', port });
    }
    // A failover needs every Sentinel to know the replica and the other Sentinels (found through hello messages).
    await waitFor('the Sentinels to know the replica and each other', async () => {
      for (const s of sentinels) {
        const replicas = (await admin(s.port).call('SENTINEL', 'REPLICAS', NAME)) as string[][];
        const peers = (await admin(s.port).call('SENTINEL', 'SENTINELS', NAME)) as string[][];
        const ok = replicas.some((r) => r[r.indexOf('flags') + 1] === 'slave' && r[r.indexOf('master-link-status') + 1] === 'ok');
        if (!ok || peers.length < 2) return false;
      }
      return true;
    });

    const byPort = new Map(procs.map((p) => [p.port, p]));
    // A failover only keeps the data a replica has: until the demoted master has finished its resync, a
    // second failover would promote it with what it held before.
    const replicaInSync = async (port: number) => waitFor(`the replica on ${port} in sync`, async () => /master_link_status:up/.test(await admin(port).info('replication')));
    const otherServer = (port: number) => procs.slice(0, 2).find((p) => p.port !== port)!.port;
    const promoted = async (from: number, oldIsReplica: boolean) => {
      let to = from;
      await waitFor('every Sentinel to name the new master, and it to answer as master', async () => {
        const named = await Promise.all(sentinels.map(async (s) => Number(((await admin(s.port).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as [string, string])[1])));
        if (named.some((p) => p === from || p !== named[0])) return false;
        to = named[0]!;
        if (((await admin(to).call('ROLE')) as [string])[0] !== 'master') return false;
        return !oldIsReplica || ((await admin(from).call('ROLE')) as [string])[0] === 'slave';
      });
      return to;
    };
    const masterPort = async () => Number(((await admin(sentinels[0]!.port).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as [string, string])[1]);
    return {
      name: NAME,
      sentinels,
      masterPort,
      admin,
      async failover() {
        const started = Date.now();
        const from = await masterPort();
        await waitFor('SENTINEL FAILOVER to be accepted', async () => (await admin(sentinels[0]!.port).call('SENTINEL', 'FAILOVER', NAME)) === 'OK', 10_000, 200);
        const to = await promoted(from, true);
        await replicaInSync(from);
        return { from, to, ms: Date.now() - started };
      },
      async killMaster() {
        const started = Date.now();
        const from = await masterPort();
        await replicaInSync(otherServer(from));
        admins.get(from)?.disconnect();
        admins.delete(from);
        await byPort.get(from)!.stop('SIGKILL');
        const to = await promoted(from, false);
        return { from, to, ms: Date.now() - started };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
