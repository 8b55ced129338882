import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection.ts';
import type { ScanResult, Scope } from '../../connectors/connector.ts';
import { samplePlan, withTotals } from '../reconcile/sample.ts';
import { scopeView, snapshotAfter, type CompleteSnapshot, type ScanSnapshot } from '../reconcile/snapshots.ts';
import type { Plan, RegistryEntry, ScopeView, Tombstone } from '../reconcile/types.ts';
import type { EventCause } from '../pipeline/jobs.ts';

const DAY = 86_400;

export type PlanStatus = 'planned' | 'held' | 'applying' | 'applied' | 'partial' | 'failed' | 'superseded' | 'dry-run' | 'noop' | 'stale';

/** A plan as kept in Redis: the pure plan plus what happened to it. */
export interface StoredPlan extends Plan {
  id: string;
  status: PlanStatus;
  reason: string;
  cycleId: string;
  dryRun: boolean;
  api?: string;
  statusReason?: string;
  result?: ApplyOutcome;
  updatedAt: number;
  /** The cloud event that caused the plan's cycle, if one did. */
  cause?: EventCause;
  /** Where the zone's list came from: Cloudflare, or the list cache (see src/pipeline/zone-list.ts). */
  list?: { from: 'cloudflare' | 'cache'; readAt: number; why?: string };
}

export interface EventSourceReport {
  type: string;
  state: 'starting' | 'up' | 'down';
  /** Since when it is in this state. */
  since: number;
  /** When this report was written: a replica that stopped reporting is stale. */
  at: number;
  error?: string;
  lastMessageAt?: number;
  lagSeconds?: number;
}

export interface BatchResult {
  batch: number;
  kind: 'upsert' | 'delete';
  sent: number;
  succeeded: number;
  failed: Array<{ ip: string; error: string }>;
  /** Set when the whole request failed (after retries), or the batch was skipped. */
  error?: string;
  superseded?: boolean;
}

export interface ApplyOutcome {
  upserted: number;
  deleted: number;
  failed: Array<{ ip: string; error: string }>;
  batchErrors: string[];
  requests: number;
  finishedAt: number;
}

export interface ZoneStatus {
  lastPlanId?: string;
  lastPlanAt?: number;
  lastStatus?: PlanStatus;
  /** Last reconcile whose plan was applied without any write error (or had nothing to write). */
  lastCompleteAt?: number;
  heldPlanId?: string;
  managed?: number;
  unmanaged?: number;
  cap?: number;
  available?: number;
  budgetLeft?: number;
  overflow?: number;
  drift?: number;
  /** Skipped origins of the last plan by reason, as JSON. */
  skipped?: string;
  api?: string;
  /** The held plan's own figures, as JSON (the fields above are what is in the zone). */
  pending?: string;
  /** Where the last plan's list came from, and when the full read behind it started. */
  listFrom?: 'cloudflare' | 'cache';
  listReadAt?: number;
  /** The digest of what the last no-op plan was made from (see pipeline/quiet.ts): equal inputs, nothing to plan. */
  planInputs?: string;
}

export interface ScanSummary {
  scope: string;
  status: ScopeView['status'];
  scannedAt: number;
  error?: string;
  /** Set while the latest scan is not complete: when the scans started failing or coming back partial. */
  failingSince?: number;
}

type StoredScan = ScanSnapshot;
type StoredComplete = CompleteSnapshot;

/** What a complete snapshot holds, its time left out; remembered per origins list, which a connector may hand back unchanged. */
const digests = new WeakMap<StoredComplete['origins'], string>();
function snapshotDigest(c: StoredComplete): string {
  const known = c.skipped.length === 0 ? digests.get(c.origins) : undefined;
  if (known) return known;
  const d = createHash('sha256').update(JSON.stringify([c.origins, c.skipped])).digest('base64url');
  if (c.skipped.length === 0) digests.set(c.origins, d);
  return d;
}

/**
 * Everything the daemon remembers between jobs and across replicas, in Redis next to the queues:
 * per-scope snapshots, listed scopes, the ownership registry, tombstones, plans and their results,
 * zone status, and small caches. Keys live under `<prefix>:state:` (a `{hash tag}` prefix keeps them in
 * one Redis Cluster slot with the queues).
 */
