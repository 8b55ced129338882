import type { Command } from 'commander';
import type { DryRunContext } from '../pipeline/dry-run.ts';
import type { OnceResult } from '../pipeline/run-once.ts';
import { addConfigOption, CliError, cliLogger, countArg, EXIT, loadConfigFor, onSignals, zoneByIdOrName, type GlobalOptions } from './common.ts';
import { cycleJson, writeJson } from './json.ts';
import { exitCodeOf, renderOnce, showProgress } from './render.ts';

interface SyncOptions extends GlobalOptions {
  once?: boolean;
  dryRun?: boolean;
  force?: boolean;
  zone?: string;
  json?: boolean;
  verbose?: boolean;
  limit?: number;
  out?: string;
  detailedExitcode?: boolean;
  all?: boolean;
}

/**
 * `sync --once`: one cycle through the same queues and workers as the daemon, in this process.
 * `plan` and `sync --once --dry-run`: the same discovery and planning in this process, without queues or
 * workers, so no job waiting for a daemon can run here, and nothing is written (see pipeline/dry-run.ts).
 */
async function once(opts: SyncOptions, mode: { dryRun: boolean; command: 'sync' | 'plan' }): Promise<number> {
  const config = await loadConfigFor(opts);
  const logger = cliLogger(config, opts);
  let zones: string[] | undefined;
  if (opts.zone) {
    zones = [zoneByIdOrName(config, opts.zone).id];
  }
  const request = { reason: 'cli' as const, ...(zones ? { zones } : {}) };
  let rt: { ctx: Pick<DryRunContext, 'state' | 'events'>; close(): Promise<void> };
  let run: () => Promise<OnceResult>;
  if (mode.dryRun) {
    const { openReadOnly } = await import('../pipeline/runtime.ts');
    const { dryRun } = await import('../pipeline/dry-run.ts');
    const ro = await openReadOnly({ config, logger });
    rt = ro;
    run = () => dryRun(ro.ctx, { ...request, ...(opts.all ? { all: true } : {}) });
  } else {
    const { startRuntime } = await import('../pipeline/runtime.ts');
    const { runOnce } = await import('../pipeline/run-once.ts');
    const full = await startRuntime({ config, logger, workers: true, schedule: false });
    rt = full;
    run = () => runOnce(full, request);
  }
  const stopSignals = onSignals(async () => {
    process.stderr.write(mode.dryRun ? '\ninterrupted\n' : '\ninterrupted: handing unfinished work back to the queue\n');
    await rt.close();
    process.exit(130);
  });
  const forced = opts.force && !mode.dryRun ? (zones ?? config.zones.map((z) => z.id)) : [];
  try {
    for (const z of forced) await rt.ctx.state.guard.setForce(z, 3600);
    const stopProgress = opts.json ? () => {} : showProgress(rt.ctx.events);
    const result = await run().finally(stopProgress);
    let code = mode.dryRun ? (exitCodeOf(result) === 1 ? 1 : 0) : exitCodeOf(result);
    if (mode.dryRun && opts.out) {
      const planned = result.zones.flatMap((z) => (z.plan ? [{ zoneId: z.plan.zoneId, name: config.zones.find((x) => x.id === z.plan!.zoneId)?.name ?? null, plan: z.plan }] : []));
      if (planned.length !== result.zones.length) throw new CliError(`not every zone could be planned: no plan file written (see the errors above)`, EXIT.error);
      const { writePlanFile } = await import('./plan-file.ts');
      await writePlanFile(opts.out, config.redis.prefix, planned);
      process.stderr.write(`plan saved to ${opts.out}: review it, then \`origin-region-sync apply ${opts.out}\` applies exactly these changes (or refuses if the zone or the inventory changed)\n`);
    }
    // Terraform's -detailed-exitcode: a CI job can tell "nothing to do" from "changes pending".
    if (mode.dryRun && opts.detailedExitcode && code === 0 && result.zones.some((z) => (z.plan?.upserts.length ?? 0) + (z.plan?.deletes.length ?? 0) > 0)) code = 2;
    if (opts.json) writeJson(mode.command, cycleJson(config, result), code);
    else {
      process.stdout.write(renderOnce(config, result, { limit: opts.limit ?? 20 }) + '\n');
      if (code === EXIT.held) process.stdout.write('\nheld by the guard: nothing was written. Review the plan, then `origin-region-sync approve <plan-id>` (a running daemon applies it) or `sync --once --force`.\n');
    }
    return code;
  } finally {
    for (const z of forced) await rt.ctx.state.guard.takeForce(z);
    stopSignals();
    await rt.close();
  }
}

export function registerSync(program: Command): void {
  addConfigOption(program.command('sync'))
    .description('run one full cycle (discover every scope, plan each zone, apply) through the queues in this process, print the plan and the result, and exit')
    .option('--once', 'run one cycle and exit (required: the long-running daemon is `run`)')
    .option('--dry-run', 'plan only, like `plan`: run no queued job, write nothing to Cloudflare, change no state a daemon uses')
    .option('--force', 'apply plans the mass-change guard would hold')
    .option('--zone <id-or-name>', 'only this zone')
    .option('--json', 'print a stable, machine-readable JSON document instead of text')
    .option('--limit <n>', 'items listed per section in text output', countArg, 20)
    .option('-v, --verbose', 'log progress details to stderr')
    .addHelpText(
      'after',
      '\nExit codes: 0 converged, 1 errors (a scope, a zone or a write failed), 2 bad configuration or usage,\n3 held by the mass-change guard (nothing written; --force or `approve` applies it).',
    )
    .action(async (opts: SyncOptions) => {
      if (!opts.once) throw new CliError('sync needs --once (it runs one cycle and exits); the daemon is `origin-region-sync run`', EXIT.usage);
      process.exitCode = await once(opts, { dryRun: !!opts.dryRun, command: 'sync' });
    });

  addConfigOption(program.command('plan'))
    .description('discover and diff every zone (or one) in this process and print what a sync would do; runs no queued job, writes nothing to Cloudflare and changes no state a daemon uses')
    .option('--zone <id-or-name>', 'only this zone')
    .option('--json', 'print a stable, machine-readable JSON document instead of text')
    .option('--limit <n>', 'items listed per section in text output', countArg, 20)
    .option('-v, --verbose', 'log progress details to stderr')
    .option('--out <file>', 'save the plan (with its digest and the state it was made from) for `apply FILE`')
    .option('--detailed-exitcode', 'exit 0 when there is nothing to do, 2 when changes are pending, 1 on errors')
    .option('--all', 'list every skipped and overflow origin (with --json); without it, as in a stored plan, the first 100 of each and their totals')
    .addHelpText(
      'after',
      '\nExit codes: 0 planned, 1 errors (a scope or a zone failed), 2 bad configuration or usage.\nWith --detailed-exitcode: 0 nothing to do, 1 errors, 2 changes pending (as terraform plan -detailed-exitcode).',
    )
    .action(async (opts: SyncOptions) => {
      process.exitCode = await once(opts, { dryRun: true, command: 'plan' });
    });
}
