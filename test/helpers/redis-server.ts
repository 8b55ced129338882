import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/state/private-redis.ts';

/**
 * A redis-server of the test's own, on a fixed free port, that the test stops and starts again: an
 * outage, not a data loss (AOF on, same folder), so what the daemon wrote is there when Redis returns.
 */
export interface RestartableRedis {
  url: string;
  port: number;
  running(): boolean;
  start(): Promise<void>;
  /** SIGTERM and wait for the exit (redis-server flushes its AOF first). */
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that keeps the connection open and never answers. */
  pause(): void;
  resume(): void;
  remove(): Promise<void>;
}

export async function restartableRedis(): Promise<RestartableRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'ors-redis-down-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const self: RestartableRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'];
      child = spawn(process.env.REDIS_SERVER_BIN ?? 'redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
      const deadline = Date.now() + 10_000;
      for (;;) {
        const up = await new Promise<boolean>((resolve) => {
          const s = net.connect(port, '127.0.0.1');
          s.once('data', (d) => {
            s.destroy();
            resolve(d.toString().startsWith('+PONG'));
          });
          s.once('connect', () => s.write('PING\r\n'));
          s.once('error', () => {
            s.destroy();
            resolve(false);
          });
        });
        if (up) return;
        if (Date.now() > deadline || !self.running()) throw new Error(`redis-server did not start on port ${port}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      const c = child;
      if (!c || !self.running()) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGCONT');
      c.kill('SIGTERM');
      await exited;
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async remove() {
      if (child && self.running()) {
        const c = child;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}
