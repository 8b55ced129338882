import type { ZoneSettings } from '../reconcile/types.ts';
import { enqueueReconcile, zoneConnectors } from './cycle.ts';
import type { Trigger } from './jobs.ts';
import type { Runtime } from './runtime.ts';

/** `full`: read the zones' lists from Cloudflare in full instead of from the list cache (`resync --full`). */
export type ResyncRequest = { zone?: string; scope?: string; full?: boolean; reason: Trigger };

/**
 * An on-demand resync (CLI, HTTP API): a cycle for one zone (or all), optionally rediscovering one scope
 * only. Requests for the same zones coalesce in the queue, so a burst becomes one run plus one waiting.
 */
export async function requestResync(rt: Runtime, req: ResyncRequest): Promise<{ ok: true; jobId: string; zones: string[] } | { ok: false; error: string }> {
  const { config } = rt.ctx;
  let zones: string[] | undefined;
  let zone: ZoneSettings | undefined;
  if (req.zone !== undefined) {
    zone = config.zones.find((x) => x.id === req.zone || x.name === req.zone);
    if (!zone) return { ok: false, error: `no zone "${req.zone}" in the configuration (zones: ${config.zones.map((x) => x.name ?? x.id).join(', ')})` };
    zones = [zone.id];
  }
  if (req.scope !== undefined) {
    const refused = await unknownScope(rt, req.scope, zone);
    if (refused) return { ok: false, error: refused };
  }
  // Asked for before the cycle is queued: whichever reconcile of the zone runs next reads in full.
  if (req.full) {
    const cache = rt.ctx.state.lists;
    const asker = req.reason === 'api' ? 'POST /resync with full' : 'resync --full';
    for (const z of zones ?? config.zones.map((x) => x.id)) await cache.requestFull(z, `full read asked for (${asker})`);
  }
  const job = await rt.enqueueCycle({ reason: req.reason, ...(zones ? { zones } : {}), ...(req.scope ? { scopes: [req.scope] } : {}) });
  return { ok: true, jobId: job.id!, zones: zones ?? config.zones.map((z) => z.id) };
}

/**
 * A scope id must be one the connectors listed (as last stored in Redis) and, with a zone, one that zone
 * selects: otherwise the resync would discover nothing and say nothing.
 */
async function unknownScope(rt: Runtime, scopeId: string, zone: ZoneSettings | undefined): Promise<string | null> {
  const { config, state } = rt.ctx;
  const names = zone ? zoneConnectors(rt.ctx, zone) : config.connectors.map((c) => c.name);
  const known = (await Promise.all(names.map(async (n) => (await state.snapshots.getScopes(n))?.scopes.map((s) => s.id) ?? []))).flat();
  if (known.includes(scopeId)) return null;
  const where = zone ? `zone ${zone.name ?? zone.id} selects` : 'the connectors listed';
  const list = known.length === 0 ? 'none listed yet: a daemon lists them at its first cycle' : `${known.slice(0, 20).join(', ')}${known.length > 20 ? `, … (${known.length} in all; see \`status\`)` : ''}`;
  if (zone && config.connectors.some((c) => !names.includes(c.name) && scopeId.startsWith(`${c.name}/`))) {
    return `scope "${scopeId}" is not selected by zone ${zone.name ?? zone.id} (its scopes: ${list})`;
  }
  return `no scope "${scopeId}" among those ${where} (scopes: ${list})`;
}

/**
 * Releases a plan held by the guard. The approval names the plan's exact changes (its digest): the next
 * reconcile of the zone re-plans from fresh state and applies only if it would make the same writes;
 * if anything changed meanwhile it holds the new plan instead, for a new look.
 */
export async function approvePlan(rt: Runtime, planId: string): Promise<{ ok: true; jobId: string; zoneId: string } | { ok: false; status: number; error: string }> {
  const { state, config } = rt.ctx;
  const plan = await state.plans.get(planId);
  if (!plan) return { ok: false, status: 404, error: `no plan ${planId} (plans are kept 7 days)` };
  if (plan.status !== 'held') return { ok: false, status: 409, error: `plan ${planId} is ${plan.status}, not held: nothing to approve` };
  const zs = await state.zones.get(plan.zoneId);
  if (zs.heldPlanId !== planId) return { ok: false, status: 409, error: `plan ${planId} was superseded${zs.heldPlanId ? ` by ${zs.heldPlanId}` : ''}: review and approve the newest plan` };
  if (!config.zones.some((z) => z.id === plan.zoneId)) return { ok: false, status: 409, error: `zone ${plan.zoneId} is no longer in the configuration` };
  await state.guard.approve(plan.zoneId, plan.digest, 24 * 3600);
  const jobId = await enqueueReconcile(rt.ctx, { cycleId: plan.cycleId, zoneId: plan.zoneId, reason: 'approve' });
  rt.ctx.logger.info({ plan: planId, zone: plan.zoneId }, 'plan approved');
  return { ok: true, jobId, zoneId: plan.zoneId };
}
