import type { Logger } from 'pino';
import type { StateStore } from '../state/store.ts';
import type { Queues } from './queues.ts';

export const SCHEDULER_ID = 'reconcile-cycle';

/**
 * Upserts the periodic cycle once, however many replicas start together (concurrent upserts of one
 * scheduler have produced duplicate or missing schedules in BullMQ's history): a short Redis lock lets
 * one replica do it, and a replica finding the same interval already in place leaves it alone.
 */
export async function ensureSchedule(queues: Queues, state: StateStore, everyMs: number, logger: Logger): Promise<'created' | 'updated' | 'unchanged' | 'skipped'> {
  const existing = await queues.cycle.getJobScheduler(SCHEDULER_ID);
  if (existing && Number(existing.every) === everyMs) return 'unchanged';
  if (!(await state.locks.tryLock('scheduler', 10_000))) return 'skipped';
  await queues.cycle.upsertJobScheduler(SCHEDULER_ID, { every: everyMs }, { name: 'cycle', data: { reason: 'schedule' } });
  logger.info({ everyMs }, existing ? 'reconcile schedule updated' : 'reconcile schedule created');
  return existing ? 'updated' : 'created';
}
