import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from '../state/redis-connection.ts';
import { QUEUES, type ApplyJob, type CycleJob, type DiscoverJob, type ReconcileJob } from './jobs.ts';

export interface Queues {
  cycle: Queue<CycleJob>;
  discover: Queue<DiscoverJob>;
  reconcile: Queue<ReconcileJob>;
  apply: Queue<ApplyJob>;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Finished jobs stay a while: waiters read their results, and operators read failures. */
export function defaultJobOptions(applyAttempts: number): Record<keyof Queues, JobsOptions> {
  return {
    cycle: { attempts: 1, removeOnComplete: { age: DAY, count: 500 }, removeOnFail: { age: 7 * DAY } },
    // A scope that fails is a result (status failed), not a job failure: nothing to retry at this level.
    discover: { attempts: 1, removeOnComplete: { age: HOUR, count: 10_000 }, removeOnFail: { age: DAY } },
    reconcile: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: { age: DAY, count: 1000 }, removeOnFail: { age: 7 * DAY } },
    apply: { attempts: applyAttempts, backoff: { type: 'exponential', delay: 2_000 }, removeOnComplete: { age: HOUR, count: 10_000 }, removeOnFail: { age: 7 * DAY } },
  };
}

export function createQueues(connection: RedisClient, prefix: string, applyAttempts: number): Queues {
  const opts = defaultJobOptions(applyAttempts);
  const q = <T>(name: keyof Queues) => new Queue<T>(QUEUES[name], { connection, prefix, defaultJobOptions: opts[name] });
  return {
    cycle: q<CycleJob>('cycle'),
    discover: q<DiscoverJob>('discover'),
    reconcile: q<ReconcileJob>('reconcile'),
    apply: q<ApplyJob>('apply'),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q: Queue) => q.close()));
}
