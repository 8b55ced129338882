import { unverifiedVerdict, type RecoveryInput } from '../reconcile/recovery.ts';
import type { Plan } from '../reconcile/types.ts';
import type { PlanStatus } from '../state/store.ts';
import { witness } from './bootstrap.ts';
import type { PipelineContext } from './context.ts';

/**
 * Plans a zone under the recovery rule while it recovers from a state loss (see reconcile/recovery.ts).
 * A zone `unverified` (first seen by a daemon that remembers no state) is settled here, on its first
 * real reconcile: a fresh install or an upgrade leaves recovery; a zone that looks like an earlier life
 * of the daemon (no ownership, identical mappings) becomes a suspected loss.
 */
export async function planWithRecovery(ctx: Pick<PipelineContext, 'epoch' | 'logger' | 'state'>, zoneId: string, dryRun: boolean, registrySize: number, plan: (recovery?: RecoveryInput) => Plan): Promise<Plan> {
  const rec = await ctx.epoch.recovery(zoneId);
  if (!rec) return plan();
  if (rec.kind !== 'unverified') return plan({ reown: rec.kind === 'detected', freezeDeletes: rec.deletesFrozen });
  const probe = plan({ reown: false, freezeDeletes: true });
  const verdict = unverifiedVerdict(registrySize, probe.recovery!.identical.length);
  if (dryRun) return verdict === 'suspected' ? probe : plan();
  if (verdict !== 'suspected') {
    await ctx.epoch.endRecovery(zoneId);
    return plan();
  }
  const now = Date.now();
  const epoch = (await ctx.epoch.getEpoch())?.id ?? 'unknown';
  await ctx.epoch.setRecovery(zoneId, { since: now, kind: 'suspected', deletesFrozen: true });
  await ctx.epoch.recordLoss({ kind: 'suspected', detectedAt: now, epoch, by: `${witness()} zone ${zoneId}` }, []);
  const n = probe.recovery!.identical.length;
  const message =
    `zone ${zoneId}: suspected loss of the daemon's Redis state: no ownership recorded, yet ${n} mapping(s) are identical to what the daemon wants. ` +
    'Nothing is re-owned automatically; review `status` and the plan, then `recover --zone` (or `recover --zone --dismiss` for a genuine first install).';
  ctx.logger.error({ zone: zoneId, identical: n, possiblyOurs: probe.recovery!.possiblyOurs.length }, message);
  await ctx.state.errors.record(`reconcile ${zoneId}`, message, now);
  return probe;
}

/**
 * After a zone's plan under recovery: keep its figures for `status`; its first complete reconcile
 * (applied or nothing to do) releases the deletes; with the deletes released and nothing left to review,
 * the zone has recovered.
 */
export async function afterRecoveryPlan(ctx: PipelineContext, zoneId: string, plan: Plan, status: PlanStatus): Promise<void> {
  if (!plan.recovery) return;
  const rec = await ctx.epoch.recovery(zoneId);
  if (!rec || rec.kind === 'unverified') return;
  const complete = status === 'applied' || status === 'noop';
  const next = { ...rec, reowned: plan.recovery.reowned, possiblyOurs: plan.recovery.possiblyOurs.length, deletesFrozen: rec.deletesFrozen && !complete };
  const log = ctx.logger.child({ zone: zoneId });
  if (rec.deletesFrozen && !next.deletesFrozen) log.warn({ frozenDeletes: plan.recovery.frozenDeletes }, 'first complete reconcile after the state loss: deletes released');
  if (!next.deletesFrozen && next.possiblyOurs === 0) {
    await ctx.epoch.endRecovery(zoneId);
    log.warn({ reowned: next.reowned }, 'zone recovered from the state loss: nothing left to review');
    return;
  }
  await ctx.epoch.setRecovery(zoneId, next);
}