export class StateStore {
  readonly redis: RedisClient;
  private readonly p: string;

  constructor(redis: RedisClient, prefix: string) {
    this.redis = redis;
    this.p = `${prefix}:state:`;
  }

  private k(...parts: string[]): string {
    return this.p + parts.join(':');
  }

  // ---- scopes and snapshots ----

  /** The last list a connector gave; a successful listing also clears the listing error. */
  async saveScopes(connector: string, scopes: Scope[], at: number): Promise<void> {
    await this.redis.multi().set(this.k('scopes', connector), JSON.stringify({ at, scopes })).del(this.k('scopes-error', connector)).exec();
  }

  /** `since` is the first failure of the current run of failures: kept until a listing succeeds. */
  async saveScopeListError(connector: string, error: string, at: number): Promise<void> {
    const prev = await this.getScopeListError(connector);
    await this.redis.set(this.k('scopes-error', connector), JSON.stringify({ at, error, since: prev?.since ?? at }));
  }

  async getScopeListError(connector: string): Promise<{ at: number; error: string; since: number } | null> {
    const v = await this.redis.get(this.k('scopes-error', connector));
    if (!v) return null;
    const e = JSON.parse(v) as { at: number; error: string; since?: number };
    return { ...e, since: e.since ?? e.at };
  }

  async getScopes(connector: string): Promise<{ at: number; scopes: Scope[] } | null> {
    const v = await this.redis.get(this.k('scopes', connector));
    return v ? (JSON.parse(v) as { at: number; scopes: Scope[] }) : null;
  }

  /** True unless the connector's latest attempt to list its scopes succeeded. */
  async scopesUnlisted(connector: string): Promise<boolean> {
    const [list, error] = await this.redis.mget(this.k('scopes', connector), this.k('scopes-error', connector));
    return list === null || error !== null;
  }

  /**
   * A failed scan never replaces the last good snapshot: it is only recorded as the latest scan. A complete
   * scan that found exactly what the last one did only moves the snapshot's time (`completeAt`): most scans
   * change nothing, and rewriting a scope of thousands of origins each time costs Redis memory churn and
   * AOF for no news.
   */
  async saveScan(scopeId: string, result: ScanResult, at: number): Promise<void> {
    const key = this.k('snap', scopeId);
    const next = snapshotAfter(result, at);
    const multi = this.redis.multi().hset(key, 'scan', JSON.stringify(next.scan));
    if (next.complete) {
      const digest = snapshotDigest(next.complete);
      if ((await this.redis.hget(key, 'completeDigest')) === digest) multi.hset(key, 'completeAt', String(at));
      else multi.hset(key, 'complete', JSON.stringify(next.complete), 'completeDigest', digest, 'completeAt', String(at));
      multi.hdel(key, 'failingSince');
    }
    // When the scope's scans started failing (or coming back partial): kept until the next complete scan.
    else multi.hsetnx(key, 'failingSince', String(at));
    await multi.exec();
  }

  /**
   * What the planner sees of each scope. `fresh` scans (a dry run's, kept in memory) are laid over the
   * stored snapshots by the same rule `saveScan` stores them with, so a dry run plans exactly what a real
   * run would, without recording a scan.
   */
  async getScopeViews(scopes: ReadonlyArray<{ id: string; connector: string }>, fresh?: ReadonlyMap<string, { result: ScanResult; at: number }>): Promise<ScopeView[]> {
    if (scopes.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const s of scopes) pipe.hmget(this.k('snap', s.id), 'scan', 'complete', 'completeAt');
    const rows = (await pipe.exec()) ?? [];
    return scopes.map((s, i) => {
      const [scanJson, completeJson, completeAt] = (rows[i]?.[1] as [string | null, string | null, string | null] | undefined) ?? [null, null, null];
      let scan = scanJson ? (JSON.parse(scanJson) as StoredScan) : null;
      let complete = completeJson ? (JSON.parse(completeJson) as StoredComplete) : null;
      if (complete && completeAt) complete.at = Number(completeAt);
      const f = fresh?.get(s.id);
      if (f) {
        const next = snapshotAfter(f.result, f.at);
        scan = next.scan;
        complete = next.complete ?? complete;
      }
      return scopeView(s, scan, complete);
    });
  }

