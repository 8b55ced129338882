import type { Tombstone } from '../reconcile/types.ts';
import { StatePart } from './keys.ts';

/** Per zone, the managed IPs missing from complete scans, counting towards their delete (rule 1). */
export class TombstoneStore extends StatePart {
  async get(zoneId: string): Promise<Map<string, Tombstone>> {
    const all = await this.redis.hgetall(this.keys.tombstones(zoneId));
    return new Map(Object.entries(all).map(([ip, v]) => [ip, JSON.parse(v) as Tombstone]));
  }

  async count(zoneId: string): Promise<number> {
    return this.redis.hlen(this.keys.tombstones(zoneId));
  }

  async replace(zoneId: string, tombstones: Record<string, Tombstone>): Promise<void> {
    const key = this.keys.tombstones(zoneId);
    const flat = Object.entries(tombstones).flatMap(([ip, t]) => [ip, JSON.stringify(t)]);
    const multi = this.redis.multi().del(key);
    if (flat.length > 0) multi.hset(key, ...flat);
    await multi.exec();
  }
}
