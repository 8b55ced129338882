import { StateKeys } from './keys.ts';
import type { RedisClient } from './redis-connection.ts';

/** One item of one write request that reached Cloudflare, as `history` shows it. */
export interface AuditRecord {
  /** Milliseconds since the epoch, from the stream id (when it was recorded). */
  at: number;
  /** The stream id: unique, ordered, and where a later page starts. */
  id: string;
  zoneId: string;
  kind: 'upsert' | 'delete';
  ip: string;
  vendor?: string;
  region?: string;
  /** ok: Cloudflare confirmed it; failed: refused (error says why); unknown: sent, but the answer was lost. */
  outcome: 'ok' | 'failed' | 'unknown';
  error?: string;
  planId: string;
  batch: number;
  /** What caused the plan: schedule, resync, api, cli, approve, startup, event. */
  trigger: string;
  /** The cloud event behind an event-triggered plan. */
  eventId?: string;
}

export type AuditInput = Omit<AuditRecord, 'at' | 'id'>;

export interface AuditQuery {
  zoneId: string;
  ip?: string;
  /** Only records at or after this time (ms). */
  since?: number;
  /** Newest first, at most this many. */
  limit?: number;
}

// Stream entries reuse the first entry's field names (listpack delta encoding), so short fixed names in a
// fixed order keep each record small: see `npm run bench -- audit` for what a million records cost.
const FIELDS = ['k', 'ip', 'v', 'r', 'o', 'e', 'p', 'b', 't', 'ev'] as const;

/**
 * The audit trail: every item of every write that reached Cloudflare, per zone, in a Redis stream bounded
 * both by age (`retentionMs`) and by count (`maxRecords`), trimmed as it is written so it never needs a
 * sweeper. Reads go newest first from the stream's own time-ordered ids.
 */
export class AuditLog {
  private readonly redis: RedisClient;
  private readonly keys: StateKeys;
  private readonly retentionMs: number;
  private readonly maxRecords: number;

  constructor(redis: RedisClient, prefix: string, opts: { retentionMs: number; maxRecords: number }) {
    this.redis = redis;
    this.keys = new StateKeys(prefix);
    this.retentionMs = opts.retentionMs;
    this.maxRecords = opts.maxRecords;
  }

  private key(zoneId: string): string {
    return this.keys.audit(zoneId);
  }

  async record(items: readonly AuditInput[], now = Date.now()): Promise<void> {
    if (items.length === 0) return;
    const byZone = new Map<string, AuditInput[]>();
    for (const i of items) byZone.set(i.zoneId, [...(byZone.get(i.zoneId) ?? []), i]);
    const multi = this.redis.multi();
    for (const [zoneId, list] of byZone) {
      const key = this.key(zoneId);
      for (const i of list) {
        const values = [i.kind, i.ip, i.vendor ?? '', i.region ?? '', i.outcome, i.error ?? '', i.planId, String(i.batch), i.trigger, i.eventId ?? ''];
        multi.xadd(key, 'MAXLEN', '~', this.maxRecords, '*', ...FIELDS.flatMap((f, n) => [f, values[n]!]));
      }
      // Approximate trimming (whole listpack nodes) is what keeps XADD O(1); the age bound is kept the same way.
      multi.xtrim(key, 'MINID', '~', Math.max(0, now - this.retentionMs));
    }
    await multi.exec();
  }

  async query(q: AuditQuery): Promise<AuditRecord[]> {
    const limit = q.limit ?? 100;
    const start = q.since !== undefined ? String(Math.max(0, Math.floor(q.since))) : '-';
    const out: AuditRecord[] = [];
    let end = '+';
    // Filtering by IP happens here, so read in pages until enough records match or the range is spent.
    for (;;) {
      const page = await this.redis.xrevrange(this.key(q.zoneId), end, start, 'COUNT', Math.max(limit, 500));
      for (const [id, flat] of page) {
        const r = parse(q.zoneId, id, flat);
        if (q.ip === undefined || r.ip === q.ip) out.push(r);
        if (out.length >= limit) return out;
      }
      if (page.length === 0 || page.length < Math.max(limit, 500)) return out;
      end = `(${page[page.length - 1]![0]}`;
    }
  }

  /** Records kept for a zone, and the memory Redis reports for them. */
  async size(zoneId: string): Promise<{ records: number; bytes: number }> {
    const key = this.key(zoneId);
    const [records, bytes] = await Promise.all([this.redis.xlen(key), this.redis.memory('USAGE', key, 'SAMPLES', '0')]);
    return { records, bytes: Number(bytes ?? 0) };
  }
}

function parse(zoneId: string, id: string, flat: string[]): AuditRecord {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  return {
    at: Number(id.split('-')[0]),
    id,
    zoneId,
    kind: f.k === 'delete' ? 'delete' : 'upsert',
    ip: f.ip ?? '',
    ...(f.v ? { vendor: f.v } : {}),
    ...(f.r ? { region: f.r } : {}),
    outcome: f.o === 'failed' || f.o === 'unknown' ? f.o : 'ok',
    ...(f.e ? { error: f.e } : {}),
    planId: f.p ?? '',
    batch: Number(f.b ?? 0),
    trigger: f.t ?? '',
    ...(f.ev ? { eventId: f.ev } : {}),
  };
}
