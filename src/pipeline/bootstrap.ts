import { hostname } from 'node:os';
import type { EpochCheck } from '../state/epoch.ts';
import type { PipelineContext } from './context.ts';
import { ensureSchedule } from './scheduler.ts';

/** Who noticed, for the loss record: no secrets, just enough to find the log lines. */
export function witness(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Checks the state epoch (see state/epoch.ts). A loss is an error, said once per process in the log and
 * in `status`'s recent errors: the registry, tombstones and plans are gone and the zones recover.
 */
export async function checkEpoch(ctx: Pick<PipelineContext, 'epoch' | 'config' | 'logger' | 'state'>): Promise<EpochCheck> {
  const r = await ctx.epoch.check(ctx.config.zones.map((z) => z.id));
  if (r.status === 'lost') {
    const message =
      `Redis lost the daemon's state (epoch ${r.loss.previous ?? '?'} replaced by ${r.loss.epoch}): ownership, tombstones and plans are gone. ` +
      'Identical mappings are re-owned, the rest is listed as "possibly ours" (see `status`, `recover --zone`), deletes are frozen until each zone completes a reconcile.';
    ctx.logger.error({ previousEpoch: r.loss.previous, epoch: r.loss.epoch, detectedAt: r.loss.detectedAt }, message);
    await ctx.state.errors.record('state', message, r.loss.detectedAt);
  }
  return r;
}

/**
 * What `run` sets up at start and must find again at every check: the state epoch and, unless another
 * replica owns it (`--no-schedule`), the periodic job scheduler. A Redis that lost its data has neither;
 * every replica checks, and the scheduler lock makes one of them recreate it.
 */
export async function checkBootstrap(ctx: PipelineContext, schedule: boolean, first: boolean): Promise<void> {
  await checkEpoch(ctx);
  if (!schedule) return;
  const r = await ensureSchedule(ctx.queues, ctx.state, ctx.config.schedule.reconcileEveryMs, ctx.logger);
  if (r === 'created' && !first) {
    ctx.logger.error('the reconcile schedule was missing from Redis (data lost or flushed): recreated it');
    await ctx.state.errors.record('schedule', 'the reconcile schedule was missing from Redis: recreated it');
  }
}

/** Runs checkBootstrap every `everyMs` until stopped; a failed check (Redis away) is logged and retried. */
export function startBootstrapCheck(ctx: PipelineContext, schedule: boolean, everyMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    checkBootstrap(ctx, schedule, false)
      .catch((err: unknown) => ctx.logger.warn({ error: (err as Error).message }, 'state check failed; retrying'))
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
