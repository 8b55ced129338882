import type { StoredPlan } from '../state/store.ts';
import { reconcileDedupId } from './cycle.ts';
import type { CycleJob, CycleResult, ReconcileResult } from './jobs.ts';
import type { Runtime } from './runtime.ts';

export interface OnceResult {
  cycle: CycleResult;
  zones: Array<{ result: ReconcileResult; plan: StoredPlan | null }>;
}

/**
 * Runs one cycle through the queues and waits for it and for every zone's reconcile that saw its
 * snapshots. Used by `sync --once`, `plan`, `resync --wait` and the demo; the jobs may run in this
 * process or in a daemon's.
 */
export async function runOnce(rt: Runtime, data: CycleJob, opts: { signal?: AbortSignal } = {}): Promise<OnceResult> {
  const job = await rt.enqueueCycle(data);
  const [c] = await rt.ctx.jobs.wait<CycleResult>(rt.ctx.queues.cycle, [job.id!], opts);
  if (!c || c.state !== 'completed') throw new Error(`cycle ${job.id} ${c?.state === 'failed' ? `failed: ${c.error}` : 'vanished'}`);
  const cycle = c.result;
  const zones = await Promise.all(cycle.reconciles.map((r) => zoneOutcome(rt, r, cycle.discoveredAt, !!data.dryRun, opts.signal)));
  return { cycle, zones };
}

/** A zone's part of a cycle: the answer the cycle gave itself (a quiet zone), or its reconcile's. */
export async function zoneOutcome(rt: Runtime, r: CycleResult['reconciles'][number], notBefore: number, dry: boolean, signal?: AbortSignal): Promise<OnceResult['zones'][number]> {
  if (r.result) return { result: r.result, plan: r.result.planId ? await rt.ctx.state.plans.get(r.result.planId) : null };
  return waitForZone(rt, r.zoneId, r.jobId, notBefore, dry, signal);
}

/**
 * Reconciles of a zone coalesce (keepLastIfActive): ours may have been merged into one that was already
 * running, in which case the one after it is ours. Follow the chain until one started after discovery.
 */
export async function waitForZone(rt: Runtime, zoneId: string, id: string, notBefore: number, dry: boolean, signal?: AbortSignal): Promise<OnceResult['zones'][number]> {
  const queue = rt.ctx.queues.reconcile;
  const dedup = reconcileDedupId(zoneId, dry);
  for (;;) {
    const [f] = await rt.ctx.jobs.wait<ReconcileResult>(queue, [id], signal ? { signal } : {});
    const job = await queue.getJob(id);
    const next = await queue.getDeduplicationJobId(dedup);
    if (job && (job.processedOn ?? 0) < notBefore && next && next !== id) {
      id = next;
      continue;
    }
    if (!f || f.state !== 'completed') {
      const error = f?.state === 'failed' ? f.error : 'reconcile job vanished';
      return { result: { zoneId, cycleId: '', planId: null, status: 'error', statusReason: error, upserts: 0, deletes: 0, failed: 1, requests: 0 }, plan: null };
    }
    return { result: f.result, plan: f.result.planId ? await rt.ctx.state.plans.get(f.result.planId) : null };
  }
}
