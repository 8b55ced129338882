import type { Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { addConfigOption, cliLogger, loadConfigFor, type GlobalOptions } from './common.ts';

export function registerValidate(program: Command): void {
  addConfigOption(program.command('validate'))
    .description(
      'check the configuration and exit: 0 valid, 2 invalid (every problem is printed with its key). Checks what `run` needs: the file, the Cloudflare credentials (variables set, files readable), and every connector (credential variables set, key and config files readable, a file connector\'s inventory present); it calls no API',
    )
    .action(async (opts: GlobalOptions) => {
      const config = await loadConfigFor(opts);
      const { checkConnector } = await import('../../connectors/index.ts');
      const logger = cliLogger(config, opts);
      const issues = (
        await Promise.all(
          config.connectors.map(async (c, i) =>
            (await checkConnector(c, { configDir: config.dir, logger: logger.child({ connector: c.name }), env: process.env })).map((m) => `connectors[${i}] (${c.name}): ${m}`),
          ),
        )
      ).flat();
      if (issues.length > 0) throw new ConfigError(issues, config.file);
      process.stdout.write(`${config.file}: valid (${config.zones.length} zone(s), ${config.connectors.length} connector(s))\n`);
    });
}
