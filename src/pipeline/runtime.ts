import { EventEmitter } from 'node:events';
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { createConnector } from '../../connectors/index.ts';
import type { Connector } from '../../connectors/connector.ts';
import { createCloudflareClient, type CloudflareClient } from '../cloudflare/client.ts';
import type { Config } from '../config/load.ts';
import { Metrics } from '../server/metrics.ts';
import { AuditLog } from '../state/audit.ts';
import { StateEpoch } from '../state/epoch.ts';
import { StateStore } from '../state/store.ts';
import { connectRedis, type RedisClient } from '../state/redis-connection.ts';
import { applyProcessor } from './apply.ts';
import type { PipelineContext, PipelineEvents } from './context.ts';
import type { DryRunContext } from './dry-run.ts';
import { processCycle } from './cycle.ts';
import { processDiscover } from './discover.ts';
import { jobId, newCycleId, QUEUES, type CycleJob } from './jobs.ts';
import { closeQueues, createQueues } from './queues.ts';
import { processReconcile } from './reconcile.ts';
import { checkBootstrap, startBootstrapCheck, witness } from './bootstrap.ts';

export interface RuntimeOptions {
  config: Config;
  logger: Logger;
  metrics?: Metrics;
  /** Run the workers in this process (the daemon, `sync --once`); commands that only enqueue or read do not. */
  workers: boolean;
  /** Upsert the periodic job scheduler (the daemon). */
  schedule: boolean;
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
  pollMs?: number;
}

export interface Runtime {
  ctx: PipelineContext;
  redis: RedisClient;
  workers: Worker[];
  /** Adds a cycle job; resyncs of the same zones coalesce (one running, at most one waiting). */
  enqueueCycle(data: CycleJob): Promise<Job<CycleJob>>;
  /** Graceful stop: workers finish or hand back their jobs, within the deadline. */
  close(deadlineMs?: number): Promise<void>;
}

/** Moved to the module that builds every Redis client; kept here for the callers that import it from the runtime. */
export { connectRedis } from '../state/redis-connection.ts';

/**
 * What every runtime holds, with or without queues. `readOnly` keeps the Cloudflare family memory from being
 * written; only an `active` runtime (workers, or a dry run) builds connectors and a real Cloudflare client.
 */
async function openParts(opts: Omit<RuntimeOptions, 'workers' | 'schedule'>, readOnly: boolean, active: boolean): Promise<Omit<PipelineContext, 'queues'> & { redis: RedisClient; stop: AbortController }> {
  const { config, logger } = opts;
  const redis = await connectRedis(config.redis);
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
    (!active ? noCloudflare() : undefined) ??
    createCloudflareClient({
      apiBase: config.cloudflare.apiBase,
      auth: auth(),
      api: config.cloudflare.api,
      timeoutMs: config.cloudflare.timeoutMs,
      onRequest: (info) => metrics.cloudflareRequest(info),
      // A dry run still learns a zone's family for itself (in this process) but does not tell the daemon.
      familyMemory: { get: (z) => state.getFamily(z), set: readOnly ? async () => {} : (z, f) => state.setFamily(z, f) },
      onWarning: (w) => logger.warn({ warning: w }, 'unexpected entry in a Cloudflare response'),
      userAgent: 'origin-region-sync',
    });
  const audit = new AuditLog(redis, config.redis.prefix, { retentionMs: config.audit.retentionMs, maxRecords: config.audit.maxRecordsPerZone });
  return { config, logger, state, audit, epoch, connectors, cloudflare, metrics, events, shutdown: stop.signal, pollMs: opts.pollMs ?? 200, redis, stop };
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
  const { redis, stop, ...ctx } = await openParts(opts, true, true);
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
  const { redis, stop: shutdown, ...parts } = await openParts(opts, false, opts.workers);
  const queues = createQueues(redis, config.redis.prefix, config.worker.applyAttempts);
  const { connectors } = parts;
  const ctx: PipelineContext = { ...parts, queues };

  const workers: Worker[] = [];
  if (opts.workers) {
    const lockDuration = opts.lockDurationMs ?? config.worker.lockDurationMs;
    const common = { connection: redis, prefix: config.redis.prefix, lockDuration, stalledInterval: lockDuration };
    const w = config.worker;
    let applyWorker: Worker | undefined;
    workers.push(
      new Worker(QUEUES.cycle, (job, token) => processCycle(ctx, job, token), { ...common, concurrency: 2 }),
      new Worker(QUEUES.discover, (job, _token, signal) => processDiscover(ctx, job, signal), { ...common, concurrency: w.discoverConcurrency }),
      new Worker(QUEUES.reconcile, (job, token, signal) => processReconcile(ctx, job, token, signal), { ...common, concurrency: w.reconcileConcurrency }),
      (applyWorker = new Worker(QUEUES.apply, applyProcessor(ctx, () => applyWorker!), {
        ...common,
        concurrency: w.applyConcurrency,
        // The one Cloudflare budget: BullMQ's limiter is global across every worker on this Redis.
        limiter: { max: config.cloudflare.rateLimit.requests, duration: config.cloudflare.rateLimit.perSeconds * 1000 },
      })),
    );
    for (const worker of workers) {
      worker.on('error', (err) => logger.error({ queue: worker.name, error: err.message }, 'worker error'));
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

  let closed = false;
  return {
    ctx,
    redis,
    workers,
    async enqueueCycle(data) {
      const zones = [...(data.zones ?? config.zones.map((z) => z.id))].sort();
      const saved = Object.values(data.expect ?? {}).map((e) => e.planId);
      const dedup = jobId('cycle', data.dryRun ? 'dry' : 'apply', ...zones, '|', ...(data.scopes ?? []).sort(), '|', ...saved.sort());
      return queues.cycle.add('cycle', { cycleId: newCycleId(), ...data }, { deduplication: { id: dedup, keepLastIfActive: true } });
    },
    async close(deadlineMs = config.worker.shutdownTimeoutMs) {
      if (closed) return;
      closed = true;
      stopCheck();
      shutdown.abort(new Error('shutting down'));
      const graceful = Promise.all(workers.map((wk) => wk.close()));
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), deadlineMs).unref());
      if ((await Promise.race([graceful, timer])) === 'timeout') {
        logger.warn({ deadlineMs }, 'shutdown deadline reached: unfinished jobs are handed back to the queue');
        await Promise.all(workers.map((wk) => wk.close(true)));
      }
      await closeQueues(queues);
      await closeParts({ connectors, redis });
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
