import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A redis-server (or Sentinel) process started by us, listening on a port. */
export interface RedisProcess {
  port: number;
  /** SIGTERM by default; tests pass SIGKILL to make a server vanish without a goodbye. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns redis-server with these arguments and waits until it accepts connections on the port. Shared by
 * the single private server below and the test setups that build a Redis Cluster or a Sentinel group.
 */
export async function spawnRedis(args: string[], port: number, opts: { binary?: string } = {}): Promise<RedisProcess> {
  const binary = opts.binary ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new Error(`redis-server not found on PATH: install Redis >= 6.2 (Debian/Ubuntu: apt install redis-server; macOS: brew install redis), or point REDIS_URL / TEST_REDIS_URL at a dedicated instance`)
          : err,
      );
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${stderr.trim()}`)));
    const deadline = Date.now() + 10_000;
    const probe = () => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.end();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not answer on port ${port}`));
        else setTimeout(probe, 50);
      });
    };
    probe();
  });
  child.removeAllListeners('exit');
  return {
    port,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        await exited;
      }
    },
  };
}

/**
 * Starts a throwaway redis-server on a free port in a temporary folder (tests, demo, benchmarks).
 * Configured as BullMQ requires in production (noeviction); nothing persisted.
 */
export async function startPrivateRedis(opts: { binary?: string } = {}): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'ors-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'];
  const server = await spawnRedis(args, port, opts).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
