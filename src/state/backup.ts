import { StateKeys } from './keys.ts';
import type { RedisClient } from './redis-connection.ts';
import { z } from 'zod';

export const BACKUP_FORMAT = 'origin-region-sync/state';
export const BACKUP_VERSION = 1;

type KeyType = 'string' | 'hash' | 'list';

/**
 * What a restore needs, relative to `<prefix>:state:`, with the Redis type each must have and whether its
 * values are JSON. Left out on purpose: snapshots and scope lists (the next discovery rebuilds them),
 * caches and locks (short-lived), and the queues (jobs in flight are re-planned by the next cycle).
 */
const KEYS: Array<{ re: RegExp; type: KeyType; json: boolean }> = [
  { re: /^epoch$/, type: 'string', json: true },
  { re: /^loss$/, type: 'string', json: true },
  { re: /^registry:[\w.-]+$/, type: 'hash', json: true },
  { re: /^tombstones:[\w.-]+$/, type: 'hash', json: true },
  { re: /^plan:[\w.-]+$/, type: 'string', json: true },
  { re: /^plan:[\w.-]+:batches$/, type: 'hash', json: true },
  { re: /^zone:[\w.-]+:plans$/, type: 'list', json: false },
  { re: /^zone:[\w.-]+:status$/, type: 'hash', json: false },
  { re: /^zone:[\w.-]+:(current|approved|force)$/, type: 'string', json: false },
  { re: /^zone:[\w.-]+:recovery$/, type: 'string', json: true },
  { re: /^cf:family$/, type: 'hash', json: false },
  { re: /^errors$/, type: 'list', json: true },
];

/** Kept from the target on import: its epoch (running daemons remember it) and its loss history. */
const KEEP_ON_TARGET = new Set(['epoch', 'loss']);

const entrySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('string'), value: z.string(), ttlMs: z.int().positive().optional() }),
  z.strictObject({ type: z.literal('hash'), value: z.record(z.string(), z.string()), ttlMs: z.int().positive().optional() }),
  z.strictObject({ type: z.literal('list'), value: z.array(z.string()), ttlMs: z.int().positive().optional() }),
]);

const documentSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_VERSION),
  exportedAt: z.string(),
  prefix: z.string(),
  keys: z.record(z.string(), entrySchema),
});

export type StateDocument = z.infer<typeof documentSchema>;
export type StateEntry = z.infer<typeof entrySchema>;

/** A document that cannot be imported; the message names what is wrong and where. */
export class BackupError extends Error {}

function rule(key: string) {
  return KEYS.find((k) => k.re.test(key));
}

/** Every state key a restore needs, as one JSON-ready document. Reads only. */
export async function exportState(redis: RedisClient, prefix: string, now = new Date()): Promise<StateDocument> {
  const base = new StateKeys(prefix).base;
  const names = (await scanAll(redis, base)).map((k) => k.slice(base.length)).filter((k) => rule(k)).sort();
  const keys: StateDocument['keys'] = {};
  for (let i = 0; i < names.length; i += 500) {
    const batch = names.slice(i, i + 500);
    const pipe = redis.pipeline();
    for (const name of batch) {
      const r = rule(name)!;
      const key = base + name;
      if (r.type === 'string') pipe.get(key);
      else if (r.type === 'hash') pipe.hgetall(key);
      else pipe.lrange(key, 0, -1);
      pipe.pttl(key);
    }
    const rows = (await pipe.exec()) ?? [];
    batch.forEach((name, j) => {
      const [err, value] = rows[2 * j] ?? [];
      const ttl = Number(rows[2 * j + 1]?.[1] ?? -1);
      if (err || value === null || value === undefined) return; // expired or changed type meanwhile
      keys[name] = { type: rule(name)!.type, value, ...(ttl > 0 ? { ttlMs: ttl } : {}) } as StateEntry;
    });
  }
  return { format: BACKUP_FORMAT, version: BACKUP_VERSION, exportedAt: now.toISOString(), prefix, keys };
}

/** Checks a parsed document; throws BackupError naming the first problem. */
export function parseStateDocument(doc: unknown): StateDocument {
  const r = documentSchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new BackupError(`not a state document (${BACKUP_FORMAT} version ${BACKUP_VERSION}): ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  for (const [name, e] of Object.entries(r.data.keys)) {
    const k = rule(name);
    if (!k) throw new BackupError(`keys.${name}: not a state key this version exports or imports`);
    if (k.type !== e.type) throw new BackupError(`keys.${name}: must be a ${k.type}, is a ${e.type}`);
    if (!k.json) continue;
    const values = e.type === 'string' ? [e.value] : e.type === 'hash' ? Object.values(e.value) : e.value;
    for (const v of values) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch {
        throw new BackupError(`keys.${name}: a value is not JSON: ${v.slice(0, 60)}`);
      }
      if (typeof parsed !== 'object' || parsed === null) throw new BackupError(`keys.${name}: a value is not a JSON object: ${v.slice(0, 60)}`);
    }
  }
  return r.data;
}

export interface ImportResult {
  written: number;
  replaced: number;
  /** Keys of the document not written because the target keeps its own (epoch, loss). */
  kept: string[];
}

/**
 * Writes a document under `prefix`. A target already holding state (any key other than its epoch, loss
 * record and error list) is refused unless `force`: then its state keys are replaced by the document's
 * (nothing merged), except its epoch and loss record, which running daemons rely on.
 */
export async function importState(redis: RedisClient, prefix: string, doc: StateDocument, opts: { force?: boolean } = {}): Promise<ImportResult> {
  const base = new StateKeys(prefix).base;
  const existing = (await scanAll(redis, base)).map((k) => k.slice(base.length)).filter((k) => rule(k));
  const occupied = existing.filter((k) => !KEEP_ON_TARGET.has(k) && k !== 'errors' && !k.endsWith(':recovery'));
  if (occupied.length > 0 && !opts.force) {
    throw new BackupError(`prefix "${prefix}" already holds state (${occupied.length} key(s), e.g. ${occupied.slice(0, 3).join(', ')}): stop the daemon and add --force to replace it`);
  }
  const kept = Object.keys(doc.keys).filter((k) => KEEP_ON_TARGET.has(k) && existing.includes(k));
  const drop = existing.filter((k) => !KEEP_ON_TARGET.has(k));
  const names = Object.keys(doc.keys).filter((k) => !kept.includes(k));
  for (let i = 0; i < drop.length; i += 500) await redis.del(...drop.slice(i, i + 500).map((k) => base + k));
  for (let i = 0; i < names.length; i += 200) {
    const multi = redis.multi();
    for (const name of names.slice(i, i + 200)) {
      const e = doc.keys[name]!;
      const key = base + name;
      if (e.type === 'string') multi.set(key, e.value);
      else if (e.type === 'hash') {
        if (Object.keys(e.value).length > 0) multi.hset(key, e.value);
      } else if (e.value.length > 0) multi.rpush(key, ...e.value);
      if (e.ttlMs) multi.pexpire(key, e.ttlMs);
    }
    await multi.exec();
  }
  return { written: names.length, replaced: drop.length, kept };
}

async function scanAll(redis: RedisClient, base: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return [...new Set(out)];
}
