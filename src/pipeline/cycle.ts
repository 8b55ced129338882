import type { Job } from 'bullmq';
import type { Connector, Scope } from '../../connectors/connector.ts';
import { mapBounded } from '../../connectors/shared/concurrency.ts';
import { formatDuration } from '../config/duration.ts';
import type { ZoneSettings } from '../reconcile/types.ts';
import type { PipelineContext } from './context.ts';
import { handBack } from './handback.ts';
import { checkEpoch } from './bootstrap.ts';
import { jobId, newCycleId, type CycleJob, type CycleResult, type DiscoverResult, type ReconcileJob, type ReconcileResult } from './jobs.ts';
import { quietAnswer } from './quiet.ts';
import { enqueueConfirm, observeEventToApplied } from './event-cycles.ts';

/** Reconciles of one zone coalesce: at most one runs and one waits (the latest request's data wins). */
export async function enqueueReconcile(ctx: Pick<PipelineContext, 'queues'>, data: ReconcileJob): Promise<string> {
  const j = await ctx.queues.reconcile.add('reconcile', data, { deduplication: { id: reconcileDedupId(data.zoneId, !!data.dryRun), keepLastIfActive: true } });
  return j.id!;
}

export function reconcileDedupId(zoneId: string, dryRun: boolean): string {
  return jobId('reconcile', zoneId, dryRun ? 'dry' : 'apply');
}

/** The connectors a zone draws from (all of them when its selector names none). */
export function zoneConnectors(ctx: Pick<PipelineContext, 'config'>, zone: ZoneSettings): string[] {
  const all = ctx.config.connectors.map((c) => c.name);
  const named = zone.select.connectors;
  return named && named.length > 0 ? all.filter((n) => named.includes(n)) : all;
}

/** Lists a connector's scopes; when listing fails, the last list is used (its scopes are still real). */
export async function listScopes(ctx: PipelineContext, name: string): Promise<{ scopes: Scope[]; error?: string }> {
  const connector = ctx.connectors.get(name);
  if (!connector) return { scopes: (await ctx.state.snapshots.getScopes(name))?.scopes ?? [], error: `connector "${name}" is not configured in this process` };
  try {
    const scopes = await askScopes(ctx, connector);
    await ctx.state.snapshots.saveScopes(name, scopes, Date.now());
    return { scopes };
  } catch (err) {
    const error = `listing scopes failed: ${(err as Error).message}`;
    await ctx.state.snapshots.saveScopeListError(name, error, Date.now());
    const last = await ctx.state.snapshots.getScopes(name);
    ctx.logger.warn({ connector: name, error, using: last?.scopes.length ?? 0 }, 'using the last known scopes');
    await ctx.state.errors.record(`scopes ${name}`, error);
    return { scopes: last?.scopes ?? [], error };
  }
}

/** Asks a connector for its scopes within the discover timeout; stores nothing (a dry run calls it too). */
export async function askScopes(ctx: Pick<PipelineContext, 'config'>, connector: Connector): Promise<Scope[]> {
  const timeoutMs = ctx.config.schedule.discoverTimeoutMs;
  const signal = AbortSignal.timeout(timeoutMs);
  return Promise.race([
    connector.listScopes(signal),
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error(`timed out after ${formatDuration(timeoutMs)}`)), { once: true })),
  ]);
}

/**
 * One pass: list the scopes the zones need, discover each (one job per scope, deduplicated across
 * cycles), then enqueue one reconcile per zone that is not quiet. Reconciles are deduplicated per zone with
 * keepLastIfActive: at most one runs and one waits, so a zone's reconciles never overlap.
 */
export async function processCycle(ctx: PipelineContext, job: Job<CycleJob>, token?: string): Promise<CycleResult> {
  const cycleId = job.data.cycleId ?? newCycleId();
  const zones = job.data.zones ? ctx.config.zones.filter((z) => job.data.zones!.includes(z.id)) : ctx.config.zones;
  const names = [...new Set(zones.flatMap((z) => zoneConnectors(ctx, z)))];
  const listErrors: CycleResult['listErrors'] = [];
  // A targeted (event) cycle rediscovers scopes it already knows: listing every scope again per event
  // would cost the vendor API more than the scan itself.
  const targeted = (job.data.reason === 'event' || job.data.reason === 'confirm') && job.data.scopes !== undefined;
  const lists = await mapBounded(names, 4, async (name) => {
    if (targeted) {
      const stored = (await ctx.state.snapshots.getScopes(name))?.scopes.filter((s) => job.data.scopes!.includes(s.id)) ?? [];
      if (stored.length > 0) return stored;
    }
    const r = await listScopes(ctx, name);
    if (r.error) listErrors.push({ connector: name, error: r.error });
    return r.scopes;
  });
  let scopes = lists.flat();
  if (job.data.scopes) scopes = scopes.filter((s) => job.data.scopes!.includes(s.id));
  ctx.events.emit('scopes', { cycleId, total: scopes.length });

  const discoverIds = await Promise.all(
    scopes.map(async (scope) => {
      const j = await ctx.queues.discover.add('discover', { cycleId, connector: scope.connector, scope }, { deduplication: { id: jobId('discover', scope.id) } });
      return j.id!;
    }),
  );
  let finished;
  try {
    finished = await ctx.jobs.wait<DiscoverResult>(ctx.queues.discover, discoverIds, { signal: ctx.shutdown });
  } catch (err) {
    if (ctx.shutdown.aborted) throw await handBack(job, token, 0);
    throw err;
  }
  const results: CycleResult['scopes'] = finished.map((f, i) => {
    const scope = scopes[i]!.id;
    if (f.state === 'completed') return { scope, status: f.result.status, origins: f.result.origins, skipped: f.result.skipped, ...(f.result.error ? { error: f.result.error } : {}) };
    return { scope, status: 'unknown', origins: 0, skipped: 0, error: f.state === 'failed' ? f.error : 'discover job vanished' };
  });

  const discoveredAt = Date.now();
  const { cause } = job.data;
  // Before anything is read as ownership (the quiet check reads the registry), as a reconcile does.
  if (!job.data.dryRun) await checkEpoch(ctx);
  const reconciles = await Promise.all(
    zones.map(async (z): Promise<CycleResult['reconciles'][number]> => {
      const expect = job.data.expect?.[z.id];
      // A quiet zone is answered here: a reconcile job (its queueing, locking and events, ~80 Redis commands)
      // would only find the same. Reviewed writes and dry runs always plan.
      const quiet = job.data.dryRun || expect || job.data.reason === 'approve' ? null : await quietAnswer(ctx, z, ctx.logger.child({ zone: z.id, cycle: cycleId }));
      if (quiet) {
        const result: ReconcileResult = { zoneId: z.id, cycleId, ...quiet, status: 'noop', upserts: 0, deletes: 0, failed: 0, requests: 0 };
        observeEventToApplied(ctx, job.data, result);
        return { zoneId: z.id, jobId: '', result };
      }
      const jobId = await enqueueReconcile(ctx, {
        cycleId,
        zoneId: z.id,
        reason: job.data.reason,
        ...(job.data.dryRun ? { dryRun: true } : {}),
        ...(expect ? { expect } : {}),
        ...(cause ? { cause } : {}),
      });
      return { zoneId: z.id, jobId };
    }),
  );
  if (job.data.reason === 'event' && !job.data.dryRun) {
    await enqueueConfirm(ctx, scopes.map((s) => s.id), zones.map((z) => z.id), cause);
  }
  return { cycleId, scopes: results, listErrors, reconciles, discoveredAt };
}
