import type { RedisClient } from './redis-connection.ts';
import type { StateKeys } from './keys.ts';

/** Short locks between replicas. */
export class Locks {
  private readonly redis: RedisClient;
  private readonly keys: StateKeys;

  constructor(redis: RedisClient, keys: StateKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  /** A short lock so that N replicas starting together upsert the job scheduler once. */
  async tryLock(name: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.lock(name), String(process.pid), 'PX', ttlMs, 'NX')) === 'OK';
  }
}
