import { QueueEvents, type Queue } from 'bullmq';
import type { RedisClient } from '../state/redis-connection.ts';

export type Finished<R> = { id: string; state: 'completed'; result: R } | { id: string; state: 'failed'; error: string } | { id: string; state: 'missing' };

export interface WaitOptions<R> {
  signal?: AbortSignal;
  onFinished?: (f: Finished<R>) => void;
}

/**
 * A safety net under the queue events: a finished job whose event was missed (the events stream trimmed
 * while this process was disconnected) is still noticed within this time, never waited on for ever.
 */
const RECHECK_MS = 2000;

/**
 * Waits for jobs to finish without polling: one BullMQ QueueEvents reader per queue (a blocking XREAD on
 * the queue's events stream, on a connection of its own) wakes the waiters of a job as soon as any
 * replica completes or fails it. The job states are read from Redis, not taken from the event, so a
 * duplicate, late or missed event changes nothing but when the state is read.
 */
export class JobWaiter {
  readonly #connection: RedisClient;
  readonly #prefix: string;
  readonly #readers = new Map<string, Promise<QueueEvents>>();
  /** Queue name → job id → wake-ups of the waits that want it. */
  readonly #waiting = new Map<string, Map<string, Set<(id: string) => void>>>();
  #closed = false;

  constructor(connection: RedisClient, prefix: string) {
    this.#connection = connection;
    this.#prefix = prefix;
  }

  /** Resolves when every job is completed, failed or gone, in the order of `ids`. */
  async wait<R>(queue: Queue, ids: readonly string[], opts: WaitOptions<R> = {}): Promise<Array<Finished<R>>> {
    const pending = new Set(ids);
    const done = new Map<string, Finished<R>>();
    // Which jobs the events named since the last look: only those are read again, not every pending one.
    let named = new Set<string>();
    let wake: () => void = () => {};
    const onEvent = (id: string) => {
      named.add(id);
      wake();
    };
    // Listening starts before the first look at the states, so a job finishing in between still wakes us.
    const stopListening = await this.#listen(queue, ids, onEvent);
    try {
      let look: Iterable<string> = pending;
      for (;;) {
        opts.signal?.throwIfAborted();
        named = new Set();
        for (const f of await finishedOf<R>(queue, [...look].filter((id) => pending.has(id)))) {
          pending.delete(f.id);
          done.set(f.id, f);
          opts.onFinished?.(f);
        }
        if (pending.size === 0) break;
        if (named.size === 0) await this.#sleep(RECHECK_MS, opts.signal, (w) => (wake = w));
        // Woken by events: the jobs they named. Woken by the timer: all of them (an event may have been missed).
        look = named.size > 0 ? named : pending;
      }
    } finally {
      stopListening();
    }
    return ids.map((id) => done.get(id)!);
  }

  /** Stops every reader; waits still in progress fall back to reading the states every RECHECK_MS. */
  async close(): Promise<void> {
    this.#closed = true;
    const readers = [...this.#readers.values()];
    this.#readers.clear();
    await Promise.all(readers.map(async (r) => (await r.catch(() => undefined))?.close()));
  }

  /** Drops the readers' sockets at once (a shutdown with Redis gone). */
  disconnect(): void {
    this.#closed = true;
    for (const r of this.#readers.values()) void r.then((q) => q.disconnect(), () => {}).catch(() => {});
    this.#readers.clear();
  }

  async #listen(queue: Queue, ids: readonly string[], wake: (id: string) => void): Promise<() => void> {
    const jobs = this.#waiting.get(queue.name) ?? new Map<string, Set<(id: string) => void>>();
    this.#waiting.set(queue.name, jobs);
    for (const id of ids) {
      const set = jobs.get(id) ?? new Set();
      set.add(wake);
      jobs.set(id, set);
    }
    const stop = () => {
      for (const id of ids) {
        const set = jobs.get(id);
        set?.delete(wake);
        if (set?.size === 0) jobs.delete(id);
      }
    };
    if (!this.#closed) await this.#reader(queue).catch(() => undefined); // without a reader the recheck still finds the job
    return stop;
  }

  #reader(queue: Queue): Promise<QueueEvents> {
    let reader = this.#readers.get(queue.name);
    if (!reader) {
      reader = (async () => {
        // Read from the stream's end as it is now, not from whenever the first XREAD reaches Redis: an
        // event written in between would otherwise be missed (BullMQ's default '$').
        const last = (await this.#connection.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
        const events = new QueueEvents(queue.name, { connection: this.#connection, prefix: this.#prefix, lastEventId: last });
        events.on('error', () => {}); // connection trouble is the RedisHealth's to report; the recheck covers the gap
        const notify = ({ jobId }: { jobId: string }) => {
          for (const w of this.#waiting.get(queue.name)?.get(jobId) ?? []) w(jobId);
        };
        events.on('completed', notify);
        events.on('failed', notify);
        events.on('removed', notify);
        await events.waitUntilReady();
        return events;
      })();
      this.#readers.set(queue.name, reader);
      reader.catch(() => this.#readers.delete(queue.name));
    }
    return reader;
  }

  #sleep(ms: number, signal: AbortSignal | undefined, setWake: (w: () => void) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const end = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        setWake(() => {});
        resolve();
      };
      const timer = setTimeout(end, ms);
      const onAbort = () => {
        clearTimeout(timer);
        setWake(() => {});
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      setWake(end);
    });
  }
}

/**
 * The jobs among `ids` that are finished (or gone), read in one round of BullMQ's isFinished script (the
 * one its own waitUntilFinished uses): two set lookups and the result in one call, where reading the
 * state and then the job took a dozen commands.
 */
async function finishedOf<R>(queue: Queue, ids: string[]): Promise<Array<Finished<R>>> {
  const out: Array<Finished<R>> = [];
  await Promise.all(
    ids.map(async (id) => {
      const answer = await queue.backend.isFinished(id, true);
      const [status, value] = Array.isArray(answer) ? answer : [answer, undefined];
      if (status === 0) return;
      if (status === 1) out.push({ id, state: 'completed', result: returnValue(value) as R });
      else if (status === 2) out.push({ id, state: 'failed', error: value ?? '' });
      else out.push({ id, state: 'missing' });
    }),
  );
  return out;
}

/** As BullMQ stores it: JSON, or the raw text when it is not. */
function returnValue(raw: string | undefined): unknown {
  if (raw === undefined || raw === null) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
