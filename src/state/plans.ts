import { samplePlan, withTotals } from '../reconcile/sample.ts';
import type { Plan } from '../reconcile/types.ts';
import type { EventCause } from '../pipeline/jobs.ts';
import { StatePart } from './keys.ts';

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

/** Plans and their batch results, each zone's list of recent plans, and the plan its writes belong to now. */
export class PlanStore extends StatePart {
  /**
   * Plans that wrote (or would write) something are kept a week; a no-op plan, made every cycle and
   * superseded by the next, `noopTtlSeconds` (an hour unless the caller knows its cycle). A dry run's plan
   * is kept an hour for reading back by id, and stays out of the zone's list of plans: it is never the
   * zone's plan. Skipped and overflow entries are kept as a sample with totals (samplePlan): a zone with a
   * million desired origins stores kilobytes.
   */
  async save(full: StoredPlan, opts: { noopTtlSeconds?: number } = {}): Promise<void> {
    const plan = samplePlan(full);
    if (plan.status === 'dry-run') {
      // Never listed as the zone's plan; only `recover` looks for the newest one (a review after a state loss).
      await this.redis.multi().set(this.keys.plan(plan.id), JSON.stringify(plan), 'EX', 3600).set(this.keys.zoneDryRun(plan.zoneId), plan.id, 'EX', 3600).exec();
      return;
    }
    const ttl = plan.status === 'noop' ? (opts.noopTtlSeconds ?? 3600) : 7 * DAY;
    await this.redis
      .multi()
      .set(this.keys.plan(plan.id), JSON.stringify(plan), 'EX', ttl)
      // A held plan saved again under its id moves to the front instead of appearing twice.
      .lrem(this.keys.zonePlans(plan.zoneId), 0, plan.id)
      .lpush(this.keys.zonePlans(plan.zoneId), plan.id)
      .ltrim(this.keys.zonePlans(plan.zoneId), 0, 99)
      .exec();
  }

  /** The zone's most recent plan of any kind (dry runs included). */
  async latestId(zoneId: string): Promise<string | null> {
    const [listed, dry] = await Promise.all([this.redis.lindex(this.keys.zonePlans(zoneId), 0), this.redis.get(this.keys.zoneDryRun(zoneId))]);
    if (!listed || !dry) return listed ?? dry;
    const [a, b] = await Promise.all([this.get(listed), this.get(dry)]);
    return (b?.createdAt ?? 0) > (a?.createdAt ?? 0) ? dry : listed;
  }

  /** A no-op plan that still describes the zone (nothing changed since it was made) is kept while it does. */
  async keepNoop(id: string, ttlSeconds: number): Promise<void> {
    await this.redis.expire(this.keys.plan(id), ttlSeconds);
  }

  async get(id: string): Promise<StoredPlan | null> {
    const v = await this.redis.get(this.keys.plan(id));
    return v ? withTotals(JSON.parse(v) as StoredPlan) : null;
  }

  async update(id: string, patch: Partial<StoredPlan>): Promise<StoredPlan | null> {
    const plan = await this.get(id);
    if (!plan) return null;
    const next = { ...plan, ...patch, updatedAt: Date.now() };
    await this.redis.set(this.keys.plan(id), JSON.stringify(next), 'KEEPTTL');
    return next;
  }


  async recordBatch(planId: string, result: BatchResult): Promise<void> {
    const key = this.keys.batches(planId);
    // The first result recorded for a batch wins: a late duplicate (a retried job) must not overwrite it.
    await this.redis.multi().hsetnx(key, String(result.batch), JSON.stringify(result)).expire(key, 7 * DAY).exec();
  }

  /** The zone's most recent plans (the last 100 saved), newest first; expired ones are left out. */
  async list(zoneId: string, n = 100): Promise<StoredPlan[]> {
    const ids = await this.redis.lrange(this.keys.zonePlans(zoneId), 0, n - 1);
    if (ids.length === 0) return [];
    const rows = await this.redis.mget(...ids.map((id) => this.keys.plan(id)));
    return rows.flatMap((v) => (v ? [withTotals(JSON.parse(v) as StoredPlan)] : []));
  }

  async getBatches(planId: string): Promise<BatchResult[]> {
    const all = await this.redis.hvals(this.keys.batches(planId));
    return all.map((v) => JSON.parse(v) as BatchResult).sort((a, b) => a.batch - b.batch);
  }


  /** The plan a zone's writes belong to now; a batch of any other plan is superseded and not sent. */
  async setCurrent(zoneId: string, planId: string): Promise<void> {
    await this.redis.set(this.keys.currentPlan(zoneId), planId);
  }

  async getCurrent(zoneId: string): Promise<string | null> {
    return this.redis.get(this.keys.currentPlan(zoneId));
  }
}
