import { STALE_AFTER_MS } from '../events/health.ts';
import type { Scope } from '../../connectors/connector.ts';
import type { Config } from '../config/load.ts';
import { wildcardMatcher } from '../model/index.ts';
import { currentPause, type CloudflarePause } from '../pipeline/cloudflare-pace.ts';
import { zoneConnectors } from '../pipeline/cycle.ts';
import type { Queues } from '../pipeline/queues.ts';
import { SCHEDULER_ID } from '../pipeline/scheduler.ts';
import { driftCheckInterval, type DriftInterval } from '../pipeline/zone-list.ts';
import type { ZoneSettings } from '../reconcile/types.ts';
import { StateEpoch, type StateLoss, type ZoneRecovery } from '../state/epoch.ts';
import type { ScanSummary, StateStore, ZoneStatus } from '../state/store.ts';

/** A plan held by the guard: what it would do, apart from what is in the zone now. */
export interface PendingPlan {
  planId: string;
  upserts: number;
  deletes: number;
  /** The zone's figures if the plan were applied. */
  managedAfter: number;
  unmanagedAfter: number;
  budgetLeftAfter: number;
  overflow: number;
  reason: string;
}

/**
 * Scopes of the zone whose latest scan is failed or partial, and selected connectors that cannot list
 * their scopes. Nothing in them is deleted until they scan complete again.
 */
export interface Degraded {
  /** The earliest `since` below. */
  since: number;
  scopes: Array<{ scope: string; status: string; error?: string; since: number }>;
  connectors: Array<{ connector: string; error: string; since: number }>;
}

export interface ZoneReport extends Omit<ZoneStatus, 'skipped' | 'pending'> {
  id: string;
  name?: string;
  policy: string;
  /** Seconds since the last complete reconcile (null: never). */
  ageSeconds: number | null;
  ready: boolean;
  skippedByReason: Record<string, number>;
  pending: PendingPlan | null;
  degraded: Degraded | null;
  /** While the zone recovers from a state loss: since when, deletes frozen, mappings listed for review. */
  recovery?: ZoneRecovery;
}

export interface StatusReport {
  at: number;
  zones: ZoneReport[];
  queues: Record<string, Record<string, number>>;
  workers: Record<string, number>;
  schedule: { everyMs: number | null; next: number | null };
  /** A pause of Cloudflare writes in force (a 429, or a spent window), with why and until when. */
  cloudflarePause: CloudflarePause | null;
  /** Milliseconds left of that pause (0: none). */
  rateLimitedForMs: number;
  scopes: Array<{ connector: string } & ScanSummary>;
  errors: Array<{ at: number; where: string; message: string }>;
  /** The last loss of the daemon's Redis state (null: none seen by this Redis). */
  stateLoss: StateLoss | null;
  /** Each configured event source as each replica last reported it (stale: that replica went quiet). */
  events: EventSourceStatus[];
  /** How often each zone's list is read in full, as in force now. */
  driftCheck: DriftInterval;
}

export interface EventSourceStatus {
  source: string;
  type: string;
  replica: string | null;
  state: 'starting' | 'up' | 'down' | 'stale' | 'unreported';
  since: number | null;
  error?: string;
  lastMessageAt?: number;
  lagSeconds?: number;
}

/**
 * One picture of the daemon, read from Redis so it is the same whichever replica (or CLI) asks:
 * `status`, the dashboard, /readyz and the metrics gauges all use it.
 */
