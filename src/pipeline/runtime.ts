import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, type Job } from 'bullmq';

import type { Logger } from 'pino';
import { createConnector } from '../../connectors/index.ts';
import type { Connector } from '../../connectors/connector.ts';
import { createCloudflareClient, type CloudflareClient } from '../cloudflare/client.ts';
import type { Config } from '../config/load.ts';
import { throttledLog } from '../log.ts';
import { Metrics } from '../metrics/metrics.ts';
import { AuditLog } from '../state/audit.ts';
import { StateEpoch } from '../state/epoch.ts';
import { StateStore } from '../state/store.ts';
import { connectRedis, type RedisClient } from '../state/redis-connection.ts';
import { applyProcessor } from './apply.ts';
import { cloudflareBudgetGate } from './cloudflare-budget.ts';
import type { PipelineContext, PipelineEvents } from './context.ts';
import type { DryRunContext } from './dry-run.ts';
import { processCycle } from './cycle.ts';
import { processDiscover } from './discover.ts';
import { jobId, newCycleId, QUEUES, type CycleJob } from './jobs.ts';
import { closeQueues, createQueues, type Queues } from './queues.ts';
import { processReconcile } from './reconcile.ts';
import { checkBootstrap, startBootstrapCheck, witness } from './bootstrap.ts';
import { RedisHealth, waitForRedis } from './redis-health.ts';
import { JobWaiter } from './wait.ts';

/** Cycles in flight per replica (each waits on its own discovers; the scopes' scans are bounded by worker.discoverConcurrency). */
const CYCLE_CONCURRENCY = 16;

export interface RuntimeOptions {
  config: Config;
  logger: Logger;
  metrics?: Metrics;
  /** Run the workers in this process (the daemon, `sync --once`); commands that only enqueue or read do not. */
  workers: boolean;
  /** Upsert the periodic job scheduler (the daemon). */
  schedule: boolean;
  /** A process without workers that still talks to Cloudflare itself (`recover` re-reads the zone's list). */
  withCloudflare?: boolean;
  /**
   * Check the state epoch and the schedule periodically, to notice a Redis that lost its data (default:
   * with `schedule`). `run --no-schedule` checks too, without recreating the schedule.
   */
  bootstrapCheck?: boolean;
  /** Period of that check (default: reconcileEvery, at most 30 s). */
  checkEveryMs?: number;
  /** Tests and the demo may hand in ready connectors or a client. */
  connectors?: Map<string, Connector>;
  cloudflare?: CloudflareClient;
  /** Overrides worker.lockDuration. */
  lockDurationMs?: number;
  /** The daemon: retry until Redis answers (aborted: give up) instead of failing at once like a command. */
  waitForRedis?: AbortSignal;
  /** Follows the connection (the daemon's HTTP server holds it before the runtime exists). */
  health?: RedisHealth;
}

export interface Runtime {
  ctx: PipelineContext;
  redis: RedisClient;
  /** Whether Redis is usable now, and why not. */
  health: RedisHealth;
  workers: Worker[];
  /** Adds a cycle job; resyncs of the same zones coalesce (one running, at most one waiting). */
  enqueueCycle(data: CycleJob): Promise<Job<CycleJob>>;
  /** Graceful stop: workers finish or hand back their jobs, within the deadline. */
  close(deadlineMs?: number): Promise<void>;
}

/**
 * What every runtime holds, with or without queues. `readOnly` keeps the Cloudflare family memory from being
 * written; only an `active` runtime (workers, or a dry run) builds connectors and a real Cloudflare client.
 */
