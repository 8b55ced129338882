import type { Command } from 'commander';
import { addConfigOption, CliError, cliLogger, EXIT, loadConfigFor, onSignals, type GlobalOptions } from './common.ts';
import { cycleJson, writeJson } from './json.ts';
import { exitCodeOf, renderOnce, showProgress } from './render.ts';

interface ApplyOptions extends GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  limit: string;
}

export function registerApply(program: Command): void {
  addConfigOption(program.command('apply'))
    .argument('<plan-file>', 'a plan saved with `plan --out FILE`')
    .description('apply exactly the changes of a saved plan, in this process; refuses (nothing written) if the zone or the inventory changed since it was made')
    .option('--json', 'print a stable, machine-readable JSON document instead of text')
    .option('--limit <n>', 'items listed per section in text output', '20')
    .option('-v, --verbose', 'log progress details to stderr')
    .addHelpText(
      'after',
      '\nEach zone is discovered and planned again: its plan is applied only if it makes the same writes from the\nsame Cloudflare list and the same desired set as the saved one (the guard does not hold it: you reviewed it).\nOtherwise the zone is left alone and reported stale: make a new plan.\nExit codes: 0 applied, 1 errors or a stale plan, 2 bad configuration, usage or plan file.',
    )
    .action(async (file: string, opts: ApplyOptions) => {
      const { readPlanFile, expectationOf } = await import('./plan-file.ts');
      const doc = await readPlanFile(file);
      const config = await loadConfigFor(opts);
      if (doc.prefix !== config.redis.prefix) throw new CliError(`${file} was made against Redis prefix "${doc.prefix}", this configuration uses "${config.redis.prefix}": make a new plan`, EXIT.usage);
      for (const z of doc.zones) {
        if (!config.zones.some((c) => c.id === z.zoneId)) throw new CliError(`${file} plans zone ${z.zoneId}, which is not in ${config.file}`, EXIT.usage);
      }
      const logger = cliLogger(config, opts);
      const { startRuntime } = await import('../pipeline/runtime.ts');
      const { runOnce } = await import('../pipeline/run-once.ts');
      const rt = await startRuntime({ config, logger, workers: true, schedule: false });
      const stopSignals = onSignals(async () => {
        process.stderr.write('\ninterrupted: handing unfinished work back to the queue\n');
        await rt.close();
        process.exit(130);
      });
      try {
        const stopProgress = opts.json ? () => {} : showProgress(rt.ctx.events);
        const expect = Object.fromEntries(doc.zones.map((z) => [z.zoneId, expectationOf(z.plan)]));
        const result = await runOnce(rt, { reason: 'plan-file', zones: doc.zones.map((z) => z.zoneId), expect }).finally(stopProgress);
        const stale = result.zones.filter((z) => z.result.status === 'stale');
        const code = stale.length > 0 ? EXIT.error : exitCodeOf(result);
        if (opts.json) writeJson('apply', cycleJson(config, result), code);
        else {
          process.stdout.write(renderOnce(config, result, { limit: Number(opts.limit) || 20 }) + '\n');
          for (const z of stale) process.stdout.write(`\nstale: zone ${z.result.zoneId}: ${z.result.statusReason}\n`);
        }
        process.exitCode = code;
      } finally {
        stopSignals();
        await rt.close();
      }
    });
}
