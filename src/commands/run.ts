import type { Command } from 'commander';
import { addConfigOption, cliLogger, loadConfigFor, logLevelOption, onSignals, type GlobalOptions } from './common.ts';

export function registerRun(program: Command): void {
  addConfigOption(program.command('run'))
    .description('run the daemon: workers for every queue, the periodic reconcile schedule, and the HTTP server (/healthz, /readyz, /metrics, dashboard, resync API)')
    .option('--no-server', 'do not start the HTTP server')
    .option('--no-schedule', 'do not create or update the periodic schedule (another replica owns it)')
    .addOption(logLevelOption('override log.level'))
    .addHelpText('after', '\nStops on SIGTERM/SIGINT: running jobs finish or go back to the queue within worker.shutdownTimeout, then it exits 0.')
    .action(async (opts: GlobalOptions & { server: boolean; schedule: boolean }) => {
      const config = await loadConfigFor(opts);
      const logger = cliLogger(config, opts, true);
      for (const w of config.warnings) logger.warn(w);
      const { startRuntime } = await import('../pipeline/runtime.ts');
      const { startAdminServer } = await import('../server/http.ts');
      const rt = await startRuntime({ config, logger, workers: true, schedule: opts.schedule });
      const server = opts.server ? await startAdminServer(rt) : undefined;
      logger.info(
        { config: config.file, zones: config.zones.length, connectors: config.connectors.map((c) => c.name), every: config.schedule.reconcileEveryMs, http: server?.url },
        'origin-region-sync running',
      );
      await new Promise<void>((resolve) => {
        onSignals(async (signal) => {
          logger.info({ signal, deadlineMs: config.worker.shutdownTimeoutMs }, 'shutting down');
          await server?.close();
          await rt.close();
          logger.info('stopped');
          resolve();
        });
      });
    });
}