async function openParts(opts: Omit<RuntimeOptions, 'workers' | 'schedule'>, readOnly: boolean, active: boolean): Promise<Omit<PipelineContext, 'queues' | 'jobs'> & { redis: RedisClient; health: RedisHealth; stop: AbortController }> {
  const { config, logger } = opts;
  const health = opts.health ?? new RedisHealth();
  const redis = opts.waitForRedis ? await waitForRedis(config.redis, { logger, health, signal: opts.waitForRedis }) : await connectRedis(config.redis);
  health.watch(redis, config.redis, logger);
  const state = new StateStore(redis, config.redis.prefix);
  const epoch = new StateEpoch(redis, config.redis.prefix, witness());
  const metrics = opts.metrics ?? new Metrics();
  const events = new EventEmitter<PipelineEvents>();
  const stop = new AbortController();

  // Only the workers discover and talk to Cloudflare: a command that reads or enqueues (status, resync,
  // approve) builds no connector and needs none of their credentials, nor Cloudflare's.
  const connectors =
    opts.connectors ??
    new Map(
      active
        ? await Promise.all(
            config.connectors.map(async (c) => [c.name, await createConnector(c, { configDir: config.dir, logger: logger.child({ connector: c.name }), env: process.env })] as const),
          )
        : [],
    );
  const auth = () => ('token' in config.cloudflare.auth ? { token: config.cloudflare.auth.token.reveal() } : { email: config.cloudflare.auth.email, key: config.cloudflare.auth.key.reveal() });
  const cloudflare =
    opts.cloudflare ??
    (!active && !opts.withCloudflare ? noCloudflare() : undefined) ??
    createCloudflareClient({
      apiBase: config.cloudflare.apiBase,
      auth: auth(),
      api: config.cloudflare.api,
      timeoutMs: config.cloudflare.timeoutMs,
      onRequest: (info) => metrics.cloudflareRequest(info),
      // A dry run still learns a zone's family for itself (in this process) but does not tell the daemon.
      familyMemory: { get: (z) => state.caches.getFamily(z), set: readOnly ? async () => {} : (z, f) => state.caches.setFamily(z, f) },
      onWarning: (w) => logger.warn({ warning: w }, 'unexpected entry in a Cloudflare response'),
      userAgent: 'origin-region-sync',
      // A worker hands a job back rather than sit out a spent window; a command (a dry run, recover) waits.
      beforeRequest: cloudflareBudgetGate({ redis, prefix: config.redis.prefix, ...config.cloudflare.rateLimit, maxWaitMs: active && !readOnly ? 2_000 : 300_000 }),
    });
  const audit = new AuditLog(redis, config.redis.prefix, { retentionMs: config.audit.retentionMs, maxRecords: config.audit.maxRecordsPerZone });
  return { config, logger, state, audit, epoch, connectors, cloudflare, metrics, events, shutdown: stop.signal, redis, health, stop };
}

async function closeParts(parts: { connectors: ReadonlyMap<string, Connector>; redis: RedisClient }): Promise<void> {
  await Promise.all([...parts.connectors.values()].map(async (c) => c.close?.()));
  await parts.redis.quit().catch(() => parts.redis.disconnect());
}

/**
 * For dry runs: Redis, connectors and a Cloudflare client, but no queues, so nothing here can add or run
 * a job, and the API family learnt for a zone is not stored.
 */
