import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, readBody } from '../../http/body.ts';
import type { OciWorld } from './inventory.ts';
import { ApiError } from './operations.ts';
import { signatureProblem } from './signature.ts';
import { send } from './reply.ts';

/**
 * OCI Streaming's message API (version 20180418), the part a consumer group uses, as the unmodified
 * `oci-streaming` StreamClient speaks it: CreateGroupCursor, GetMessages, ConsumerCommit,
 * ConsumerHeartbeat, GetGroup and PutMessages, under `<messages endpoint>/20180418/streams/{streamId}/…`.
 *
 * Documented behaviour kept here (sources in connectors/oci/README.md, "Events"):
 * - A consumer group is created by its first CreateGroupCursor; the cursor type (TRIM_HORIZON, LATEST,
 *   AT_TIME) only counts then, later cursors start at the group's committed offsets.
 * - Partitions are reserved by one instance of the group at a time; an instance that sends nothing for
 *   its timeout (`timeoutInMs`, default 30 s here) loses them, and another instance reads them again from
 *   the committed offsets: what was read but not committed is delivered again.
 * - `commitOnGet` (default true) commits the previous cursor's offsets on each GetMessages; with false
 *   only ConsumerCommit does. Commit and heartbeat extend the reservation and return a new cursor.
 * - Cursors are opaque and expire 5 minutes after they were issued (400 InvalidParameter after that).
 * - GetMessages: `limit` up to 10000; 5 GetMessages per second per partition per consumer group, else 429
 *   TooManyRequests. PutMessages: at most 1 MiB per request, keys and values counted after base64 decoding.
 * - Messages carry base64 `key` and `value`, `partition` (a string), `offset` and `timestamp`.
 */

export const STREAMING_OPERATIONS = ['createGroupCursor', 'getMessages', 'consumerCommit', 'consumerHeartbeat', 'getGroup', 'putMessages'] as const;
export type StreamingOperation = (typeof STREAMING_OPERATIONS)[number];

export interface StreamingOptions {
  /** Partitions of each stream the fake creates (default 1). */
  partitions?: number;
  /** Instance timeout when a CreateGroupCursor gives none (default 30 000 ms). */
  instanceTimeoutMs?: number;
  /** How long a cursor stays valid (default 300 000 ms, as OCI). */
  cursorTtlMs?: number;
  /** GetMessages per second per partition per consumer group (default 5, as OCI). */
  getsPerSecond?: number;
}

export interface StreamingFault {
  operation?: StreamingOperation;
  status: number;
  code?: string;
  message?: string;
  /** Only the next N matching requests (default every one until cleared). */
  times?: number;
}

export interface StoredMessage {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer;
  timestamp: number;
}

interface Instance {
  lastSeen: number;
  timeoutMs: number;
  commitOnGet: boolean;
}

interface Group {
  /** Per partition, the offset of the next message the group has not committed. */
  committed: number[];
  instances: Map<string, Instance>;
  owner: Array<string | undefined>;
  /** Bumped whenever a partition changes owner, so a position read under an earlier owner is not trusted. */
  epoch: number[];
  gets: number[][];
}

interface Stream {
  id: string;
  name: string;
  partitions: StoredMessage[][];
  groups: Map<string, Group>;
}

interface Cursor {
  streamId: string;
  group: string;
  instance: string;
  positions: Map<number, { offset: number; epoch: number }>;
  expiresAt: number;
}

const MIB = 1024 * 1024;
/** OCI's codes for the statuses a test injects (https://docs.oracle.com/iaas/Content/API/References/apierrors.htm). */
const FAULT_CODES: Record<number, string> = { 401: 'NotAuthenticated', 404: 'NotAuthorizedOrNotFound', 429: 'TooManyRequests', 500: 'InternalServerError', 503: 'ServiceUnavailable' };
const MAX_GROUPS = 50;
const MAX_LIMIT = 10_000;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const invalid = (message: string) => new ApiError(400, 'InvalidParameter', message);
const notFound = (what: string) => new ApiError(404, 'NotAuthorizedOrNotFound', `Authorization failed or requested resource not found: ${what}`);

