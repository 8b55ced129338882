import type { Plan } from '../reconcile/types.ts';

export interface PlanCounts {
  create: number;
  update: number;
  delete: number;
  unchanged: number;
  skipped: number;
  skippedByReason: Record<string, number>;
  budgetLeft: number;
}

/**
 * The figures every plan printout starts with. Updates include repairs and take-overs (a value changes);
 * unchanged is every mapping the daemon keeps as it is (managed after the plan, minus what it writes).
 */
export function planCounts(plan: Pick<Plan, 'upserts' | 'deletes' | 'skipped' | 'budget'>): PlanCounts {
  const create = plan.upserts.filter((u) => u.kind === 'create' || u.kind === 'recreate').length;
  const skippedByReason: Record<string, number> = {};
  for (const s of plan.skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;
  return {
    create,
    update: plan.upserts.length - create,
    delete: plan.deletes.length,
    unchanged: Math.max(0, plan.budget.managedAfter - plan.upserts.length),
    skipped: plan.skipped.length,
    skippedByReason,
    budgetLeft: plan.budget.left,
  };
}

/** `N to create, N to update, N to delete, N unchanged, N skipped (by reason), budget left N`. */
export function planSummary(plan: Pick<Plan, 'upserts' | 'deletes' | 'skipped' | 'budget'>): string {
  const c = planCounts(plan);
  const reasons = Object.entries(c.skippedByReason)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  return `${c.create} to create, ${c.update} to update, ${c.delete} to delete, ${c.unchanged} unchanged, ${c.skipped} skipped${reasons ? ` (${reasons})` : ''}, budget left ${c.budgetLeft}`;
}
