import type { Command } from 'commander';
import type { CycleResult } from '../pipeline/jobs.ts';
import { addConfigOption, CliError, cliLogger, EXIT, loadConfigFor, type GlobalOptions } from './common.ts';
import { cycleJson, writeJson } from './json.ts';
import { exitCodeOf, renderOnce } from './render.ts';
import { parseDuration } from '../config/duration.ts';

export function registerResync(program: Command): void {
  addConfigOption(program.command('resync'))
    .description('ask a running daemon for an immediate resync of one zone (or all), through the queue; repeated requests coalesce')
    .option('--zone <id-or-name>', 'only this zone')
    .option('--scope <scope-id>', 'rediscover only this scope (see `status` for scope ids; an unknown one, or one the zone does not select, exits 2)')
    .option('--full', "read the zones' mappings from Cloudflare in full, not from the list cache (see cloudflare.driftCheckEvery)")
    .option('--wait', 'wait for the result and print it (exit codes as `sync --once`)')
    .option('--timeout <duration>', 'with --wait: give up after this long', '10m')
    .option('--json', 'with --wait: print the result as JSON (the schema every command shares: docs/cli-output.schema.json)')
    .action(async (opts: GlobalOptions & { zone?: string; scope?: string; full?: boolean; wait?: boolean; timeout: string; json?: boolean }) => {
      const config = await loadConfigFor(opts, undefined, { cloudflare: false });
      const logger = cliLogger(config, opts);
      if (opts.json && !opts.wait) throw new CliError('--json needs --wait (without it there is no result to print)', EXIT.usage);
      const timeoutMs = parseDuration(opts.timeout);
      if (timeoutMs === null) throw new CliError(`--timeout: "${opts.timeout}" is not a duration (e.g. 30s, 10m)`, EXIT.usage);
      const { startRuntime } = await import('../pipeline/runtime.ts');
      const { requestResync } = await import('../pipeline/requests.ts');
      const { zoneOutcome } = await import('../pipeline/run-once.ts');
      const rt = await startRuntime({ config, logger, workers: false, schedule: false });
      try {
        const r = await requestResync(rt, { ...(opts.zone ? { zone: opts.zone } : {}), ...(opts.scope ? { scope: opts.scope } : {}), ...(opts.full ? { full: true } : {}), reason: 'resync' });
        if (!r.ok) throw new CliError(r.error, EXIT.usage);
        const workers = await rt.ctx.queues.cycle.getWorkersCount();
        if (workers === 0) process.stderr.write(`no daemon is running against ${config.redis.prefix} on this Redis: the resync will run when one starts\n`);
        if (!opts.wait) {
          process.stdout.write(`resync queued (job ${r.jobId}) for ${r.zones.length} zone(s)\n`);
          return;
        }
        const signal = AbortSignal.timeout(timeoutMs);
        const [c] = await rt.ctx.jobs.wait<CycleResult>(rt.ctx.queues.cycle, [r.jobId], { signal }).catch(() => {
          throw new CliError(`no result within ${opts.timeout}${workers === 0 ? ' (no daemon running)' : ''}`);
        });
        if (!c || c.state !== 'completed') throw new CliError(`resync ${c?.state === 'failed' ? `failed: ${c.error}` : 'vanished'}`);
        const cycle = c.result;
        const zones = await Promise.all(cycle.reconciles.map((z) => zoneOutcome(rt, z, cycle.discoveredAt, false, signal)));
        const once = { cycle, zones };
        const code = exitCodeOf(once);
        if (opts.json) writeJson('resync', cycleJson(config, once), code);
        else process.stdout.write(renderOnce(config, once) + '\n');
        process.exitCode = code;
      } finally {
        await rt.close();
      }
    });
}
