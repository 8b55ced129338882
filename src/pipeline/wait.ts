import type { Job, Queue } from 'bullmq';

export type Finished<R> = { id: string; state: 'completed'; result: R } | { id: string; state: 'failed'; error: string } | { id: string; state: 'missing' };

/**
 * Waits until every job is completed or failed, by polling Redis. Polling (instead of QueueEvents)
 * works whichever replica runs the jobs and whatever the event stream has trimmed meanwhile.
 */
export async function waitForJobs<R>(
  queue: Queue,
  ids: readonly string[],
  opts: { signal?: AbortSignal; pollMs?: number; onFinished?: (f: Finished<R>) => void } = {},
): Promise<Array<Finished<R>>> {
  const pending = new Set(ids);
  const done = new Map<string, Finished<R>>();
  const poll = opts.pollMs ?? 200;
  while (pending.size > 0) {
    opts.signal?.throwIfAborted();
    // One state lookup per pending job, sent together; the job itself is read only once it is finished.
    const states = await Promise.all([...pending].map(async (id) => [id, await queue.getJobState(id)] as const));
    for (const [id, state] of states) {
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
      const job: Job | undefined = await queue.getJob(id);
      const f: Finished<R> =
        !job || state === 'unknown' ? { id, state: 'missing' } : state === 'failed' ? { id, state: 'failed', error: job.failedReason } : { id, state: 'completed', result: job.returnvalue as R };
      pending.delete(id);
      done.set(id, f);
      opts.onFinished?.(f);
    }
    // Many pending jobs: poll less often, so waiting on thousands of scopes stays cheap for Redis.
    if (pending.size > 0) await sleep(poll * Math.max(1, Math.ceil(pending.size / 200)), opts.signal);
  }
  return ids.map((id) => done.get(id)!);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
