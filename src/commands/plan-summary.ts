import { withTotals } from '../reconcile/sample.ts';
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

type Counted = Pick<Plan, 'upserts' | 'deletes' | 'skipped' | 'overflow' | 'budget'> & { totals?: Plan['totals'] };

/**
 * The figures every plan printout starts with. Updates include repairs and take-overs (a value changes);
 * unchanged is every mapping the daemon keeps as it is (managed after the plan, minus what it writes).
 * Skipped counts every skipped origin, not only those the plan lists (a stored plan keeps a sample).
 */
export function planCounts(plan: Counted): PlanCounts {
  const create = plan.upserts.filter((u) => u.kind === 'create' || u.kind === 'recreate').length;
  const { totals } = withTotals(plan);
  return {
    create,
    update: plan.upserts.length - create,
    delete: plan.deletes.length,
    unchanged: Math.max(0, plan.budget.managedAfter - plan.upserts.length),
    skipped: totals.skipped,
    skippedByReason: { ...totals.skippedByReason },
    budgetLeft: plan.budget.left,
  };
}

/**
 * Says how much of a list is shown: "showing 100 of 996,500" when a list holds a sample of its entries
 * (or the printout a part of them), empty when every entry is shown.
 */
export function shownOf(shown: number, total: number): string {
  return shown < total ? `showing ${shown.toLocaleString('en')} of ${total.toLocaleString('en')}` : '';
}

/** `N to create, N to update, N to delete, N unchanged, N skipped (by reason), budget left N`. */
export function planSummary(plan: Counted): string {
  const c = planCounts(plan);
  const reasons = Object.entries(c.skippedByReason)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  return `${c.create} to create, ${c.update} to update, ${c.delete} to delete, ${c.unchanged} unchanged, ${c.skipped} skipped${reasons ? ` (${reasons})` : ''}, budget left ${c.budgetLeft}`;
}
