import type { RegistryEntry } from '../reconcile/types.ts';
import { StatePart } from './keys.ts';

/** The ownership registry (rule 2): per zone, the IPs this daemon wrote, recorded before each write is sent. */
export class RegistryStore extends StatePart {
  async get(zoneId: string): Promise<Map<string, RegistryEntry>> {
    const all = await this.redis.hgetall(this.keys.registry(zoneId));
    return new Map(Object.entries(all).map(([ip, v]) => [ip, JSON.parse(v) as RegistryEntry]));
  }

  async getEntries(zoneId: string, ips: string[]): Promise<Map<string, RegistryEntry>> {
    if (ips.length === 0) return new Map();
    const vals = await this.redis.hmget(this.keys.registry(zoneId), ...ips);
    const out = new Map<string, RegistryEntry>();
    ips.forEach((ip, i) => {
      const v = vals[i];
      if (v) out.set(ip, JSON.parse(v) as RegistryEntry);
    });
    return out;
  }

  async set(zoneId: string, entries: ReadonlyArray<[string, RegistryEntry]>): Promise<void> {
    if (entries.length === 0) return;
    const flat: string[] = [];
    for (const [ip, e] of entries) flat.push(ip, JSON.stringify(e));
    await this.redis.hset(this.keys.registry(zoneId), ...flat);
  }

  async forget(zoneId: string, ips: readonly string[]): Promise<void> {
    if (ips.length === 0) return;
    await this.redis.hdel(this.keys.registry(zoneId), ...ips);
  }
}
