import { DelayedError, type Job } from 'bullmq';

/**
 * Puts an active job back in the queue, to run again after `delayMs` (by this or another replica), and
 * returns the error the processor must throw so BullMQ does not count it as a failure.
 */
export async function handBack(job: Job, token: string | undefined, delayMs: number): Promise<DelayedError> {
  await job.moveToDelayed(Date.now() + Math.max(0, delayMs), token);
  return new DelayedError();
}
