import { StatePart } from './keys.ts';

/** The cache entry of a zone's supported_regions answer: the reconcile fills it, the quiet check compares it. */
export const supportedRegionsCache = (zoneId: string): string => `supported-regions:${zoneId}`;

/** Small shared memories: each zone's Cloudflare API family, and values cached with a lifetime (supported_regions, the write pause). */
export class CacheStore extends StatePart {
  async getFamily(zoneId: string): Promise<'v1' | 'v2' | undefined> {
    const v = await this.redis.hget(this.keys.family(), zoneId);
    return v === 'v1' || v === 'v2' ? v : undefined;
  }

  async setFamily(zoneId: string, family: 'v1' | 'v2'): Promise<void> {
    await this.redis.hset(this.keys.family(), zoneId, family);
  }

  async get<T>(name: string): Promise<T | null> {
    const v = await this.redis.get(this.keys.cache(name));
    return v ? (JSON.parse(v) as T) : null;
  }

  /** A cached value as stored (JSON text), for comparing without parsing. */
  async getText(name: string): Promise<string | null> {
    return this.redis.get(this.keys.cache(name));
  }

  async set(name: string, value: unknown, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.cache(name), JSON.stringify(value), 'EX', ttlSeconds);
  }
}
