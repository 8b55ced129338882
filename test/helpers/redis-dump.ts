import type { RedisClient as Redis } from '../../src/state/redis-connection.ts';

/**
 * Every key under a prefix with its full content, for "nothing changed" assertions: the state store's
 * keys and BullMQ's (jobs, waiting lists, schedulers, events, deduplication markers) alike.
 */
export async function dumpPrefix(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const out: Record<string, unknown> = {};
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    if (type === 'string') out[key] = await redis.get(key);
    else if (type === 'hash') out[key] = await redis.hgetall(key);
    else if (type === 'list') out[key] = await redis.lrange(key, 0, -1);
    else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
    else if (type === 'zset') out[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'stream') out[key] = await redis.xrange(key, '-', '+');
    else out[key] = type;
  }
  return out;
}

/**
 * Before a "nothing changed" dump: waits for the queues' meta keys (written once a Queue connects) and
 * drops BullMQ's stalled-check markers, timers an earlier worker left that expire on their own: one
 * expiring between two dumps is not a change, and a worker started meanwhile would write them anew.
 */
export async function settle(redis: Redis, prefix: string, queues: readonly string[] = ['cycle', 'discover', 'reconcile', 'apply']): Promise<void> {
  const metas = queues.map((q) => `${prefix}:${q}:meta`);
  const deadline = Date.now() + 10_000;
  while ((await redis.exists(...metas)) !== metas.length) {
    if (Date.now() > deadline) throw new Error('the queues never wrote their meta keys');
    await new Promise((r) => setTimeout(r, 50));
  }
  await redis.del(...queues.map((q) => `${prefix}:${q}:stalled-check`));
}
