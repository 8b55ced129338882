import type { Job } from 'bullmq';
import type { ScanResult, Scope } from '../../connectors/connector.ts';
import { formatDuration } from '../config/duration.ts';
import type { PipelineContext } from './context.ts';
import type { DiscoverJob, DiscoverResult } from './jobs.ts';
import { failedScan } from '../../connectors/shared/failed-scan.ts';

/** One scan of a scope, not yet stored. `made` is false when this process has no such connector. */
export interface Scan {
  scope: Scope;
  result: ScanResult;
  at: number;
  made: boolean;
}

/**
 * Discovers one scope and stores its snapshot. A connector that throws, hangs past the timeout or is not
 * configured here gives a failed scan: a failed scan keeps the scope's last good snapshot, so it can
 * never cause a delete.
 */
export async function processDiscover(ctx: PipelineContext, job: Job<DiscoverJob>, signal?: AbortSignal): Promise<DiscoverResult> {
  const { connector: name, scope, cycleId } = job.data;
  const scan = await scanScope(ctx, name, scope, signal);
  // Another replica may know the connector: do not record a scan this process cannot make.
  if (!scan.made) return summary(scan);
  await ctx.state.snapshots.saveScan(scope.id, scan.result, scan.at);
  ctx.metrics.scans.inc({ connector: name, status: scan.result.status });
  const out = summary(scan);
  if (scan.result.status !== 'complete') {
    await ctx.state.errors.record(`discover ${scope.id}`, `${scan.result.status}: ${scan.result.error ?? 'unknown error'}`, scan.at);
  }
  logScan(ctx, scan);
  ctx.events.emit('scope', { ...out, cycleId });
  return out;
}

/**
 * Scans one scope with the discover timeout and stores nothing: the discover worker and a dry run
 * (which must not record a scan) both call it.
 */
export async function scanScope(ctx: Pick<PipelineContext, 'config' | 'connectors' | 'metrics'>, name: string, scope: Scope, signal?: AbortSignal): Promise<Scan> {
  const connector = ctx.connectors.get(name);
  if (!connector) {
    return { scope, result: failedScan(`connector "${name}" is not configured in this process`), at: Date.now(), made: false };
  }
  const timeoutMs = ctx.config.schedule.discoverTimeoutMs;
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  let result: ScanResult;
  const endTimer = ctx.metrics.discoverDuration.startTimer({ connector: name });
  try {
    result = await Promise.race([
      connector.discover(scope, controller.signal),
      new Promise<ScanResult>((resolve) => {
        timer = setTimeout(() => {
          controller.abort(new Error('timeout'));
          resolve(failedScan(`timed out after ${formatDuration(timeoutMs)}`));
        }, timeoutMs);
      }),
    ]);
  } catch (err) {
    result = failedScan(`connector error: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    endTimer();
  }
  return { scope, result, at: Date.now(), made: true };
}

export function summary(scan: Scan): DiscoverResult {
  const { scope, result, at } = scan;
  const out: DiscoverResult = { scope: scope.id, status: result.status, origins: result.origins.length, skipped: result.skipped.length, at };
  if (result.error) out.error = result.error;
  return out;
}

export function logScan(ctx: Pick<PipelineContext, 'logger'>, scan: Scan): void {
  const { scope, result } = scan;
  if (result.status !== 'complete') ctx.logger.warn({ scope: scope.id, status: result.status, error: result.error }, 'scope scan incomplete: nothing in it will be deleted');
  else ctx.logger.debug({ scope: scope.id, origins: result.origins.length, skipped: result.skipped.length }, 'scope discovered');
}
