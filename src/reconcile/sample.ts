import { PLAN_SAMPLE } from './plan.ts';
import type { Plan } from './types.ts';

/**
 * The plan as it is stored: the first `n` skipped and overflow entries (lists are in plan order, so
 * the head of a full plan is exactly what planning with `sample: n` gives), with its totals of all.
 */
export function samplePlan<P extends Plan>(plan: P, n = PLAN_SAMPLE): P {
  if (plan.skipped.length <= n && plan.overflow.length <= n) return plan;
  return { ...plan, skipped: plan.skipped.slice(0, n), overflow: plan.overflow.slice(0, n) };
}

/** A stored plan as read back: plans stored before `totals` existed listed every entry, so their lists are the totals. */
export function withTotals<P extends Pick<Plan, 'skipped' | 'overflow'> & { totals?: Plan['totals'] }>(plan: P): P & Pick<Plan, 'totals'> {
  if (plan.totals) return plan as P & Pick<Plan, 'totals'>;
  const skippedByReason: Plan['totals']['skippedByReason'] = {};
  for (const s of plan.skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;
  return { ...plan, totals: { skipped: plan.skipped.length, skippedByReason, overflow: plan.overflow.length } };
}
