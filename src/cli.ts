import { Command, CommanderError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { registerApply } from './commands/apply.ts';
import { registerApprove } from './commands/approve.ts';
import { formatError } from './commands/common.ts';
import { registerDemo } from './commands/demo.ts';
import { registerEmulate } from './commands/emulate.ts';
import { registerHistory } from './commands/history.ts';
import { registerPlans } from './commands/plans.ts';
import { registerRecover } from './commands/recover.ts';
import { registerResync } from './commands/resync.ts';
import { registerRun } from './commands/run.ts';
import { registerState } from './commands/state.ts';
import { registerStatus } from './commands/status.ts';
import { registerSync } from './commands/sync.ts';
import { registerValidate } from './commands/validate.ts';

/** The command line. Each command lives in src/commands/ and documents itself in --help. */
export function buildProgram(): Command {
  const program = new Command('origin-region-sync')
    .description('Keeps Cloudflare origin cloud region mappings in step with the public origins running in AWS, GCP, Azure and OCI.')
    .version(pkg.version)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Configuration: --config FILE, else $ORS_CONFIG, else ./origin-region-sync.yaml (see config/example.yaml).
Exit codes: 0 ok, 1 errors, 2 bad configuration or usage (no command: this help on stderr), 3 plan held by the mass-change guard.
Quick start: npm run demo`,
    );
  program.configureHelp({ sortSubcommands: false });
  registerRun(program);
  registerSync(program);
  registerResync(program);
  registerStatus(program);
  registerApprove(program);
  registerApply(program);
  registerPlans(program);
  registerHistory(program);
  registerRecover(program);
  registerState(program);
  registerValidate(program);
  registerDemo(program);
  registerEmulate(program);
  // Usage errors become exit code 2 in main(), for nested commands (plans list, emulate aws) too.
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; usage mistakes were already printed. Help asked for
      // (--help, `help`) goes to stdout, exit 0; no command at all is a usage mistake: help on stderr, exit 2.
      const asked = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || (err.code === 'commander.help' && err.exitCode === 0);
      return asked ? 0 : 2;
    }
    const { message, exitCode } = formatError(err);
    process.stderr.write(`origin-region-sync: ${message}\n`);
    return exitCode;
  }
}

/** Exit with the command's code once output is flushed, even if a library left a handle open. */
export async function runCli(argv: string[]): Promise<void> {
  const code = await main(argv);
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
}

if (import.meta.main) await runCli(process.argv);