  /**
   * What each scope's snapshot says for planning, without parsing its origins: the latest scan (its time
   * apart) and the digest of the last complete snapshot. Equal fingerprints mean equal scope views, bar
   * the scan times (see pipeline/quiet.ts).
   */
  async getScanFingerprints(scopeIds: readonly string[]): Promise<Array<{ scope: string; scannedAt: number; scan: string; completeDigest: string | null }>> {
    if (scopeIds.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of scopeIds) pipe.hmget(this.k('snap', id), 'scan', 'completeDigest');
    const rows = (await pipe.exec()) ?? [];
    return scopeIds.map((scope, i) => {
      const [scanJson, completeDigest] = (rows[i]?.[1] as [string | null, string | null] | undefined) ?? [null, null];
      const { at, ...rest } = scanJson ? (JSON.parse(scanJson) as StoredScan) : { at: 0 };
      return { scope, scannedAt: at, scan: JSON.stringify(rest), completeDigest };
    });
  }

  /** Latest scan of each scope, without its origins: what status pages and metrics need, cheaply. */
  async getScanSummaries(scopeIds: readonly string[]): Promise<ScanSummary[]> {
    if (scopeIds.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of scopeIds) pipe.hmget(this.k('snap', id), 'scan', 'failingSince');
    const rows = (await pipe.exec()) ?? [];
    return scopeIds.map((scope, i) => {
      const [scanJson, since] = (rows[i]?.[1] as [string | null, string | null] | undefined) ?? [null, null];
      const scan = scanJson ? (JSON.parse(scanJson) as StoredScan) : null;
      return {
        scope,
        status: scan?.status ?? 'never',
        scannedAt: scan?.at ?? 0,
        ...(scan?.error ? { error: scan.error } : {}),
        ...(scan && scan.status !== 'complete' ? { failingSince: since ? Number(since) : scan.at } : {}),
      };
    });
  }

  // ---- ownership registry ----

  async getRegistry(zoneId: string): Promise<Map<string, RegistryEntry>> {
    const all = await this.redis.hgetall(this.k('registry', zoneId));
    return new Map(Object.entries(all).map(([ip, v]) => [ip, JSON.parse(v) as RegistryEntry]));
  }

  async getRegistryEntries(zoneId: string, ips: string[]): Promise<Map<string, RegistryEntry>> {
    if (ips.length === 0) return new Map();
    const vals = await this.redis.hmget(this.k('registry', zoneId), ...ips);
    const out = new Map<string, RegistryEntry>();
    ips.forEach((ip, i) => {
      const v = vals[i];
      if (v) out.set(ip, JSON.parse(v) as RegistryEntry);
    });
    return out;
  }

  async setRegistry(zoneId: string, entries: ReadonlyArray<[string, RegistryEntry]>): Promise<void> {
    if (entries.length === 0) return;
    const flat: string[] = [];
    for (const [ip, e] of entries) flat.push(ip, JSON.stringify(e));
    await this.redis.hset(this.k('registry', zoneId), ...flat);
  }

  async forgetRegistry(zoneId: string, ips: readonly string[]): Promise<void> {
    if (ips.length === 0) return;
    await this.redis.hdel(this.k('registry', zoneId), ...ips);
  }

  // ---- tombstones ----

  async getTombstones(zoneId: string): Promise<Map<string, Tombstone>> {
    const all = await this.redis.hgetall(this.k('tombstones', zoneId));
    return new Map(Object.entries(all).map(([ip, v]) => [ip, JSON.parse(v) as Tombstone]));
  }

  async countTombstones(zoneId: string): Promise<number> {
    return this.redis.hlen(this.k('tombstones', zoneId));
  }

  async replaceTombstones(zoneId: string, tombstones: Record<string, Tombstone>): Promise<void> {
    const key = this.k('tombstones', zoneId);
    const flat = Object.entries(tombstones).flatMap(([ip, t]) => [ip, JSON.stringify(t)]);
    const multi = this.redis.multi().del(key);
    if (flat.length > 0) multi.hset(key, ...flat);
    await multi.exec();
  }

  // ---- plans ----

