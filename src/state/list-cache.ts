import type { ListProgress, Mapping, UnparsedEntry } from '../cloudflare/types.ts';
import type { Vendor } from '../model/index.ts';
import { StatePart } from './keys.ts';

/** A zone's list as last read from Cloudflare in full, with the daemon's own known writes laid over it. */
export interface CachedList {
  /** The state epoch it was read under: a list kept across a loss of the Redis state is not trusted. */
  epoch: string | null;
  /** When the full read that this list comes from started (drift by others is seen from the next full read). */
  readAt: number;
  /** When our own writes were last laid over it. */
  updatedAt: number;
  /** When the next full read is due (see readZoneList: the first one of a zone comes early, to stagger the zones). */
  checkAt: number;
  mappings: Mapping[];
  unparsed: UnparsedEntry[];
  /** Why the list must be read again before it is used (a write whose outcome is not known). */
  stale?: string;
}

interface StoredList {
  epoch: string | null;
  readAt: number;
  updatedAt: number;
  checkAt: number;
  /** [ip, vendor, region]: a third of the size of the objects, for 3,500 entries a zone. */
  m: Array<[string, Vendor, string]>;
  unparsed: UnparsedEntry[];
  stale?: string;
}

/** A full read asked for by an operator (`resync --full`), until a full read that started after it ends. */
export interface FullReadRequest {
  at: number;
  reason: string;
}

/** What our own writes did to the zone, item by item, as their results said. */
export interface KnownWrites {
  upserted: Mapping[];
  deleted: string[];
  /** Why some write's outcome is not known (sent, no usable answer): the list must be read again. */
  unknown?: string;
}

const DAY = 86_400;
/** A walk stopped by a 429 resumes within this; later, the pages read are too old to build on. */
const PROGRESS_TTL_SECONDS = 600;

// Clears a full-read request only if no newer one came in while the full read ran.
const CLEAR_IF_NOT_NEWER = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if tonumber(cjson.decode(v).at) <= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]); return 1 end
return 0`;

/**
 * The last list of each zone, kept so that an unchanged zone is not read page by page every cycle
 * (external-dns's `--provider-cache-time`): the reconcile of a zone is its only writer (reconciles of a zone
 * are serialized), and dry runs only read it.
 */
export class ListCache extends StatePart {
  async get(zoneId: string): Promise<CachedList | null> {
    const v = await this.redis.get(this.keys.list(zoneId));
    if (!v) return null;
    const s = JSON.parse(v) as StoredList;
    return {
      epoch: s.epoch,
      readAt: s.readAt,
      updatedAt: s.updatedAt,
      checkAt: s.checkAt,
      mappings: s.m.map(([ip, vendor, region]) => ({ ip, vendor, region })),
      unparsed: s.unparsed,
      ...(s.stale ? { stale: s.stale } : {}),
    };
  }

  /** After a full read that started at `readAt`: the list as read, and any full-read request it answers is settled. */
  async putRead(zoneId: string, epoch: string | null, readAt: number, checkAt: number, list: { mappings: Mapping[]; unparsed: UnparsedEntry[] }): Promise<void> {
    await this.write(zoneId, { epoch, readAt, updatedAt: readAt, checkAt, m: list.mappings.map((x) => [x.ip, x.vendor, x.region]), unparsed: list.unparsed });
    await this.redis.eval(CLEAR_IF_NOT_NEWER, 1, this.keys.listFull(zoneId), String(readAt));
  }

  /**
   * Before a plan's writes are sent: the list is marked stale until their results are laid over it, so a
   * crash between sending and recording leaves a list that is read again, not one that is trusted.
   */
  async markStale(zoneId: string, why: string): Promise<void> {
    const cur = await this.redis.get(this.keys.list(zoneId));
    if (!cur) return;
    const s = JSON.parse(cur) as StoredList;
    s.stale ??= why;
    await this.write(zoneId, s);
  }

  /**
   * Lays the writes whose results came back over the list. When every outcome is known the list is
   * trusted again (unless it was stale before the writes); otherwise it stays stale, with why.
   */
  async applyWrites(zoneId: string, writes: KnownWrites, writing: string, now = Date.now()): Promise<void> {
    const cur = await this.redis.get(this.keys.list(zoneId));
    if (!cur) return;
    const s = JSON.parse(cur) as StoredList;
    const byIp = new Map(s.m.map((x) => [x[0], x]));
    for (const ip of writes.deleted) byIp.delete(ip);
    for (const m of writes.upserted) byIp.set(m.ip, [m.ip, m.vendor, m.region]);
    s.m = [...byIp.values()];
    s.updatedAt = now;
    if (writes.unknown) s.stale = writes.unknown;
    else if (s.stale === writing) delete s.stale;
    await this.write(zoneId, s);
  }

  async drop(zoneId: string): Promise<void> {
    await this.redis.multi().del(this.keys.list(zoneId), this.keys.listProgress(zoneId)).hdel(this.keys.listSizes(), zoneId).exec();
  }

  /** Entries in each zone's cached list, 0 where none is cached: what a drift check of each would read. */
  async sizes(zoneIds: readonly string[]): Promise<number[]> {
    if (zoneIds.length === 0) return [];
    return (await this.redis.hmget(this.keys.listSizes(), ...zoneIds)).map((v) => Number(v ?? 0));
  }

  /** `resync --full`: the next reconcile of the zone reads the whole list, whatever the cache holds. */
  async requestFull(zoneId: string, reason: string, at = Date.now()): Promise<void> {
    await this.redis.set(this.keys.listFull(zoneId), JSON.stringify({ at, reason } satisfies FullReadRequest), 'EX', DAY);
  }

  async fullRequested(zoneId: string): Promise<FullReadRequest | null> {
    const v = await this.redis.get(this.keys.listFull(zoneId));
    return v ? (JSON.parse(v) as FullReadRequest) : null;
  }

  /** Where a walk stopped by a 429 (or a spent budget) got to, for the retry to read on from; `startedAt`: its first page. */
  async saveProgress(zoneId: string, epoch: string | null, progress: ListProgress, startedAt: number): Promise<void> {
    await this.redis.set(this.keys.listProgress(zoneId), JSON.stringify({ epoch, progress, startedAt }), 'EX', PROGRESS_TTL_SECONDS);
  }

  async getProgress(zoneId: string, epoch: string | null): Promise<{ progress: ListProgress; startedAt: number } | undefined> {
    const v = await this.redis.get(this.keys.listProgress(zoneId));
    if (!v) return undefined;
    const s = JSON.parse(v) as { epoch: string | null; progress: ListProgress; startedAt: number };
    return s.epoch === epoch ? { progress: s.progress, startedAt: s.startedAt } : undefined;
  }

  async clearProgress(zoneId: string): Promise<void> {
    await this.redis.del(this.keys.listProgress(zoneId));
  }

  private async write(zoneId: string, s: StoredList): Promise<void> {
    // Kept a day past its last use: a zone no longer reconciled does not keep its list forever.
    await this.redis
      .multi()
      .set(this.keys.list(zoneId), JSON.stringify(s), 'EX', DAY)
      .hset(this.keys.listSizes(), zoneId, s.m.length + s.unparsed.length)
      .exec();
  }
}
