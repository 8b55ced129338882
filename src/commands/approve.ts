import type { Command } from 'commander';
import { parseDuration } from '../config/duration.ts';
import { addConfigOption, CliError, cliLogger, EXIT, loadConfigFor, type GlobalOptions } from './common.ts';
import { writeJson, zonesJson } from './json.ts';
import { renderPlan } from './render.ts';

export function registerApprove(program: Command): void {
  addConfigOption(program.command('approve'))
    .argument('<plan-id>', 'the held plan (from `sync --once`, `status` or the log)')
    .description('release a plan held by the mass-change guard; a running daemon applies it if the zone still needs exactly those changes')
    .option('--wait', 'wait for the daemon to apply it and print the result (exit codes as `sync --once`)')
    .option('--timeout <duration>', 'with --wait: give up after this long', '10m')
    .option('--json', 'with --wait: print the result as JSON (the schema every command shares: docs/cli-output.schema.json)')
    .action(async (planId: string, opts: GlobalOptions & { wait?: boolean; timeout: string; json?: boolean }) => {
      if (opts.json && !opts.wait) throw new CliError('--json needs --wait (without it there is no result to print)', EXIT.usage);
      const timeoutMs = parseDuration(opts.timeout);
      if (timeoutMs === null) throw new CliError(`--timeout: "${opts.timeout}" is not a duration (e.g. 30s, 10m)`, EXIT.usage);
      const config = await loadConfigFor(opts, undefined, { cloudflare: false });
      const { startRuntime } = await import('../pipeline/runtime.ts');
      const { approvePlan } = await import('../pipeline/requests.ts');
      const { waitForZone } = await import('../pipeline/run-once.ts');
      const rt = await startRuntime({ config, logger: cliLogger(config, opts), workers: false, schedule: false });
      try {
        const r = await approvePlan(rt, planId);
        if (!r.ok) throw new CliError(r.error, EXIT.error);
        const workers = await rt.ctx.queues.reconcile.getWorkersCount();
        // With --json, stdout holds only the document: the human line goes to stderr.
        (opts.json ? process.stderr : process.stdout).write(`plan ${planId} approved${workers === 0 ? '; no daemon is running: it is applied when one starts (or run `sync --once --force`)' : ''}\n`);
        if (!opts.wait) return;
        const z = await waitForZone(rt, r.zoneId, r.jobId, 0, false, AbortSignal.timeout(timeoutMs)).catch(() => {
          throw new CliError(`no result within ${opts.timeout}`);
        });
        const code = z.result.status === 'held' ? EXIT.held : ['applied', 'noop'].includes(z.result.status) ? EXIT.ok : EXIT.error;
        if (opts.json) writeJson('approve', { planId, zones: zonesJson(config, [z]) }, code);
        else {
          if (z.plan) process.stdout.write(renderPlan(config, z.plan) + '\n');
          if (code === EXIT.held) process.stdout.write(`the zone changed since plan ${planId}: the new plan ${z.result.planId} is held for review\n`);
        }
        process.exitCode = code;
      } finally {
        await rt.close();
      }
    });
}
