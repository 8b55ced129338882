import type { Config } from '../config/load.ts';
import type { Queues } from '../pipeline/queues.ts';
import { SCHEDULER_ID } from '../pipeline/scheduler.ts';
import { StateEpoch, type StateLoss, type ZoneRecovery } from '../state/epoch.ts';
import type { StateStore, ZoneStatus } from '../state/store.ts';

export interface ZoneReport extends Omit<ZoneStatus, 'skipped'> {
  id: string;
  name?: string;
  policy: string;
  /** Seconds since the last complete reconcile (null: never). */
  ageSeconds: number | null;
  ready: boolean;
  skippedByReason: Record<string, number>;
  /** While the zone recovers from a state loss: since when, deletes frozen, mappings listed for review. */
  recovery?: ZoneRecovery;
}

export interface StatusReport {
  at: number;
  zones: ZoneReport[];
  queues: Record<string, Record<string, number>>;
  workers: Record<string, number>;
  schedule: { everyMs: number | null; next: number | null };
  rateLimitedForMs: number;
  scopes: Array<{ connector: string; scope: string; status: string; scannedAt: number; error?: string }>;
  errors: Array<{ at: number; where: string; message: string }>;
  /** The last loss of the daemon's Redis state (null: none seen by this Redis). */
  stateLoss: StateLoss | null;
}

/**
 * One picture of the daemon, read from Redis so it is the same whichever replica (or CLI) asks:
 * `status`, the dashboard, /readyz and the metrics gauges all use it.
 */
export async function collectStatus(config: Config, state: StateStore, queues: Queues, opts: { errors?: number; scopes?: boolean } = {}): Promise<StatusReport> {
  const now = Date.now();
  const epoch = new StateEpoch(state.redis, config.redis.prefix, '');
  const zones = await Promise.all(
    config.zones.map(async (z): Promise<ZoneReport> => {
      const s = await state.getZoneStatus(z.id);
      const recovery = await epoch.recovery(z.id);
      const age = s.lastCompleteAt ? Math.round((now - s.lastCompleteAt) / 1000) : null;
      const { skipped, ...rest } = s;
      const skippedByReason = typeof skipped === 'string' ? (JSON.parse(skipped) as Record<string, number>) : {};
      return {
        id: z.id,
        ...(z.name ? { name: z.name } : {}),
        policy: z.policy,
        ...rest,
        ageSeconds: age,
        ready: age !== null && age * 1000 <= config.server.readyMaxAgeMs,
        skippedByReason,
        ...(recovery ? { recovery } : {}),
      };
    }),
  );
  const queueCounts: StatusReport['queues'] = {};
  const workers: StatusReport['workers'] = {};
  for (const [name, q] of Object.entries(queues)) {
    queueCounts[name] = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'waiting-children', 'prioritized');
    workers[name] = await q.getWorkersCount();
  }
  const sched = await queues.cycle.getJobScheduler(SCHEDULER_ID);
  const scopes: StatusReport['scopes'] = [];
  if (opts.scopes !== false) {
    for (const c of config.connectors) {
      const list = (await state.getScopes(c.name))?.scopes ?? [];
      for (const v of await state.getScanSummaries(list.map((s) => s.id))) scopes.push({ connector: c.name, ...v });
    }
  }
  return {
    at: now,
    zones,
    queues: queueCounts,
    workers,
    schedule: { everyMs: sched?.every ? Number(sched.every) : null, next: sched?.next ?? null },
    rateLimitedForMs: Math.max(0, await queues.apply.getRateLimitTtl()),
    scopes,
    errors: await state.recentErrors(opts.errors ?? 10),
    stateLoss: await epoch.loss(),
  };
}
