import type { Runtime } from '../pipeline/runtime.ts';
import { collectStatus } from './status.ts';

/** Sets the zone and scope gauges from Redis just before a scrape (see Metrics). */
export async function refreshGauges(rt: Runtime): Promise<void> {
  const { metrics: m, config, state, queues } = rt.ctx;
  const report = await collectStatus(config, state, queues, { errors: 0 });
  for (const g of [m.managed, m.unmanaged, m.budgetLeft, m.overflow, m.skipped, m.lastComplete, m.held, m.scopeStatus, m.scopeLastScan, m.stateLoss, m.possiblyOurs, m.deletesFrozen]) g.reset();
  if (report.stateLoss) m.stateLoss.set({ kind: report.stateLoss.kind }, report.stateLoss.detectedAt / 1000);
  for (const z of report.zones) {
    const zone = z.id;
    if (z.managed !== undefined) m.managed.set({ zone }, z.managed);
    if (z.unmanaged !== undefined) m.unmanaged.set({ zone }, z.unmanaged);
    if (z.budgetLeft !== undefined) m.budgetLeft.set({ zone }, z.budgetLeft);
    if (z.overflow !== undefined) m.overflow.set({ zone }, z.overflow);
    if (z.lastCompleteAt !== undefined) m.lastComplete.set({ zone }, z.lastCompleteAt / 1000);
    m.held.set({ zone }, z.heldPlanId ? 1 : 0);
    if (z.recovery && z.recovery.kind !== 'unverified') {
      m.possiblyOurs.set({ zone }, z.recovery.possiblyOurs ?? 0);
      m.deletesFrozen.set({ zone }, z.recovery.deletesFrozen ? 1 : 0);
    }
    for (const [reason, n] of Object.entries(z.skippedByReason)) m.skipped.set({ zone, reason }, n);
  }
  for (const s of report.scopes) {
    for (const status of ['complete', 'partial', 'failed', 'never']) m.scopeStatus.set({ connector: s.connector, scope: s.scope, status }, s.status === status ? 1 : 0);
    if (s.scannedAt) m.scopeLastScan.set({ connector: s.connector, scope: s.scope }, s.scannedAt / 1000);
  }
}
