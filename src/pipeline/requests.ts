import { enqueueReconcile } from './cycle.ts';
import type { Trigger } from './jobs.ts';
import type { Runtime } from './runtime.ts';

export type ResyncRequest = { zone?: string; scope?: string; reason: Trigger };

/**
 * An on-demand resync (CLI, HTTP API): a cycle for one zone (or all), optionally rediscovering one scope
 * only. Requests for the same zones coalesce in the queue, so a burst becomes one run plus one waiting.
 */
export async function requestResync(rt: Runtime, req: ResyncRequest): Promise<{ ok: true; jobId: string; zones: string[] } | { ok: false; error: string }> {
  const { config } = rt.ctx;
  let zones: string[] | undefined;
  if (req.zone !== undefined) {
    const z = config.zones.find((x) => x.id === req.zone || x.name === req.zone);
    if (!z) return { ok: false, error: `no zone "${req.zone}" in the configuration (zones: ${config.zones.map((x) => x.name ?? x.id).join(', ')})` };
    zones = [z.id];
  }
  const job = await rt.enqueueCycle({ reason: req.reason, ...(zones ? { zones } : {}), ...(req.scope ? { scopes: [req.scope] } : {}) });
  return { ok: true, jobId: job.id!, zones: zones ?? config.zones.map((z) => z.id) };
}

/**
 * Releases a plan held by the guard. The approval names the plan's exact changes (its digest): the next
 * reconcile of the zone re-plans from fresh state and applies only if it would make the same writes;
 * if anything changed meanwhile it holds the new plan instead, for a new look.
 */
export async function approvePlan(rt: Runtime, planId: string): Promise<{ ok: true; jobId: string; zoneId: string } | { ok: false; status: number; error: string }> {
  const { state, config } = rt.ctx;
  const plan = await state.getPlan(planId);
  if (!plan) return { ok: false, status: 404, error: `no plan ${planId} (plans are kept 7 days)` };
  if (plan.status !== 'held') return { ok: false, status: 409, error: `plan ${planId} is ${plan.status}, not held: nothing to approve` };
  const zs = await state.getZoneStatus(plan.zoneId);
  if (zs.heldPlanId !== planId) return { ok: false, status: 409, error: `plan ${planId} was superseded${zs.heldPlanId ? ` by ${zs.heldPlanId}` : ''}: review and approve the newest plan` };
  if (!config.zones.some((z) => z.id === plan.zoneId)) return { ok: false, status: 409, error: `zone ${plan.zoneId} is no longer in the configuration` };
  await state.approve(plan.zoneId, plan.digest, 24 * 3600);
  const jobId = await enqueueReconcile(rt.ctx, { cycleId: plan.cycleId, zoneId: plan.zoneId, reason: 'approve' });
  rt.ctx.logger.info({ plan: planId, zone: plan.zoneId }, 'plan approved');
  return { ok: true, jobId, zoneId: plan.zoneId };
}