export class OciStreaming {
  private readonly streams = new Map<string, Stream>();
  private readonly cursors = new Map<string, Cursor>();
  private readonly counts = new Map<string, number>();
  private readonly faults: Array<StreamingFault & { left: number }> = [];
  private readonly partitionCount: number;
  private readonly instanceTimeoutMs: number;
  private readonly cursorTtlMs: number;
  private readonly getsPerSecond: number;

  constructor(opts: StreamingOptions = {}) {
    this.partitionCount = opts.partitions ?? 1;
    this.instanceTimeoutMs = opts.instanceTimeoutMs ?? 30_000;
    this.cursorTtlMs = opts.cursorTtlMs ?? 300_000;
    this.getsPerSecond = opts.getsPerSecond ?? 5;
    if (!Number.isInteger(this.partitionCount) || this.partitionCount < 1 || this.partitionCount > 50) throw new RangeError('partitions must be an integer from 1 to 50');
  }

  createStream(id: string, name = id.split('.').pop() ?? id): void {
    if (this.streams.has(id)) return;
    this.streams.set(id, { id, name, partitions: Array.from({ length: this.partitionCount }, () => []), groups: new Map() });
  }

  /** Appends messages as PutMessages does; a key sends every message with it to one partition. */
  put(streamId: string, entries: Array<{ key?: Buffer | null; value: Buffer }>): StoredMessage[] {
    const stream = this.stream(streamId);
    const now = Date.now();
    return entries.map((e) => {
      const key = e.key ?? null;
      const partition = key === null ? randomInt(stream.partitions.length) : createHash('sha256').update(key).digest().readUInt32BE(0) % stream.partitions.length;
      const log = stream.partitions[partition] ?? [];
      const m: StoredMessage = { partition, offset: log.length, key, value: e.value, timestamp: now };
      log.push(m);
      return m;
    });
  }

  /** Every message of a stream, in partition then offset order (tests read what the fake published). */
  messages(streamId: string): StoredMessage[] {
    return this.stream(streamId).partitions.flat();
  }

  count(op: StreamingOperation): number {
    return this.counts.get(op) ?? 0;
  }

