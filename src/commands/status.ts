import type { Command } from 'commander';
import { addConfigOption, cliLogger, countArg, EXIT, loadConfigFor, type GlobalOptions } from './common.ts';
import { writeJson } from './json.ts';
import { renderStatus } from './render.ts';

export function registerStatus(program: Command): void {
  addConfigOption(program.command('status'))
    .description(
      'show, per zone, what it holds (managed / unmanaged / cap / budget left), a held plan as pending with its own figures, whether it is degraded (failing or partial scopes: deletes frozen there) and the last complete reconcile; a loss of the Redis state (when, and per zone what was re-owned, what awaits review, whether deletes are frozen); a Cloudflare pause in force; queue depths; scopes; recent errors. Reads Redis only: needs no connector credentials and no Cloudflare token',
    )
    .option('--json', 'print JSON (the schema every command shares: docs/cli-output.schema.json)')
    .option('--errors <n>', 'recent errors to show', countArg, 10)
    .action(async (opts: GlobalOptions & { json?: boolean; errors: number }) => {
      const config = await loadConfigFor(opts, undefined, { cloudflare: false });
      const { startRuntime } = await import('../pipeline/runtime.ts');
      const { collectStatus } = await import('../server/status.ts');
      const rt = await startRuntime({ config, logger: cliLogger(config, opts), workers: false, schedule: false });
      try {
        const report = await collectStatus(config, rt.ctx.state, rt.ctx.queues, { errors: opts.errors });
        if (opts.json) writeJson('status', report, EXIT.ok);
        else process.stdout.write(renderStatus(config, report) + '\n');
      } finally {
        await rt.close();
      }
    });
}
