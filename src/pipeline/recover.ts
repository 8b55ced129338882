import type { PossiblyOurs } from '../reconcile/recovery.ts';
import type { PipelineContext } from './context.ts';

/** The scope a claimed mapping is filed under: no scan lists it, so when nothing wants it, it counts as deselected. */
export const RECOVERED_SCOPE = 'recovered';

export interface RecoverResult {
  planId: string;
  /** Claimed (or, with dryRun, would be). */
  claimed: PossiblyOurs[];
  /** Listed in the plan but changed in Cloudflare since (or gone): not claimed, review again after the next reconcile. */
  changed: PossiblyOurs[];
  /** Asked for (--ip) but not in the list. */
  unknown: string[];
  /** True when the zone left recovery (nothing left to review, deletes already released, or dismissed). */
  ended: boolean;
}

export class RecoverError extends Error {}

/**
 * After a state loss, claims the mappings the zone's latest plan listed as "possibly ours, from before the
 * loss", once an operator has reviewed them. Only those Cloudflare still holds with the listed value are
 * claimed. Claiming writes ownership only, no Cloudflare request: from the next reconcile on, a claimed
 * mapping is the daemon's like any other (updated to what is wanted; when nothing wants it, deleted after
 * `deleteAfterMissedScans` reconciles, through the mass-change guard). `dismiss` claims nothing and ends
 * the zone's recovery (the freeze on deletes included).
 */
export async function recoverZone(ctx: PipelineContext, zoneId: string, opts: { dryRun?: boolean; ips?: string[]; dismiss?: boolean } = {}): Promise<RecoverResult> {
  const rec = await ctx.epoch.recovery(zoneId);
  if (!rec || rec.kind === 'unverified') throw new RecoverError(`zone ${zoneId} is not recovering from a state loss: nothing to claim`);
  const planId = await ctx.state.plans.latestId(zoneId);
  const plan = planId ? await ctx.state.plans.get(planId) : null;
  if (!plan?.recovery) throw new RecoverError(`zone ${zoneId} has no plan made since the state loss yet: wait for the next reconcile, or run \`plan --zone ${zoneId}\``);
  if (opts.dismiss) {
    if (!opts.dryRun) await ctx.epoch.endRecovery(zoneId);
    return { planId: plan.id, claimed: [], changed: [], unknown: [], ended: !opts.dryRun };
  }
  const listed = new Map(plan.recovery.possiblyOurs.map((p) => [p.ip, p]));
  const wanted = opts.ips && opts.ips.length > 0 ? opts.ips : [...listed.keys()];
  const unknown = wanted.filter((ip) => !listed.has(ip));
  const { mappings } = await ctx.cloudflare.listAll(zoneId);
  const current = new Map(mappings.map((m) => [m.ip, m]));
  const claimed: PossiblyOurs[] = [];
  const changed: PossiblyOurs[] = [];
  for (const ip of wanted) {
    const p = listed.get(ip);
    if (!p) continue;
    const cur = current.get(ip);
    (cur && cur.vendor === p.vendor && cur.region === p.region ? claimed : changed).push(p);
  }
  if (opts.dryRun) return { planId: plan.id, claimed, changed, unknown, ended: false };
  const now = Date.now();
  await ctx.state.registry.set(
    zoneId,
    claimed.map((p) => [p.ip, { vendor: p.vendor, region: p.region, scope: RECOVERED_SCOPE, planId: `recover:${plan.id}`, at: now }]),
  );
  const left = listed.size - claimed.length;
  const ended = left === 0 && !rec.deletesFrozen;
  if (ended) await ctx.epoch.endRecovery(zoneId);
  else await ctx.epoch.setRecovery(zoneId, { ...rec, possiblyOurs: left });
  ctx.logger.warn({ zone: zoneId, claimed: claimed.length, changed: changed.length, plan: plan.id }, 'claimed mappings from before the state loss');
  return { planId: plan.id, claimed, changed, unknown, ended };
}