  injectFault(f: StreamingFault): void {
    this.faults.push({ ...f, left: f.times ?? Infinity });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Serves `/20180418/streams/…`; `world` supplies the tenancy and API keys signatures are checked against. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, world: OciWorld): Promise<void> {
    try {
      let body = '';
      try {
        body = await readBody(req, 2 * MIB);
      } catch (e) {
        if (e instanceof BodyTooLarge) throw invalid('The request is larger than 1 MiB');
        throw e;
      }
      const [version, streams, streamId, action, extra, ...more] = url.pathname.split('/').slice(1).map(decodeSegment);
      const op = version === '20180418' && streams === 'streams' && streamId && action && more.length === 0 ? operationOf(req.method ?? '', action, extra) : undefined;
      const problem = signatureProblem(req, world.tenancy, world.apiKeys) ?? contentDigestProblem(req, body, op);
      if (problem) throw new ApiError(401, 'NotAuthenticated', `The required information to complete authentication was not provided or was incorrect: ${problem}`);
      if (!op || !streamId) throw new ApiError(404, 'NotAuthorizedOrNotFound', `No such operation: ${req.method ?? ''} ${url.pathname}`);
      this.counts.set(op, this.count(op) + 1);
      this.applyFault(op);
      const now = Date.now();
      const q = url.searchParams;
      switch (op) {
        case 'createGroupCursor':
          return send(res, 200, { value: this.createGroupCursor(streamId, parseJson(body), now) });
        case 'getMessages': {
          const { items, next } = this.getMessages(streamId, required(q, 'cursor'), limitOf(q.get('limit')), now);
          return send(res, 200, items, { 'opc-next-cursor': next });
        }
        case 'consumerCommit':
          return send(res, 200, { value: this.commit(streamId, required(q, 'cursor'), now) });
        case 'consumerHeartbeat':
          return send(res, 200, { value: this.heartbeat(streamId, required(q, 'cursor'), now) });
        case 'getGroup':
          return send(res, 200, this.getGroup(streamId, extra ?? '', now));
        case 'putMessages':
          return send(res, 200, this.putMessages(streamId, parseJson(body)));
      }
    } catch (e) {
      if (e instanceof ApiError) send(res, e.status, { code: e.code, message: e.message });
      else send(res, 500, { code: 'InternalServerError', message: `the fake failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private applyFault(op: StreamingOperation): void {
    const f = this.faults.find((x) => x.left > 0 && (x.operation === undefined || x.operation === op));
    if (!f) return;
    f.left--;
    const code = f.code ?? FAULT_CODES[f.status] ?? (f.status >= 500 ? 'InternalServerError' : 'InvalidParameter');
    throw new ApiError(f.status, code, f.message ?? `Injected fault (${code}) for ${op}`);
  }

  private stream(id: string): Stream {
    const s = this.streams.get(id);
    if (!s) throw notFound(`stream ${id}`);
    return s;
  }

  private createGroupCursor(streamId: string, details: unknown, now: number): string {
    const stream = this.stream(streamId);
    if (details === null || typeof details !== 'object' || Array.isArray(details)) throw invalid('The request body must be a CreateGroupCursorDetails object');
    const d = details as Record<string, unknown>;
    const type = d['type'];
    if (type !== 'TRIM_HORIZON' && type !== 'LATEST' && type !== 'AT_TIME') throw invalid('type must be one of TRIM_HORIZON, LATEST, AT_TIME');
    const groupName = d['groupName'];
    if (typeof groupName !== 'string' || groupName === '' || groupName.length > 256) throw invalid('groupName is required (1 to 256 characters)');
    const instanceName = d['instanceName'] ?? randomUUID();
    if (typeof instanceName !== 'string' || instanceName === '' || instanceName.length > 256) throw invalid('instanceName must be 1 to 256 characters');
    const timeoutInMs = d['timeoutInMs'] ?? this.instanceTimeoutMs;
    if (typeof timeoutInMs !== 'number' || !Number.isInteger(timeoutInMs) || timeoutInMs < 1) throw invalid('timeoutInMs must be a positive integer');
    const commitOnGet = d['commitOnGet'] ?? true;
    if (typeof commitOnGet !== 'boolean') throw invalid('commitOnGet must be a boolean');
    let group = stream.groups.get(groupName);
    if (!group) {
      if (stream.groups.size >= MAX_GROUPS) throw invalid(`A stream supports at most ${MAX_GROUPS} consumer groups`);
      let start: (log: StoredMessage[]) => number;
      if (type === 'TRIM_HORIZON') start = () => 0;
      else if (type === 'LATEST') start = (log) => log.length;
      else {
        const at = typeof d['time'] === 'string' ? Date.parse(d['time']) : NaN;
        if (Number.isNaN(at)) throw invalid('time is required for AT_TIME and must be an RFC 3339 date');
        start = (log) => {
          const i = log.findIndex((m) => m.timestamp >= at);
          return i === -1 ? log.length : i;
        };
      }
      group = {
        committed: stream.partitions.map(start),
        instances: new Map(),
        owner: stream.partitions.map(() => undefined),
        epoch: stream.partitions.map(() => 0),
        gets: stream.partitions.map(() => []),
      };
      stream.groups.set(groupName, group);
    }
    group.instances.set(instanceName, { lastSeen: now, timeoutMs: timeoutInMs, commitOnGet });
    rebalance(group, now);
    return this.issue({ streamId, group: groupName, instance: instanceName, positions: new Map(), expiresAt: 0 }, now);
  }

  /** The cursor, its group, and the partitions its instance holds now (the instance counts as seen). */
  private use(streamId: string, token: string, now: number) {
    const stream = this.stream(streamId);
    const cursor = this.cursors.get(token);
    if (!cursor || cursor.streamId !== streamId) throw invalid('Invalid cursor');
    if (cursor.expiresAt <= now) {
      this.cursors.delete(token);
      throw invalid('Invalid cursor: it has expired (a cursor is valid for 5 minutes); create a new one');
    }
    const group = stream.groups.get(cursor.group);
    if (!group) throw invalid('Invalid cursor: its consumer group no longer exists');
    const inst = group.instances.get(cursor.instance);
    if (inst) inst.lastSeen = now;
    else group.instances.set(cursor.instance, { lastSeen: now, timeoutMs: this.instanceTimeoutMs, commitOnGet: true });
    rebalance(group, now);
    const owned = group.owner.flatMap((o, p) => (o === cursor.instance ? [p] : []));
    const position = (p: number) => {
      const at = cursor.positions.get(p);
      return at !== undefined && at.epoch === group.epoch[p] ? at.offset : (group.committed[p] ?? 0);
    };
    return { cursor, stream, group, owned, position, instance: group.instances.get(cursor.instance) };
  }

  private commitPositions(group: Group, owned: number[], position: (p: number) => number): void {
    for (const p of owned) group.committed[p] = position(p);
  }

  private getMessages(streamId: string, token: string, limit: number, now: number) {
    const { cursor, stream, group, owned, position, instance } = this.use(streamId, token, now);
    for (const p of owned) {
      const recent = (group.gets[p] ?? []).filter((t) => now - t < 1000);
      if (recent.length >= this.getsPerSecond) throw new ApiError(429, 'TooManyRequests', `Too many GetMessages requests: at most ${this.getsPerSecond} per second per partition per consumer group`);
      recent.push(now);
      group.gets[p] = recent;
    }
    if (instance?.commitOnGet) this.commitPositions(group, owned, position);
    const items: Array<Record<string, unknown>> = [];
    const positions = new Map(cursor.positions);
    for (const p of owned) {
      const log = stream.partitions[p] ?? [];
      const from = Math.min(position(p), log.length);
      const batch = log.slice(from, from + (limit - items.length));
      for (const m of batch) {
        items.push({ stream: stream.name, partition: String(m.partition), key: m.key === null ? null : m.key.toString('base64'), value: m.value.toString('base64'), offset: m.offset, timestamp: new Date(m.timestamp).toISOString() });
      }
      positions.set(p, { offset: from + batch.length, epoch: group.epoch[p] ?? 0 });
    }
    return { items, next: this.issue({ ...cursor, positions }, now) };
  }

  private commit(streamId: string, token: string, now: number): string {
    const { cursor, group, owned, position } = this.use(streamId, token, now);
    this.commitPositions(group, owned, position);
    return this.issue({ ...cursor, positions: new Map(cursor.positions) }, now);
  }

  private heartbeat(streamId: string, token: string, now: number): string {
    const { cursor } = this.use(streamId, token, now);
    return this.issue({ ...cursor, positions: new Map(cursor.positions) }, now);
  }

  private getGroup(streamId: string, groupName: string, now: number) {
    const group = this.stream(streamId).groups.get(groupName);
    if (!group) throw notFound(`group ${groupName}`);
    rebalance(group, now);
    return {
      streamId,
      groupName,
      reservations: group.committed.map((committedOffset, p) => {
        const owner = group.owner[p];
        const inst = owner === undefined ? undefined : group.instances.get(owner);
        return {
          partition: String(p),
          committedOffset,
          ...(owner !== undefined ? { reservedInstance: owner } : {}),
          ...(inst ? { timeReservedUntil: new Date(inst.lastSeen + inst.timeoutMs).toISOString() } : {}),
        };
      }),
    };
  }

  private putMessages(streamId: string, details: unknown) {
    this.stream(streamId);
    const list = details !== null && typeof details === 'object' ? (details as { messages?: unknown }).messages : undefined;
    if (!Array.isArray(list) || list.length === 0) throw invalid('messages must be a non-empty array');
    let size = 0;
    const entries = list.map((raw, i) => {
      const e = (raw ?? {}) as { key?: unknown; value?: unknown };
      if (typeof e.value !== 'string' || !BASE64.test(e.value)) throw invalid(`messages[${i}].value must be base64`);
      if (e.key !== undefined && e.key !== null && (typeof e.key !== 'string' || !BASE64.test(e.key))) throw invalid(`messages[${i}].key must be base64`);
      const value = Buffer.from(e.value, 'base64');
      const key = typeof e.key === 'string' ? Buffer.from(e.key, 'base64') : null;
      size += value.length + (key?.length ?? 0);
      return { key, value };
    });
    if (size > MIB) throw invalid('The request is larger than 1 MiB (keys and values, after base64 decoding)');
    const stored = this.put(streamId, entries);
    return { failures: 0, entries: stored.map((m) => ({ partition: String(m.partition), offset: m.offset, timestamp: new Date(m.timestamp).toISOString() })) };
  }

  private issue(cursor: Cursor, now: number): string {
    if (this.cursors.size > 10_000) for (const [t, c] of this.cursors) if (c.expiresAt <= now) this.cursors.delete(t);
    const token = randomBytes(24).toString('base64url');
    this.cursors.set(token, { ...cursor, expiresAt: now + this.cursorTtlMs });
    return token;
  }
}

/**
 * Drops instances silent past their timeout, then gives each free partition to the live instance holding
 * fewest; an instance holding more than its share gives the rest up. A partition that changes owner gets
 * a new epoch: the new owner reads from the committed offset.
 */
function rebalance(group: Group, now: number): void {
  for (const [name, inst] of group.instances) if (now - inst.lastSeen > inst.timeoutMs) group.instances.delete(name);
  const live = [...group.instances.keys()].sort();
  const share = live.length === 0 ? 0 : Math.ceil(group.owner.length / live.length);
  const held = new Map(live.map((n) => [n, 0]));
  const release = (p: number) => {
    group.owner[p] = undefined;
    group.epoch[p] = (group.epoch[p] ?? 0) + 1;
  };
  group.owner.forEach((o, p) => {
    if (o === undefined) return;
    const n = held.get(o);
    if (n === undefined || n >= share) release(p);
    else held.set(o, n + 1);
  });
  group.owner.forEach((o, p) => {
    if (o !== undefined || live.length === 0) return;
    const least = live.reduce((a, b) => ((held.get(b) ?? 0) < (held.get(a) ?? 0) ? b : a));
    group.owner[p] = least;
    held.set(least, (held.get(least) ?? 0) + 1);
  });
}

function operationOf(method: string, action: string, extra: string | undefined): StreamingOperation | undefined {
  if (action === 'groups' && extra !== undefined && extra !== '' && method === 'GET') return 'getGroup';
  if (extra !== undefined) return undefined;
  if (method === 'POST' && action === 'groupCursors') return 'createGroupCursor';
  if (method === 'GET' && action === 'messages') return 'getMessages';
  if (method === 'POST' && action === 'messages') return 'putMessages';
  if (method === 'POST' && action === 'commit') return 'consumerCommit';
  if (method === 'POST' && action === 'heartbeat') return 'consumerHeartbeat';
  return undefined;
}

/**
 * A POST signs `x-content-sha256`, and a body that does not match it was altered on the way. PutMessages
 * is the exception: its body is left out of the signature (oci-streaming signs it with forceExcludeBody,
 * as for uploads), so there the digest is only checked when sent.
 */
function contentDigestProblem(req: IncomingMessage, body: string, op: StreamingOperation | undefined): string | null {
  if (req.method !== 'POST' && req.method !== 'PUT') return null;
  const claimed = req.headers['x-content-sha256'];
  if (typeof claimed !== 'string') return op === 'putMessages' ? null : 'a request with a body must sign x-content-sha256';
  const actual = createHash('sha256').update(body, 'utf8').digest('base64');
  return claimed === actual ? null : 'x-content-sha256 does not match the request body';
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid('The request path is not valid percent-encoding');
  }
}

function required(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (v === null || v === '') throw new ApiError(400, 'MissingParameter', `Missing required parameter: ${name}`);
  return v;
}

function limitOf(raw: string | null): number {
  if (raw === null) return MAX_LIMIT;
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) throw invalid(`limit must be an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw invalid('The request body is not valid JSON');
  }
}

