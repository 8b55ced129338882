import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestGate } from '../cloudflare/client.ts';
import { CloudflareApiError } from '../cloudflare/errors.ts';
import type { RedisClient } from '../state/redis-connection.ts';
import { QUEUES } from './jobs.ts';

/**
 * Takes one slot of the apply queue's limiter, the way BullMQ takes one for each job it hands a worker
 * (prepareJobForProcessing: INCR, and PEXPIRE with the window on the first of a window), so a read and a
 * batch spend the same counter, across every replica on this Redis. A pause (Queue.rateLimit, after a
 * 429 or a spent Ratelimit window) sets that counter past the max for its length: a read then gets the
 * time left instead of a slot, as a batch does. Returns 0 (slot taken) or the ms to wait.
 */
const TAKE_SLOT = `
local n = tonumber(redis.call('GET', KEYS[1]) or 0)
if n >= tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then return ttl end
  if ttl == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return tonumber(ARGV[2]) end
end
n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** A read refused before it was sent, because the shared budget has no slot now: not a 429, no new pause. */
export class BudgetHold extends CloudflareApiError {}

export interface BudgetGateOptions {
  redis: RedisClient;
  /** The queue prefix (config.redis.prefix): the limiter key is the apply queue's. */
  prefix: string;
  requests: number;
  perSeconds: number;
  /** Waits up to this long for a slot in place; longer, the request is refused with a BudgetHold (the caller hands its job back). */
  maxWaitMs: number;
  /** Reports each wait (metrics, logs). */
  onWait?: (ms: number) => void;
}

/**
 * Every read (list pages, supported_regions) goes through the limiter the apply queue's batches go
 * through, so the 1,200 requests / 5 min that Cloudflare allows the token are one budget for the whole
 * cluster. Writes are let through here: the apply queue took their slot when it gave the batch to a worker.
 */
export function cloudflareBudgetGate(opts: BudgetGateOptions): RequestGate {
  const key = `${opts.prefix}:${QUEUES.apply}:limiter`;
  const windowMs = opts.perSeconds * 1000;
  return async (req) => {
    if (req.method !== 'GET') return;
    for (;;) {
      const wait = Number(await opts.redis.eval(TAKE_SLOT, 1, key, String(opts.requests), String(windowMs)));
      if (wait <= 0) return;
      opts.onWait?.(wait);
      if (wait > opts.maxWaitMs) {
        throw new BudgetHold({
          outcome: 'rate_limited',
          status: null,
          codes: [],
          method: req.method,
          route: req.route,
          family: req.family,
          zoneId: req.zoneId,
          retryAfterMs: wait,
          detail: `not sent: the shared Cloudflare budget has no request left for ${Math.ceil(wait / 1000)}s (window spent or a pause in force)`,
        });
      }
      await sleep(wait, undefined, req.signal ? { signal: req.signal } : {});
    }
  };
}
