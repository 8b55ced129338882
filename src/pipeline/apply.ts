import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { CloudflareApiError } from '../cloudflare/errors.ts';
import type { RegistryEntry } from '../reconcile/types.ts';
import type { BatchResult } from '../state/store.ts';
import { paceFromHeaders, pauseCloudflare } from './cloudflare-pace.ts';
import type { PipelineContext } from './context.ts';
import type { ApplyJob } from './jobs.ts';

/**
 * Sends one batch (≤100) to Cloudflare. Ownership is written to the registry before the request, as
 * pending, and confirmed (or rolled back) item by item from the response: a crash at any point leaves
 * a registry the next plan can trust. A batch of a superseded plan is not sent.
 */
export function applyProcessor(ctx: PipelineContext, worker: () => Worker) {
  return async (job: Job<ApplyJob>, _token?: string, signal?: AbortSignal): Promise<BatchResult> => {
    const d = job.data;
    const base = { batch: d.batch, kind: d.kind, sent: 0, succeeded: 0, failed: [] as BatchResult['failed'] };
    if ((await ctx.state.plans.getCurrent(d.zoneId)) !== d.planId) {
      const r: BatchResult = { ...base, superseded: true, error: 'superseded by a newer plan for the zone' };
      await ctx.state.plans.recordBatch(d.planId, r);
      return r;
    }
    try {
      const endTimer = ctx.metrics.applyDuration.startTimer({ kind: d.kind });
      const r = await (d.kind === 'upsert' ? upsertBatch(ctx, d, signal) : deleteBatch(ctx, d, signal)).finally(() => endTimer());
      await ctx.state.plans.recordBatch(d.planId, r);
      await audit(ctx, d, r.failed);
      ctx.metrics.writeItems.inc({ zone: d.zoneId, kind: d.kind, result: 'ok' }, r.succeeded);
      if (r.failed.length > 0) {
        ctx.metrics.writeItems.inc({ zone: d.zoneId, kind: d.kind, result: 'failed' }, r.failed.length);
        ctx.logger.warn({ zone: d.zoneId, plan: d.planId, batch: d.batch, failed: r.failed.slice(0, 10), count: r.failed.length }, 'Cloudflare refused some items of a batch');
      }
      await paceFromHeaders(ctx);
      return r;
    } catch (err) {
      if (!(err instanceof CloudflareApiError)) throw err;
      if (err.outcome === 'rate_limited') {
        // Not a failure: the job goes back to wait and the whole queue pauses until the window reopens.
        const ms = err.retryAfterMs ?? 60_000;
        await pauseCloudflare(ctx, ms, err.retryAfterMs === undefined ? '429 from Cloudflare (no Retry-After: 60s)' : `429 from Cloudflare (Retry-After ${Math.ceil(ms / 1000)}s)`);
        await worker().rateLimit(ms);
        throw Worker.RateLimitError();
      }
      // The request reached Cloudflare: a 4xx changed nothing, anything else may have landed.
      await audit(ctx, d, d.items.map((i) => ({ ip: i.ip, error: err.message })), err.status !== null && err.status < 500 ? 'failed' : 'unknown');
      const attempts = job.opts.attempts ?? 1;
      const final = !err.retryable || job.attemptsMade + 1 >= attempts;
      if (final) {
        await ctx.state.plans.recordBatch(d.planId, { ...base, sent: d.items.length, error: err.message });
        // `unknown`: the items may have landed; the next list read settles them (counted apart from refusals).
        ctx.metrics.writeItems.inc({ zone: d.zoneId, kind: d.kind, result: err.outcome === 'unknown' ? 'unknown' : 'failed' }, d.items.length);
      }
      if (!err.retryable) throw new UnrecoverableError(err.message);
      throw err;
    }
  };
}

async function upsertBatch(ctx: PipelineContext, d: Extract<ApplyJob, { kind: 'upsert' }>, signal?: AbortSignal): Promise<BatchResult> {
  const ips = d.items.map((i) => i.ip);
  const before = await ctx.state.registry.getEntries(d.zoneId, ips);
  const entry = (i: (typeof d.items)[number], pending: boolean): [string, RegistryEntry] => [
    i.ip,
    { vendor: i.vendor, region: i.region, scope: i.scope, planId: d.planId, at: Date.now(), ...(pending ? { pending: true } : {}) },
  ];
  await ctx.state.registry.set(d.zoneId, d.items.map((i) => entry(i, true)));
  let res;
  try {
    res = await ctx.cloudflare.upsertBatch(d.zoneId, d.items.map(({ ip, vendor, region }) => ({ ip, vendor, region })), signal);
  } catch (err) {
    // A 4xx wrote nothing: restore the registry. After a 5xx, no answer, or an unreadable answer
    // (`unknown`) the write may have landed: the pending entries stay, and the next plan settles them
    // from Cloudflare's list (owned if it holds exactly this value, dropped otherwise).
    if (err instanceof CloudflareApiError && err.outcome !== 'unknown' && err.status !== null && err.status < 500) await restore(ctx, d.zoneId, ips, before);
    throw err;
  }
  const ok = new Set(res.succeeded.map((m) => m.ip));
  await ctx.state.registry.set(d.zoneId, d.items.filter((i) => ok.has(i.ip)).map((i) => entry(i, false)));
  await restore(ctx, d.zoneId, res.failed.map((f) => f.ip).filter((ip) => ips.includes(ip)), before);
  return { batch: d.batch, kind: 'upsert', sent: d.items.length, succeeded: ok.size, failed: res.failed };
}

async function deleteBatch(ctx: PipelineContext, d: Extract<ApplyJob, { kind: 'delete' }>, signal?: AbortSignal): Promise<BatchResult> {
  const ips = d.items.map((i) => i.ip);
  // An IP already gone counts as deleted (the client lists it in succeeded): the delete has done its job.
  const res = await ctx.cloudflare.deleteBatch(d.zoneId, ips, signal);
  await ctx.state.registry.forget(d.zoneId, res.succeeded);
  return { batch: d.batch, kind: 'delete', sent: ips.length, succeeded: res.succeeded.length, failed: res.failed };
}

async function restore(ctx: PipelineContext, zoneId: string, ips: string[], before: Map<string, RegistryEntry>): Promise<void> {
  const back = ips.filter((ip) => before.has(ip)).map((ip) => [ip, before.get(ip)!] as [string, RegistryEntry]);
  await ctx.state.registry.set(zoneId, back);
  await ctx.state.registry.forget(zoneId, ips.filter((ip) => !before.has(ip)));
}

/** Every item of a request that reached Cloudflare goes to the audit trail, with what caused its plan. */
async function audit(ctx: PipelineContext, d: ApplyJob, failed: ReadonlyArray<{ ip: string; error: string }>, failedAs: 'failed' | 'unknown' = 'failed'): Promise<void> {
  const errors = new Map(failed.map((f) => [f.ip, f.error]));
  await ctx.audit.record(
    d.items.map((i) => {
      const error = errors.get(i.ip);
      return {
        zoneId: d.zoneId,
        kind: d.kind,
        ip: i.ip,
        ...('vendor' in i ? { vendor: i.vendor, region: i.region } : {}),
        outcome: error === undefined ? 'ok' : failedAs,
        ...(error !== undefined ? { error } : {}),
        planId: d.planId,
        batch: d.batch,
        trigger: d.trigger ?? 'unknown',
        ...(d.eventId ? { eventId: d.eventId } : {}),
      };
    }),
  );
}
