import { createHash } from 'node:crypto';
import type { ScanResult, Scope } from '../../connectors/connector.ts';
import { scopeView, snapshotAfter, type CompleteSnapshot, type ScanSnapshot } from '../reconcile/snapshots.ts';
import type { ScopeView } from '../reconcile/types.ts';
import { StatePart } from './keys.ts';

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

/** What discovery left: each connector's listed scopes (or why listing failed) and each scope's snapshot. */
export class SnapshotStore extends StatePart {
  /** The last list a connector gave; a successful listing also clears the listing error. */
  async saveScopes(connector: string, scopes: Scope[], at: number): Promise<void> {
    await this.redis.multi().set(this.keys.scopes(connector), JSON.stringify({ at, scopes })).del(this.keys.scopesError(connector)).exec();
  }

  /** `since` is the first failure of the current run of failures: kept until a listing succeeds. */
  async saveScopeListError(connector: string, error: string, at: number): Promise<void> {
    const prev = await this.getScopeListError(connector);
    await this.redis.set(this.keys.scopesError(connector), JSON.stringify({ at, error, since: prev?.since ?? at }));
  }

  async getScopeListError(connector: string): Promise<{ at: number; error: string; since: number } | null> {
    const v = await this.redis.get(this.keys.scopesError(connector));
    if (!v) return null;
    const e = JSON.parse(v) as { at: number; error: string; since?: number };
    return { ...e, since: e.since ?? e.at };
  }

  async getScopes(connector: string): Promise<{ at: number; scopes: Scope[] } | null> {
    const v = await this.redis.get(this.keys.scopes(connector));
    return v ? (JSON.parse(v) as { at: number; scopes: Scope[] }) : null;
  }

  /** The connector's last list of scopes, and whether its latest attempt to list them failed (unlisted: true unless it succeeded), in one read. */
  async getScopeListing(connector: string): Promise<{ list: { at: number; scopes: Scope[] } | null; unlisted: boolean }> {
    const [list, error] = await this.redis.mget(this.keys.scopes(connector), this.keys.scopesError(connector));
    return { list: list ? (JSON.parse(list) as { at: number; scopes: Scope[] }) : null, unlisted: list === null || error !== null };
  }

  /**
   * A failed scan never replaces the last good snapshot: it is only recorded as the latest scan. A complete
   * scan that found exactly what the last one did only moves the snapshot's time (`completeAt`): most scans
   * change nothing, and rewriting a scope of thousands of origins each time costs Redis memory churn and
   * AOF for no news.
   */
  async saveScan(scopeId: string, result: ScanResult, at: number): Promise<void> {
    const key = this.keys.snapshot(scopeId);
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
    for (const s of scopes) pipe.hmget(this.keys.snapshot(s.id), 'scan', 'complete', 'completeAt');
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
    for (const id of scopeIds) pipe.hmget(this.keys.snapshot(id), 'scan', 'completeDigest');
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
    for (const id of scopeIds) pipe.hmget(this.keys.snapshot(id), 'scan', 'failingSince');
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
}
