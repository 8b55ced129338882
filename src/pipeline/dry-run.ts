import type { Scope } from '../../connectors/connector.ts';
import { mapBounded } from '../../connectors/shared/concurrency.ts';
import type { StoredPlan } from '../state/store.ts';
import type { PipelineContext } from './context.ts';
import { askScopes, zoneConnectors } from './cycle.ts';
import { logScan, scanScope, summary } from './discover.ts';
import { newCycleId, newPlanId, type CycleResult, type ReconcileResult, type Trigger } from './jobs.ts';
import { buildPlan, zoneScopes, type FreshDiscovery } from './reconcile.ts';
import type { OnceResult } from './run-once.ts';

/**
 * What a dry run may touch: no queues (it can neither run nor add a job), and a Cloudflare client whose
 * family memory is read-only (see openReadOnly).
 */
export type DryRunContext = Omit<PipelineContext, 'queues' | 'jobs'>;

/**
 * `plan` and `sync --once --dry-run`: one cycle in this process, with no queue and no worker, so no job
 * pending for a daemon (a resync, an approved plan) can run here. It lists and scans the zones' scopes
 * with the code the workers use, lays the fresh scans over the stored snapshots in memory, and plans
 * each zone with the reconcile worker's plan-building code: the plan is the one a real run would make.
 * Cloudflare is only read. In Redis it writes one thing: the dry-run plan under its own id (an hour),
 * never listed as the zone's plan. Snapshots, scope lists, registry, tombstones, zone status, held and
 * current plans, recent errors, the supported_regions cache and the API family memory stay as they were.
 */
export async function dryRun(ctx: DryRunContext, data: { reason: Trigger; zones?: string[]; all?: boolean }): Promise<OnceResult> {
  const cycleId = newCycleId();
  const zones = data.zones ? ctx.config.zones.filter((z) => data.zones!.includes(z.id)) : ctx.config.zones;
  const names = [...new Set(zones.flatMap((z) => zoneConnectors(ctx, z)))];

  const listErrors: CycleResult['listErrors'] = [];
  const lists = new Map<string, { scopes: Scope[]; unlisted: boolean }>();
  const scopes = (
    await mapBounded(names, 4, async (name) => {
      const connector = ctx.connectors.get(name);
      if (connector) {
        try {
          const listed = await askScopes(ctx, connector);
          lists.set(name, { scopes: listed, unlisted: false });
          return listed;
        } catch (err) {
          listErrors.push({ connector: name, error: `listing scopes failed: ${(err as Error).message}` });
          // As in a real cycle: the last list is used, and the connector counts as unlisted (no deletes).
          const last = (await ctx.state.snapshots.getScopes(name))?.scopes ?? [];
          lists.set(name, { scopes: last, unlisted: true });
          return last;
        }
      }
      // Not configured here: a real cycle would use what another replica stored, and so does this.
      listErrors.push({ connector: name, error: `connector "${name}" is not configured in this process` });
      return (await ctx.state.snapshots.getScopes(name))?.scopes ?? [];
    })
  ).flat();
  ctx.events.emit('scopes', { cycleId, total: scopes.length });

  const scans = await mapBounded(scopes, ctx.config.worker.discoverConcurrency, async (scope) => {
    const scan = await scanScope(ctx, scope.connector, scope, ctx.shutdown);
    if (scan.made) logScan(ctx, scan);
    ctx.events.emit('scope', { ...summary(scan), cycleId });
    return scan;
  });
  const fresh: FreshDiscovery = { lists, scans: new Map(scans.filter((s) => s.made).map((s) => [s.scope.id, { result: s.result, at: s.at }])) };
  const discoveredAt = Date.now();

  const planned = await mapBounded(zones, ctx.config.worker.reconcileConcurrency, async (zone) => {
    const base: ReconcileResult = { zoneId: zone.id, cycleId, planId: null, status: 'dry-run', upserts: 0, deletes: 0, failed: 0, requests: 0 };
    try {
      const { plan, api, now } = await buildPlan(ctx, zone, await zoneScopes(ctx, zone, fresh), { signal: ctx.shutdown, cache: false, all: !!data.all });
      const stored: StoredPlan = { ...plan, id: newPlanId(zone.id, now), status: 'dry-run', reason: data.reason, cycleId, dryRun: true, api, updatedAt: now };
      await ctx.state.plans.save(stored);
      ctx.events.emit('plan', stored);
      ctx.logger.info({ zone: zone.id, plan: stored.id, upserts: plan.upserts.length, deletes: plan.deletes.length, skipped: plan.totals.skipped, guard: plan.guard.reason }, 'plan dry-run');
      return { result: { ...base, planId: stored.id }, plan: stored };
    } catch (err) {
      const error = (err as Error).message;
      ctx.logger.error({ zone: zone.id, error }, 'dry run: the zone could not be planned');
      return { result: { ...base, status: 'error', statusReason: error, failed: 1 }, plan: null };
    }
  });

  const cycle: CycleResult = {
    cycleId,
    scopes: scans.map((s) => {
      const r = summary(s);
      return { scope: r.scope, status: r.status, origins: r.origins, skipped: r.skipped, ...(r.error ? { error: r.error } : {}) };
    }),
    listErrors,
    // No job runs a dry run's zones: there is no job id to give.
    reconciles: zones.map((z) => ({ zoneId: z.id, jobId: '' })),
    discoveredAt,
  };
  return { cycle, zones: planned };
}
