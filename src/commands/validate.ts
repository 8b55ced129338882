import type { Command } from 'commander';
import { addConfigOption, loadConfigFor, type GlobalOptions } from './common.ts';

export function registerValidate(program: Command): void {
  addConfigOption(program.command('validate'))
    .description('check the configuration file and exit: 0 valid, 2 invalid (every problem is printed with its key)')
    .action(async (opts: GlobalOptions) => {
      const config = await loadConfigFor(opts);
      process.stdout.write(`${config.file}: valid (${config.zones.length} zone(s), ${config.connectors.length} connector(s))\n`);
    });
}
