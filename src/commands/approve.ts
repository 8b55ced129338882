import type { Command } from 'commander';
import { parseDuration } from '../config/duration.ts';
import { addConfigOption, CliError, cliLogger, EXIT, loadConfigFor, type GlobalOptions } from './common.ts';
import { renderPlan } from './render.ts';

export function registerApprove(program: Command): void {
  addConfigOption(program.command('approve'))
    .argument('<plan-id>', 'the held plan (from `sync --once`, `status` or the log)')
    .description('release a plan held by the mass-change guard; a running daemon applies it if the zone still needs exactly those changes')
    .option('--wait', 'wait for the daemon to apply it and print the result')
    .option('--timeout <duration>', 'with --wait: give up after this long', '10m')
    .action(async (planId: string, opts: GlobalOptions & { wait?: boolean; timeout: string }) => {
      const config = await loadConfigFor(opts, undefined, { cloudflare: false });
      const { startRuntime } = await import('../pipeline/runtime.ts');
      const { approvePlan } = await import('../pipeline/requests.ts');
      const { waitForZone } = await import('../pipeline/run-once.ts');
      const rt = await startRuntime({ config, logger: cliLogger(config, opts), workers: false, schedule: false });
      try {
        const r = await approvePlan(rt, planId);
        if (!r.ok) throw new CliError(r.error, EXIT.error);
        const workers = await rt.ctx.queues.reconcile.getWorkersCount();
        process.stdout.write(`plan ${planId} approved${workers === 0 ? '; no daemon is running: it is applied when one starts (or run `sync --once --force`)' : ''}\n`);
        if (!opts.wait) return;
        const timeoutMs = parseDuration(opts.timeout) ?? 600_000;
        const z = await waitForZone(rt, r.zoneId, r.jobId, 0, false, AbortSignal.timeout(timeoutMs)).catch(() => {
          throw new CliError(`no result within ${opts.timeout}`);
        });
        if (z.plan) process.stdout.write(renderPlan(config, z.plan) + '\n');
        if (z.result.status === 'held') {
          process.stdout.write(`the zone changed since plan ${planId}: the new plan ${z.result.planId} is held for review\n`);
          process.exitCode = EXIT.held;
        } else process.exitCode = ['applied', 'noop'].includes(z.result.status) ? 0 : 1;
      } finally {
        await rt.close();
      }
    });
}
