import type { Logger } from 'pino';
import type { Config } from '../config/load.ts';
import type { RedisHealth } from '../pipeline/redis-health.ts';
import type { Runtime } from '../pipeline/runtime.ts';
import type { Events } from '../events/index.ts';
import type { Metrics } from '../metrics/metrics.ts';

/**
 * How long a page waits on a Redis that is connected but silent before answering with what it knows:
 * /readyz must answer within a second; /metrics and the dashboard read more, so they get longer (under
 * Prometheus's default scrape timeout of 10 s).
 */
export const REDIS_ANSWER_MS = { ready: 800, page: 5000 };

/**
 * What the server serves before the runtime exists: the daemon starts its server first, so /healthz
 * answers and /readyz says why it is not ready while Redis is still unreachable at start.
 */
export interface PendingRuntime {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  health: RedisHealth;
  /** Set once Redis answered and the workers started. */
  runtime?: Runtime;
  /** Set once the event sources started (the daemon). */
  events?: Events;
}

/** Redis cannot answer now (down, starting, or silent): the route answers 503 with the reason. */
export class RedisUnavailable extends Error {}

/** The runtime when Redis is usable now; otherwise RedisUnavailable saying why. */
export function usable(pending: PendingRuntime): Runtime {
  const down = pending.runtime ? pending.health.reason() : (pending.health.reason() ?? 'starting');
  if (down !== undefined || !pending.runtime) throw new RedisUnavailable(down ?? 'starting');
  return pending.runtime;
}

/**
 * Resolves with `p`, or rejects with RedisUnavailable when Redis does not answer in time or the connection
 * drops meanwhile (the reads stay queued in ioredis, harmless).
 */
export async function fromRedis<T>(health: RedisHealth, p: Promise<T>, ms: number = REDIS_ANSWER_MS.page): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onDown: (() => void) | undefined;
  const slow = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailable(`Redis did not answer within ${ms} ms`)), ms);
    onDown = () => reject(new RedisUnavailable(health.reason() ?? 'Redis connection lost'));
    health.once('down', onDown);
  });
  return Promise.race([p, slow]).finally(() => {
    clearTimeout(timer);
    health.off('down', onDown!);
  });
}