  /**
   * Plans that wrote (or would write) something are kept a week; a no-op plan, made every cycle and
   * superseded by the next, `noopTtlSeconds` (an hour unless the caller knows its cycle). A dry run's plan
   * is kept an hour for reading back by id, and stays out of the zone's list of plans: it is never the
   * zone's plan. Skipped and overflow entries are kept as a sample with totals (samplePlan): a zone with a
   * million desired origins stores kilobytes.
   */
  async savePlan(full: StoredPlan, opts: { noopTtlSeconds?: number } = {}): Promise<void> {
    const plan = samplePlan(full);
    if (plan.status === 'dry-run') {
      // Never listed as the zone's plan; only `recover` looks for the newest one (a review after a state loss).
      await this.redis.multi().set(this.k('plan', plan.id), JSON.stringify(plan), 'EX', 3600).set(this.k('zone', plan.zoneId, 'dry-run'), plan.id, 'EX', 3600).exec();
      return;
    }
    const ttl = plan.status === 'noop' ? (opts.noopTtlSeconds ?? 3600) : 7 * DAY;
    await this.redis
      .multi()
      .set(this.k('plan', plan.id), JSON.stringify(plan), 'EX', ttl)
      // A held plan saved again under its id moves to the front instead of appearing twice.
      .lrem(this.k('zone', plan.zoneId, 'plans'), 0, plan.id)
      .lpush(this.k('zone', plan.zoneId, 'plans'), plan.id)
      .ltrim(this.k('zone', plan.zoneId, 'plans'), 0, 99)
      .exec();
  }

  /** The zone's most recent plan of any kind (dry runs included). */
  async latestPlanId(zoneId: string): Promise<string | null> {
    const [listed, dry] = await Promise.all([this.redis.lindex(this.k('zone', zoneId, 'plans'), 0), this.redis.get(this.k('zone', zoneId, 'dry-run'))]);
    if (!listed || !dry) return listed ?? dry;
    const [a, b] = await Promise.all([this.getPlan(listed), this.getPlan(dry)]);
    return (b?.createdAt ?? 0) > (a?.createdAt ?? 0) ? dry : listed;
  }

  /** A no-op plan that still describes the zone (nothing changed since it was made) is kept while it does. */
  async keepNoopPlan(id: string, ttlSeconds: number): Promise<void> {
    await this.redis.expire(this.k('plan', id), ttlSeconds);
  }

  async getPlan(id: string): Promise<StoredPlan | null> {
    const v = await this.redis.get(this.k('plan', id));
    return v ? withTotals(JSON.parse(v) as StoredPlan) : null;
  }

  async updatePlan(id: string, patch: Partial<StoredPlan>): Promise<StoredPlan | null> {
    const plan = await this.getPlan(id);
    if (!plan) return null;
    const next = { ...plan, ...patch, updatedAt: Date.now() };
    await this.redis.set(this.k('plan', id), JSON.stringify(next), 'KEEPTTL');
    return next;
  }


  async recordBatch(planId: string, result: BatchResult): Promise<void> {
    const key = this.k('plan', planId, 'batches');
    // The first result recorded for a batch wins: a late duplicate (a retried job) must not overwrite it.
    await this.redis.multi().hsetnx(key, String(result.batch), JSON.stringify(result)).expire(key, 7 * DAY).exec();
  }

  /** The zone's most recent plans (the last 100 saved), newest first; expired ones are left out. */
  async listPlans(zoneId: string, n = 100): Promise<StoredPlan[]> {
    const ids = await this.redis.lrange(this.k('zone', zoneId, 'plans'), 0, n - 1);
    if (ids.length === 0) return [];
    const rows = await this.redis.mget(...ids.map((id) => this.k('plan', id)));
    return rows.flatMap((v) => (v ? [withTotals(JSON.parse(v) as StoredPlan)] : []));
  }

  async getBatches(planId: string): Promise<BatchResult[]> {
    const all = await this.redis.hvals(this.k('plan', planId, 'batches'));
    return all.map((v) => JSON.parse(v) as BatchResult).sort((a, b) => a.batch - b.batch);
  }


  /** The plan a zone's writes belong to now; a batch of any other plan is superseded and not sent. */
  async setCurrentPlan(zoneId: string, planId: string): Promise<void> {
    await this.redis.set(this.k('zone', zoneId, 'current'), planId);
  }

  async getCurrentPlan(zoneId: string): Promise<string | null> {
    return this.redis.get(this.k('zone', zoneId, 'current'));
  }

