import { StatePart } from './keys.ts';

/** Short locks between replicas. */
export class Locks extends StatePart {
  /** A short lock so that N replicas starting together upsert the job scheduler once. */
  async tryLock(name: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.lock(name), String(process.pid), 'PX', ttlMs, 'NX')) === 'OK';
  }
}
