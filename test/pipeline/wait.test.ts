import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobWaiter } from '../../src/pipeline/wait.ts';
import { startPrivateRedis, type PrivateRedis } from '../../src/state/private-redis.ts';

/**
 * JobWaiter against a real Redis, with the jobs run by a worker on connections of its own (as another
 * replica would): woken by the queue's events, not by polling, and still right when an event is missed.
 */
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** The queue, with its state lookups counted: how often the waiter looked, not a stand-in for Redis. */
function countedQueue(name: string, prefix: string, connection: Redis): { queue: Queue; lookups: () => number } {
  const queue = new Queue(name, { connection, prefix });
  let n = 0;
  const original = queue.getJobState.bind(queue);
  queue.getJobState = (id: string) => {
    n++;
    return original(id);
  };
  return { queue, lookups: () => n };
}

describe('JobWaiter', () => {
  it('wakes when another process finishes the jobs, looking at their state once per event, not every 200 ms', async () => {
    const prefix = `wait-${Date.now()}`;
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const other = new Redis(redis.url, { maxRetriesPerRequest: null });
    const { queue, lookups } = countedQueue('q', prefix, conn);
    const waiter = new JobWaiter(conn, prefix);
    const worker = new Worker(
      'q',
      async (job) => {
        await new Promise((r) => setTimeout(r, 1500));
        if (job.data.fail) throw new Error('it broke');
        return { doubled: job.data.n * 2 };
      },
      { connection: other, prefix, concurrency: 2 },
    );
    try {
      const a = await queue.add('a', { n: 21 });
      const b = await queue.add('b', { n: 0, fail: true });
      const t = Date.now();
      const done = await waiter.wait<{ doubled: number }>(queue, [a.id!, b.id!]);
      const ms = Date.now() - t;
      expect(done).toEqual([
        { id: a.id, state: 'completed', result: { doubled: 42 } },
        { id: b.id, state: 'failed', error: 'it broke' },
      ]);
      // Woken by the events (the recheck alone would take 2 s); a 200 ms poll would have looked ~16 times.
      expect(ms).toBeLessThan(2000);
      expect(lookups()).toBeLessThanOrEqual(2 * 3);
      // A job that is already finished is answered at once, from its state.
      expect(await waiter.wait(queue, [a.id!])).toEqual([{ id: a.id, state: 'completed', result: { doubled: 42 } }]);
      expect(await waiter.wait(queue, ['no-such-job'])).toEqual([{ id: 'no-such-job', state: 'missing' }]);
    } finally {
      await worker.close();
      await waiter.close();
      await queue.close();
      conn.disconnect();
      other.disconnect();
    }
  });

  it('still finishes when no event comes (its reader gone), by reading the state again', async () => {
    const prefix = `wait-lost-${Date.now()}`;
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const other = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('q', { connection: conn, prefix });
    const waiter = new JobWaiter(conn, prefix);
    const worker = new Worker('q', async () => 'ok', { connection: other, prefix, autorun: false });
    try {
      const j = await queue.add('j', {});
      const waiting = waiter.wait<string>(queue, [j.id!]);
      await new Promise((r) => setTimeout(r, 300));
      await waiter.close(); // the events reader stops: nothing will wake the wait
      void worker.run();
      expect(await waiting).toEqual([{ id: j.id, state: 'completed', result: 'ok' }]);
    } finally {
      await worker.close();
      await queue.close();
      conn.disconnect();
      other.disconnect();
    }
  });

  it('gives up when its signal is aborted (a shutdown), leaving the job alone', async () => {
    const prefix = `wait-abort-${Date.now()}`;
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('q', { connection: conn, prefix });
    const waiter = new JobWaiter(conn, prefix);
    try {
      const j = await queue.add('j', {});
      const stop = new AbortController();
      setTimeout(() => stop.abort(new Error('shutting down')), 200);
      await expect(waiter.wait(queue, [j.id!], { signal: stop.signal })).rejects.toThrow('shutting down');
      expect(await queue.getJobState(j.id!)).toBe('waiting');
    } finally {
      await waiter.close();
      await queue.close();
      conn.disconnect();
    }
  });
});