export async function collectStatus(config: Config, state: StateStore, queues: Queues, opts: { errors?: number; scopes?: boolean } = {}): Promise<StatusReport> {
  const now = Date.now();
  // Each connector's last listed scopes, their latest scans and listing errors: read once for every zone.
  const listed = new Map<string, { scopes: Scope[]; summaries: ScanSummary[]; listError: { error: string; since: number } | null }>();
  for (const c of config.connectors) {
    const scopes = (await state.snapshots.getScopes(c.name))?.scopes ?? [];
    listed.set(c.name, { scopes, summaries: await state.snapshots.getScanSummaries(scopes.map((s) => s.id)), listError: await state.snapshots.getScopeListError(c.name) });
  }
  const epoch = new StateEpoch(state.redis, config.redis.prefix, '');
  const zones = await Promise.all(
    config.zones.map(async (z): Promise<ZoneReport> => {
      const s = await state.zones.get(z.id);
      const recovery = await epoch.recovery(z.id);
      const age = s.lastCompleteAt ? Math.round((now - s.lastCompleteAt) / 1000) : null;
      const { skipped, pending, ...rest } = s;
      const skippedByReason = typeof skipped === 'string' ? (JSON.parse(skipped) as Record<string, number>) : {};
      return {
        id: z.id,
        ...(z.name ? { name: z.name } : {}),
        policy: z.policy,
        ...rest,
        ageSeconds: age,
        ready: age !== null && age * 1000 <= config.server.readyMaxAgeMs,
        skippedByReason,
        pending: s.heldPlanId && typeof pending === 'string' ? (JSON.parse(pending) as PendingPlan) : null,
        degraded: degradedOf(config, z, listed),
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
  if (opts.scopes !== false) for (const [connector, l] of listed) for (const v of l.summaries) scopes.push({ connector, ...v });
  const pause = await currentPause(state, now);
  return {
    at: now,
    zones,
    queues: queueCounts,
    workers,
    schedule: { everyMs: sched?.every ? Number(sched.every) : null, next: sched?.next ?? null },
    cloudflarePause: pause,
    driftCheck: await driftCheckInterval({ config, state }, now),
    rateLimitedForMs: pause ? pause.until - now : 0,
    scopes,
    errors: await state.errors.recent(opts.errors ?? 10),
    stateLoss: await epoch.loss(),
    events: await eventSources(config, state, now),
  };
}

/** The configured sources with every replica's report; a source nobody reported is `unreported` (no daemon runs it). */
async function eventSources(config: Config, state: StateStore, now: number): Promise<EventSourceStatus[]> {
  const reports = await state.eventSources.list();
  const configured = [...config.events.sources.map((s) => ({ name: s.name, type: s.type })), ...config.events.webhooks.map((w) => ({ name: w.name, type: 'webhook' }))];
  return configured.flatMap((c): EventSourceStatus[] => {
    const mine = reports.filter((r) => r.source === c.name).sort((a, b) => a.replica.localeCompare(b.replica));
    if (mine.length === 0) return [{ source: c.name, type: c.type, replica: null, state: 'unreported', since: null }];
    return mine.map((r) => ({
      source: c.name,
      type: c.type,
      replica: r.replica,
      state: now - r.at > STALE_AFTER_MS ? 'stale' : r.state,
      since: r.since,
      ...(r.error ? { error: r.error } : {}),
      ...(r.lastMessageAt ? { lastMessageAt: r.lastMessageAt } : {}),
      ...(r.lagSeconds !== undefined ? { lagSeconds: r.lagSeconds } : {}),
    }));
  });
}

/** The zone's selected scopes (its connectors, narrowed by vendor and region where a scope has one) that are not healthy. */
function degradedOf(config: Config, zone: ZoneSettings, listed: Map<string, { scopes: Scope[]; summaries: ScanSummary[]; listError: { error: string; since: number } | null }>): Degraded | null {
  const region = wildcardMatcher(zone.select.regions);
  const vendors = zone.select.vendors ?? [];
  const out: Degraded = { since: Infinity, scopes: [], connectors: [] };
  for (const name of zoneConnectors({ config }, zone)) {
    const l = listed.get(name);
    if (!l) continue;
    if (l.listError) out.connectors.push({ connector: name, error: l.listError.error, since: l.listError.since });
    l.scopes.forEach((scope, i) => {
      if (scope.vendor !== 'mixed' && vendors.length > 0 && !vendors.includes(scope.vendor)) return;
      if (scope.region !== '*' && !region(scope.region)) return;
      const v = l.summaries[i];
      if (!v || (v.status !== 'failed' && v.status !== 'partial')) return;
      out.scopes.push({ scope: v.scope, status: v.status, ...(v.error ? { error: v.error } : {}), since: v.failingSince ?? v.scannedAt });
    });
  }
  const all = [...out.scopes, ...out.connectors];
  if (all.length === 0) return null;
  out.since = Math.min(...all.map((x) => x.since));
  return out;
}
