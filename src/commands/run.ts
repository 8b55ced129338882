import type { Command } from 'commander';
import type { Runtime } from '../pipeline/runtime.ts';
import type { PendingRuntime } from '../server/http.ts';
import { addConfigOption, cliLogger, loadConfigFor, logLevelOption, onSignals, type GlobalOptions } from './common.ts';

export function registerRun(program: Command): void {
  addConfigOption(program.command('run'))
    .description('run the daemon: workers for every queue, the periodic reconcile schedule, every configured event source (events.sources: SQS, Pub/Sub, Storage queue, OCI Streaming, the webhook) and a watch on each file connector\'s inventory, and the HTTP server (/healthz, /readyz, /metrics, the dashboard at / with its JSON API, the admin API, POST /events for webhook sources, Bull Board at /queues)')
    .option('--no-server', 'do not start the HTTP server')
    .option('--no-schedule', 'do not create or update the periodic schedule (another replica owns it)')
    .addOption(logLevelOption('override log.level'))
    .addHelpText(
      'after',
      `
Redis unreachable at start: it retries with backoff (0.5 s doubling to 30 s), one log line per attempt;
/healthz answers 200 and /readyz 503 with the reason meanwhile. Redis lost later: /readyz answers 503,
the workers reconnect on their own and the daemon resumes when Redis is back, without a restart.
Stops on SIGTERM/SIGINT: running jobs finish or go back to the queue, and it exits 0 within
worker.shutdownTimeout (even with Redis unreachable); a second signal exits 130 at once.
Event sources: a message is acknowledged only once its resync is in Redis; a source that cannot connect is
retried with backoff and shown in /readyz, status and the dashboard, without stopping anything else.
Every reconcileEvery (at most 30 s) each replica checks that Redis still holds the schedule and the state
epoch: a missing schedule is recreated (once across replicas), a lost state is reported (see status).`,
    )
    .action(async (opts: GlobalOptions & { server: boolean; schedule: boolean }) => {
      const config = await loadConfigFor(opts);
      const logger = cliLogger(config, opts, true);
      for (const w of config.warnings) logger.warn(w);
      const { startRuntime } = await import('../pipeline/runtime.ts');
      const { RedisHealth } = await import('../pipeline/redis-health.ts');
      const { startAdminServer } = await import('../server/http.ts');
      const { Metrics } = await import('../metrics/metrics.ts');
      // The server comes first: while Redis is unreachable at start, /healthz answers and /readyz says why.
      const pending: PendingRuntime = { config, logger, metrics: new Metrics(), health: new RedisHealth() };
      const server = opts.server ? await startAdminServer(pending) : undefined;
      const starting = new AbortController();
      let runtime: Promise<Runtime | undefined> = Promise.resolve(undefined);
      onSignals(async (signal) => {
        const deadlineMs = config.worker.shutdownTimeoutMs;
        const stopAt = Date.now() + deadlineMs;
        logger.info({ signal, deadlineMs }, 'shutting down');
        starting.abort(new Error(`${signal} during start`));
        await server?.close();
        // Consumers first: a message in hand is acknowledged only if Redis took its resync.
        await pending.events?.stop();
        // Stopped while starting: a runtime past its wait for Redis is closed like any other.
        let timer: NodeJS.Timeout | undefined;
        const rt = await Promise.race([runtime, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), Math.max(0, stopAt - Date.now()))))]).finally(() => clearTimeout(timer));
        await rt?.close(Math.max(0, stopAt - Date.now()));
        logger.info('stopped');
        // Everything is closed or dropped; timers a library keeps for a Redis that is gone (reconnects,
        // retry delays) must not hold the exit past worker.shutdownTimeout. The log is written synchronously.
        process.exit(0);
      });
      runtime = startRuntime({ config, logger, metrics: pending.metrics, health: pending.health, workers: true, schedule: opts.schedule, bootstrapCheck: true, waitForRedis: starting.signal }).catch((err: unknown) => {
        if (starting.signal.aborted) return undefined; // SIGTERM while waiting for Redis
        throw err;
      });
      pending.runtime = await runtime;
      const untilSignal = new Promise<void>(() => {}); // the signal handler exits the process
      if (!pending.runtime) return untilSignal;
      const { startEvents } = await import('../events/index.ts');
      pending.events = await startEvents(pending.runtime.ctx);
      logger.info(
        { config: config.file, zones: config.zones.length, connectors: config.connectors.map((c) => c.name), events: [...config.events.sources, ...config.events.webhooks].map((s) => s.name), every: config.schedule.reconcileEveryMs, http: server?.url },
        'origin-region-sync running',
      );
      return untilSignal;
    });
}
