import { randomBytes } from 'node:crypto';
import type { Scope } from '../../connectors/connector.ts';
import type { PipelineContext } from './context.ts';
import { zoneConnectors } from './cycle.ts';
import { jobId, newCycleId, type EventCause, type ReconcileResult } from './jobs.ts';

/**
 * The zones a scope feeds: those whose selector draws from the scope's connector. The planner's own
 * selector (vendors, regions, tags) still decides what each takes from it.
 */
export function zonesOfScope(ctx: Pick<PipelineContext, 'config'>, scope: Pick<Scope, 'connector'>): string[] {
  return ctx.config.zones.filter((z) => zoneConnectors(ctx, z).includes(scope.connector)).map((z) => z.id);
}

/**
 * Asks for a rediscovery of one scope because of an event: a cycle job delayed by `events.debounce`, one
 * per scope. Every event for the scope that arrives while it waits joins it (BullMQ deduplication), and
 * one that arrives while it runs leaves exactly one more behind it (keepLastIfActive), so a burst costs
 * a few scans, never one per event. Resolves once the job is in Redis; `joined` says whether the event
 * was coalesced into a job already there.
 */
export async function enqueueEventCycle(ctx: Pick<PipelineContext, 'config' | 'queues'>, scope: Scope, cause: EventCause): Promise<{ jobId: string; joined: boolean }> {
  const requested = uniqueJobId('ev');
  const job = await ctx.queues.cycle.add(
    'cycle',
    { cycleId: newCycleId(), reason: 'event', zones: zonesOfScope(ctx, scope), scopes: [scope.id], cause },
    { jobId: requested, delay: ctx.config.events.debounceMs, deduplication: { id: jobId('event', scope.id), keepLastIfActive: true } },
  );
  return { jobId: job.id!, joined: job.id !== requested };
}

/**
 * After an event-triggered scan, a second scan of the same scopes, so a released address is removed
 * within about `confirmAfter` instead of at the next scheduled cycle. It waits for whichever ends later,
 * `confirmAfter` or the zones' `deleteGrace` (misses must span that long), and each new event-triggered
 * scan pushes it back (reschedule), so the last scan of a burst is always confirmed.
 */
export async function enqueueConfirm(ctx: Pick<PipelineContext, 'config' | 'queues'>, scopes: readonly string[], zones: readonly string[], cause: EventCause | undefined): Promise<void> {
  const grace = Math.max(0, ...ctx.config.zones.filter((z) => zones.includes(z.id)).map((z) => z.deleteGrace));
  const delay = Math.max(ctx.config.events.confirmAfterMs, grace);
  await Promise.all(
    scopes.map((scope) =>
      ctx.queues.cycle.add(
        'cycle',
        { cycleId: newCycleId(), reason: 'confirm', zones: [...zones], scopes: [scope], ...(cause ? { cause } : {}) },
        { jobId: uniqueJobId('cf'), delay, deduplication: { id: jobId('confirm', scope), reschedule: true, keepLastIfActive: true } },
      ),
    ),
  );
}

/** A job id of our own choosing: BullMQ hands back another when the job was deduplicated into one already there. */
function uniqueJobId(kind: string): string {
  return `${kind}-${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

/** An event's path ends where its zone is as wanted: applied, or found with nothing to do. */
export function observeEventToApplied(ctx: Pick<PipelineContext, 'metrics'>, job: { cause?: EventCause; reason: string; dryRun?: boolean }, result: ReconcileResult): void {
  const { cause } = job;
  if (cause && job.reason === 'event' && !job.dryRun && (result.status === 'applied' || result.status === 'noop')) {
    ctx.metrics.eventToApplied.observe({ source: cause.source, result: result.status }, (Date.now() - cause.receivedAt) / 1000);
  }
}
