import { describe, expect, it } from 'vitest';
import { planZone, samplePlan, withTotals } from '../../src/reconcile/index.ts';
import { input, origin, view, zone } from '../helpers/plan-fixtures.ts';

const ip = (i: number) => `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const big = input({ zone: zone({ maxMappings: 10 }), scopes: [view(Array.from({ length: 300 }, (_, i) => origin(ip(i))))] });

describe('stored plans: a sample of the long lists, with totals', () => {
  it('keeps the first entries of a full plan, which is what planning with a sample gives', () => {
    const full = planZone(big);
    expect(full.overflow).toHaveLength(290);
    const stored = samplePlan(full, 100);
    expect(stored).toEqual(planZone({ ...big, sample: 100 }));
    expect(stored.overflow).toHaveLength(100);
    expect(stored.totals).toEqual({ skipped: 290, skippedByReason: { 'over-budget': 290 }, overflow: 290 });
  });

  it('reads a plan stored before totals existed as complete lists', () => {
    const { totals: _t, ...old } = planZone(big);
    expect(withTotals(old).totals).toEqual({ skipped: 290, skippedByReason: { 'over-budget': 290 }, overflow: 290 });
  });
});