  // ---- zone status ----

  async setZoneStatus(zoneId: string, patch: ZoneStatus): Promise<void> {
    const flat = Object.entries(patch).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]));
    if (flat.length > 0) await this.redis.hset(this.k('zone', zoneId, 'status'), ...flat);
  }

  async clearZoneStatus(zoneId: string, field: keyof ZoneStatus): Promise<void> {
    await this.redis.hdel(this.k('zone', zoneId, 'status'), field);
  }

  async getZoneStatus(zoneId: string): Promise<ZoneStatus> {
    const all = await this.redis.hgetall(this.k('zone', zoneId, 'status'));
    const out: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(all)) out[k] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    return out as ZoneStatus;
  }

  // ---- guard: force and approval (one-shot) ----

  async setForce(zoneId: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.k('zone', zoneId, 'force'), '1', 'EX', ttlSeconds);
  }

  async takeForce(zoneId: string): Promise<boolean> {
    return (await this.redis.getdel(this.k('zone', zoneId, 'force'))) !== null;
  }

  async approve(zoneId: string, digest: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.k('zone', zoneId, 'approved'), digest, 'EX', ttlSeconds);
  }

  async approvedDigest(zoneId: string): Promise<string | null> {
    return this.redis.get(this.k('zone', zoneId, 'approved'));
  }

  async clearApproval(zoneId: string): Promise<void> {
    await this.redis.del(this.k('zone', zoneId, 'approved'));
  }

  // ---- Cloudflare: API family per zone, supported regions cache ----

  async getFamily(zoneId: string): Promise<'v1' | 'v2' | undefined> {
    const v = await this.redis.hget(this.k('cf', 'family'), zoneId);
    return v === 'v1' || v === 'v2' ? v : undefined;
  }

  async setFamily(zoneId: string, family: 'v1' | 'v2'): Promise<void> {
    await this.redis.hset(this.k('cf', 'family'), zoneId, family);
  }

  async getCached<T>(name: string): Promise<T | null> {
    const v = await this.redis.get(this.k('cache', name));
    return v ? (JSON.parse(v) as T) : null;
  }

  /** A cached value as stored (JSON text), for comparing without parsing. */
  async getCachedText(name: string): Promise<string | null> {
    return this.redis.get(this.k('cache', name));
  }

  async setCached(name: string, value: unknown, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.k('cache', name), JSON.stringify(value), 'EX', ttlSeconds);
  }

  // ---- recent errors (for `status`) ----

  // ---- event sources ----

  /** What one replica last reported about an event source (see src/events/health.ts). */
  async setEventSourceHealth(source: string, replica: string, report: EventSourceReport): Promise<void> {
    await this.redis.hset(this.k('events', 'sources'), `${source}\u0000${replica}`, JSON.stringify(report));
  }

  async getEventSourceHealth(): Promise<Array<EventSourceReport & { source: string; replica: string }>> {
    const all = await this.redis.hgetall(this.k('events', 'sources'));
    return Object.entries(all).map(([field, v]) => {
      const [source = field, replica = ''] = field.split('\u0000');
      return { ...(JSON.parse(v) as EventSourceReport), source, replica };
    });
  }

  async dropEventSourceHealth(fields: Array<{ source: string; replica: string }>): Promise<void> {
    if (fields.length > 0) await this.redis.hdel(this.k('events', 'sources'), ...fields.map((f) => `${f.source}\u0000${f.replica}`));
  }

  async recordError(where: string, message: string, at = Date.now()): Promise<void> {
    await this.redis.multi().lpush(this.k('errors'), JSON.stringify({ at, where, message })).ltrim(this.k('errors'), 0, 99).exec();
  }

  async recentErrors(n = 10): Promise<Array<{ at: number; where: string; message: string }>> {
    const rows = await this.redis.lrange(this.k('errors'), 0, n - 1);
    return rows.map((r) => JSON.parse(r) as { at: number; where: string; message: string });
  }

  // ---- scheduler bookkeeping ----

  /** A short lock so that N replicas starting together upsert the job scheduler once. */
  async tryLock(name: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.k('lock', name), String(process.pid), 'PX', ttlMs, 'NX')) === 'OK';
  }
}