export async function openReadOnly(opts: Omit<RuntimeOptions, 'workers' | 'schedule' | 'lockDurationMs'>): Promise<{ ctx: DryRunContext; close(): Promise<void> }> {
  const { redis, stop, health: _health, ...ctx } = await openParts(opts, true, true);
  let closed = false;
  return {
    ctx,
    async close() {
      if (closed) return;
      closed = true;
      stop.abort(new Error('shutting down'));
      await closeParts({ connectors: ctx.connectors, redis });
    },
  };
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { config, logger } = opts;
  const { redis, health, stop: shutdown, ...parts } = await openParts(opts, false, opts.workers);
  const queues = createQueues(redis, config.redis.prefix, config.worker.applyAttempts);
  // Every queue and worker reports each failed reconnect; unheard, BullMQ prints them as stack traces.
  const noisy = throttledLog(logger);
  for (const q of Object.values(queues) as Queues[keyof Queues][]) q.on('error', (err: Error) => noisy('warn', `queue:${err.message}`, { queue: q.name, error: err.message }, 'queue error'));
  const { connectors } = parts;
  const jobs = new JobWaiter(redis, config.redis.prefix);
  const ctx: PipelineContext = { ...parts, queues, jobs };

  // Jobs running in this process: with Redis gone BullMQ's close never returns, so shutdown waits for these.
  let running = 0;
  const counted =
    <A extends unknown[], R>(processor: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      running++;
      try {
        return await processor(...args);
      } finally {
        running--;
      }
    };
  const workers: Worker[] = [];
  if (opts.workers) {
    const lockDuration = opts.lockDurationMs ?? config.worker.lockDurationMs;
    const common = { connection: redis, prefix: config.redis.prefix, lockDuration, stalledInterval: lockDuration };
    const w = config.worker;
    let applyWorker: Worker | undefined;
    workers.push(
      // A cycle mostly waits for its discovers; event-triggered cycles (one per scope) must not queue behind
      // each other, or a change in twenty regions at once would wait for ten rounds of scans.
      new Worker(QUEUES.cycle, counted((job, token) => processCycle(ctx, job, token)), { ...common, concurrency: CYCLE_CONCURRENCY }),
      new Worker(QUEUES.discover, counted((job, _token, signal) => processDiscover(ctx, job, signal)), { ...common, concurrency: w.discoverConcurrency }),
      new Worker(QUEUES.reconcile, counted((job, token, signal) => processReconcile(ctx, job, token, signal)), { ...common, concurrency: w.reconcileConcurrency }),
      (applyWorker = new Worker(QUEUES.apply, counted(applyProcessor(ctx, () => applyWorker!)), {
        ...common,
        concurrency: w.applyConcurrency,
        // The one Cloudflare budget: BullMQ's limiter is global across every worker on this Redis.
        limiter: { max: config.cloudflare.rateLimit.requests, duration: config.cloudflare.rateLimit.perSeconds * 1000 },
      })),
    );
    for (const worker of workers) {
      worker.on('error', (err) => noisy('error', `worker:${err.message}`, { queue: worker.name, error: err.message }, 'worker error'));
      worker.on('failed', (job, err) => {
        if (!job) return;
        const final = job.finishedOn !== undefined || err.name === 'UnrecoverableError';
        logger[final ? 'error' : 'warn']({ queue: worker.name, job: job.id, attempt: job.attemptsMade, error: err.message }, final ? 'job failed' : 'job failed, will retry');
      });
    }
    await Promise.all(workers.map((wk) => wk.waitUntilReady()));
  }
  // Commands that only read or enqueue leave the epoch alone: only a process that runs jobs may create it.
  if (opts.workers || opts.schedule) await checkBootstrap(ctx, opts.schedule, true);
  const stopCheck =
    (opts.bootstrapCheck ?? opts.schedule) ? startBootstrapCheck(ctx, opts.schedule, opts.checkEveryMs ?? Math.min(config.schedule.reconcileEveryMs, 30_000)) : () => {};

  let closing: Promise<void> | undefined;
  return {
    ctx,
    redis,
    health,
    workers,
    async enqueueCycle(data) {
      const zones = [...(data.zones ?? config.zones.map((z) => z.id))].sort();
      const saved = Object.values(data.expect ?? {}).map((e) => e.planId);
      const dedup = jobId('cycle', data.dryRun ? 'dry' : 'apply', ...zones, '|', ...(data.scopes ?? []).sort(), '|', ...saved.sort());
      return queues.cycle.add('cycle', { cycleId: newCycleId(), ...data }, { deduplication: { id: dedup, keepLastIfActive: true } });
    },
    close(deadlineMs = config.worker.shutdownTimeoutMs) {
      closing ??= (async () => {
        const stopAt = Date.now() + deadlineMs;
        const left = () => Math.max(0, stopAt - Date.now());
        // Every step is bounded: with Redis gone, BullMQ's close and QUIT wait for a reconnect forever.
        const within = async <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
          return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
        };
        const settle = (p: Promise<unknown>) => p.then(() => 'done' as const, () => 'done' as const);
        stopCheck();
        health.stopping();
        shutdown.abort(new Error('shutting down'));
        const graceful = settle(Promise.all(workers.map((wk) => wk.close())));
        let polling = true;
        const idleWithoutRedis = (async () => {
          while (polling && (health.up || running > 0)) await sleep(50);
          return 'idle' as const;
        })();
        // A quarter of the deadline (at most 2 s) is kept for handing jobs back and closing connections.
        const outcome = await within(Promise.race([graceful, idleWithoutRedis]), deadlineMs - Math.min(2000, deadlineMs / 4));
        polling = false;
        if (outcome === 'idle') {
          logger.warn({ redis: health.reason() }, 'stopping with Redis unreachable and no job running here: queued jobs stay in Redis for the next start');
        } else if (outcome === 'timeout') {
          logger.warn(
            { deadlineMs, redis: health.up ? 'up' : health.reason() },
            health.up
              ? 'shutdown deadline reached: unfinished jobs are handed back to the queue'
              : 'shutdown deadline reached with Redis unreachable: unfinished jobs go back to the queue when their lock expires (worker.lockDuration)',
          );
          if (health.up) await within(settle(Promise.all(workers.map((wk) => wk.close(true)))), left() / 2);
        }
        let clean = outcome === 'done';
        clean = (await within(settle(Promise.all([...connectors.values()].map(async (c) => c.close?.()))), left())) === 'done' && clean;
        if (health.up) {
          clean = (await within(settle(Promise.all([closeQueues(queues), jobs.close()])), left())) === 'done' && clean;
          clean = (await within(settle(redis.quit()), left())) === 'done' && clean;
        }
        if (!clean || !health.up) {
          // Drop every socket so the process can exit; nothing more can be said to a Redis that is gone.
          for (const c of [...workers, ...(Object.values(queues) as Queues[keyof Queues][])]) void c.disconnect().catch(() => {});
          jobs.disconnect();
          redis.disconnect();
        }
      })();
      return closing;
    },
  };
}

/** The client of a process without workers: nothing in it may talk to Cloudflare, and a slip says so. */
function noCloudflare(): CloudflareClient {
  return new Proxy({} as CloudflareClient, {
    get: (_t, prop) =>
      prop === 'then'
        ? undefined
        : () => {
            throw new Error(`internal: Cloudflare client used (${String(prop)}) in a process that runs no workers`);
          },
  });
}
