import type { Job } from 'bullmq';
import type { ScanResult } from '../../connectors/connector.ts';
import { formatDuration } from '../config/duration.ts';
import type { PipelineContext } from './context.ts';
import type { DiscoverJob, DiscoverResult } from './jobs.ts';

/**
 * Discovers one scope and stores its snapshot. A connector that throws, hangs past the timeout or is not
 * configured here gives a failed scan: a failed scan keeps the scope's last good snapshot, so it can
 * never cause a delete.
 */
export async function processDiscover(ctx: PipelineContext, job: Job<DiscoverJob>, signal?: AbortSignal): Promise<DiscoverResult> {
  const { connector: name, scope, cycleId } = job.data;
  const connector = ctx.connectors.get(name);
  if (!connector) {
    // Another replica may know it: do not record a scan this process cannot make.
    return { scope: scope.id, status: 'failed', origins: 0, skipped: 0, error: `connector "${name}" is not configured in this process`, at: Date.now() };
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
          resolve({ status: 'failed', origins: [], skipped: [], error: `timed out after ${formatDuration(timeoutMs)}` });
        }, timeoutMs);
      }),
    ]);
  } catch (err) {
    result = { status: 'failed', origins: [], skipped: [], error: `connector error: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    endTimer();
  }
  const at = Date.now();
  await ctx.state.saveScan(scope.id, result, at);
  ctx.metrics.scans.inc({ connector: name, status: result.status });
  const out: DiscoverResult = { scope: scope.id, status: result.status, origins: result.origins.length, skipped: result.skipped.length, at };
  if (result.error) out.error = result.error;
  if (result.status !== 'complete') {
    ctx.logger.warn({ scope: scope.id, status: result.status, error: result.error }, 'scope scan incomplete: nothing in it will be deleted');
    await ctx.state.recordError(`discover ${scope.id}`, `${result.status}: ${result.error ?? 'unknown error'}`, at);
  } else {
    ctx.logger.debug({ scope: scope.id, origins: out.origins, skipped: out.skipped }, 'scope discovered');
  }
  ctx.events.emit('scope', { ...out, cycleId });
  return out;
}
