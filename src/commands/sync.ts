import type { Command } from 'commander';
import { addConfigOption, CliError, cliLogger, countArg, EXIT, loadConfigFor, onSignals, type GlobalOptions } from './common.ts';
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
}

/** `sync --once` and `plan`: one cycle through the same queues and workers as the daemon, in this process. */
async function once(opts: SyncOptions, mode: { dryRun: boolean; command: 'sync' | 'plan' }): Promise<number> {
  const config = await loadConfigFor(opts);
  const logger = cliLogger(config, opts);
  let zones: string[] | undefined;
  if (opts.zone) {
    const z = config.zones.find((x) => x.id === opts.zone || x.name === opts.zone);
    if (!z) throw new CliError(`no zone "${opts.zone}" in ${config.file} (zones: ${config.zones.map((x) => x.name ?? x.id).join(', ')})`, EXIT.usage);
    zones = [z.id];
  }
  const { startRuntime } = await import('../pipeline/runtime.ts');
  const { runOnce } = await import('../pipeline/run-once.ts');
  const rt = await startRuntime({ config, logger, workers: true, schedule: false });
  const stopSignals = onSignals(async () => {
    process.stderr.write('\ninterrupted: handing unfinished work back to the queue\n');
    await rt.close();
    process.exit(130);
  });
  const forced = opts.force && !mode.dryRun ? (zones ?? config.zones.map((z) => z.id)) : [];
  try {
    for (const z of forced) await rt.ctx.state.setForce(z, 3600);
    const stopProgress = opts.json ? () => {} : showProgress(rt.ctx.events);
    const result = await runOnce(rt, { reason: 'cli', ...(zones ? { zones } : {}), ...(mode.dryRun ? { dryRun: true } : {}) }).finally(stopProgress);
    const code = mode.dryRun ? (exitCodeOf(result) === 1 ? 1 : 0) : exitCodeOf(result);
    if (opts.json) writeJson(mode.command, cycleJson(config, result), code);
    else {
      process.stdout.write(renderOnce(config, result, { limit: opts.limit ?? 20 }) + '\n');
      if (code === EXIT.held) process.stdout.write('\nheld by the guard: nothing was written. Review the plan, then `origin-region-sync approve <plan-id>` (a running daemon applies it) or `sync --once --force`.\n');
    }
    return code;
  } finally {
    for (const z of forced) await rt.ctx.state.takeForce(z);
    stopSignals();
    await rt.close();
  }
}

export function registerSync(program: Command): void {
  addConfigOption(program.command('sync'))
    .description('run one full cycle (discover every scope, plan each zone, apply) through the queues in this process, print the plan and the result, and exit')
    .option('--once', 'run one cycle and exit (required: the long-running daemon is `run`)')
    .option('--dry-run', 'plan only: write nothing to Cloudflare')
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
    .description('discover and diff every zone (or one), print what a sync would do, and write nothing to Cloudflare')
    .option('--zone <id-or-name>', 'only this zone')
    .option('--json', 'print a stable, machine-readable JSON document instead of text')
    .option('--limit <n>', 'items listed per section in text output', countArg, 20)
    .option('-v, --verbose', 'log progress details to stderr')
    .addHelpText('after', '\nExit codes: 0 planned, 1 errors (a scope or a zone failed), 2 bad configuration or usage.')
    .action(async (opts: SyncOptions) => {
      process.exitCode = await once(opts, { dryRun: true, command: 'plan' });
    });
}
