import type { Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { addConfigOption, cliLogger, loadConfigFor, type GlobalOptions } from './common.ts';

export function registerValidate(program: Command): void {
  addConfigOption(program.command('validate'))
    .description(
      'check the configuration and exit: 0 valid, 2 invalid (every problem is printed with its key). Checks what `run` needs: the file, the Cloudflare credentials (variables set, files readable), and every connector and event source (credential variables set, key and config files readable, a file connector\'s inventory present); it calls no API',
    )
    .action(async (opts: GlobalOptions) => {
      const config = await loadConfigFor(opts);
      const { checkConnector } = await import('../../connectors/index.ts');
      const logger = cliLogger(config, opts);
      const issues: string[] = (
        await Promise.all(
          config.connectors.map(async (c, i) =>
            (await checkConnector(c, { configDir: config.dir, logger: logger.child({ connector: c.name }), env: process.env })).map((m) => `connectors[${i}] (${c.name}): ${m}`),
          ),
        )
      ).flat();
      // Each event source is built as `run` builds it (credentials named, files read) and never started.
      const { createEventSource } = await import('../events/sources.ts');
      const { checkEventSource } = await import('../events/check.ts');
      const quiet = { take: () => Promise.reject(new Error('validate takes no event')) };
      const noHealth = { up() {}, down() {}, lag() {} };
      for (const [i, s] of config.events.sources.entries()) {
        const ctx = { logger: logger.child({ source: s.name }), configDir: config.dir, env: process.env };
        issues.push(...(await checkEventSource(s, ctx)).map((m) => `events.sources[${i}] (${s.name}): ${m}`));
        try {
          const built = await createEventSource(s, { sink: quiet, health: noHealth, ...ctx });
          await built?.stop();
        } catch (err) {
          issues.push(`events.sources[${i}] (${s.name}): ${(err as Error).message}`);
        }
      }
      if (issues.length > 0) throw new ConfigError(issues, config.file);
      const sources = config.events.sources.length + config.events.webhooks.length;
      process.stdout.write(`${config.file}: valid (${config.zones.length} zone(s), ${config.connectors.length} connector(s)${sources > 0 ? `, ${sources} event source(s)` : ''})\n`);
    });
}
