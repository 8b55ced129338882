import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorText, throttledLog } from '../log.ts';
import { connectRedis, describeRedis, RedisUnreachable, type RedisClient, type RedisSettings } from '../state/redis-connection.ts';

/** Start-up backoff: 0.5 s doubling to 30 s, ±20% so replicas restarted together do not retry in step. */
export function retryDelay(attempt: number, random = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 16));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * The daemon's view of its Redis connection: /readyz, /metrics and the dashboard ask it before they
 * read, so an outage is answered at once instead of waiting on commands queued for a Redis that is
 * gone. It also turns the connection's events into log lines: one when the connection is lost, one when
 * it is back (with how long it was down), and the errors in between at most once per message per 30 s.
 */
export class RedisHealth extends EventEmitter<{ down: [] }> {
  #up = false;
  #since = Date.now();
  #error = 'not connected yet';
  #stopping = false;

  constructor() {
    super();
    this.setMaxListeners(0); // one listener per HTTP request waiting on Redis
  }

  get up(): boolean {
    return this.#up;
  }

  /** Why Redis cannot be used now (undefined: it can). */
  reason(): string | undefined {
    if (this.#up) return undefined;
    return `Redis unreachable since ${new Date(this.#since).toISOString()}: ${this.#error}`;
  }

  /** A failed attempt before the first connection. */
  failed(error: string): void {
    this.#error = error;
  }

  /** Shutting down: the connection closing is expected, not an outage. */
  stopping(): void {
    this.#stopping = true;
  }

  /** Follows a connected client; ioredis reconnects by itself and BullMQ's workers resume with it. */
  watch(redis: RedisClient, settings: RedisSettings, logger: Logger): void {
    const noisy = throttledLog(logger);
    this.#up = redis.status === 'ready';
    if (this.#up) this.#since = Date.now();
    redis.on('ready', () => {
      if (!this.#up && !this.#stopping) logger.info({ downForMs: Date.now() - this.#since }, 'Redis connection restored');
      this.#up = true;
      this.#since = Date.now();
    });
    redis.on('close', () => {
      if (this.#up && !this.#stopping) logger.error({ redis: describeRedis(settings) }, 'Redis connection lost: not ready until it is back (reconnecting)');
      const was = this.#up;
      if (was) this.#since = Date.now();
      this.#up = false;
      if (this.#error === 'not connected yet') this.#error = 'connection closed';
      if (was) this.emit('down');
    });
    redis.on('error', (err: Error) => {
      this.#error = errorText(err);
      if (!this.#stopping) noisy('warn', `redis:${this.#error}`, { error: this.#error }, 'Redis connection error');
    });
  }
}

/**
 * The daemon's start: try until Redis answers (a Redis restarted with the daemon, or started after it,
 * is normal under an orchestrator), one JSON line per attempt. Aborting `signal` (SIGTERM) gives up.
 */
export async function waitForRedis(settings: RedisSettings, opts: { logger: Logger; health: RedisHealth; signal: AbortSignal; timeoutMs?: number }): Promise<RedisClient> {
  for (let attempt = 1; ; attempt++) {
    opts.signal.throwIfAborted();
    try {
      const redis = await connectRedis(settings, opts.timeoutMs);
      if (attempt > 1) opts.logger.info({ attempts: attempt }, 'Redis reachable: starting');
      return redis;
    } catch (err) {
      if (!(err instanceof RedisUnreachable)) throw err;
      const retryInMs = retryDelay(attempt);
      opts.health.failed(err.reason);
      opts.logger.warn({ redis: describeRedis(settings), attempt, retryInMs, error: err.reason }, 'Redis unreachable at start: retrying (not ready)');
      await sleep(retryInMs, undefined, { signal: opts.signal });
    }
  }
}
