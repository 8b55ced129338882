import type { Command } from 'commander';
import { registerCommand as aws } from '../emulators/aws/command.ts';
import { registerCommand as azure } from '../emulators/azure/command.ts';
import { registerCommand as cloudflare } from '../emulators/cloudflare/command.ts';
import { registerCommand as gcp } from '../emulators/gcp/command.ts';
import { registerCommand as oci } from '../emulators/oci/command.ts';

/** `emulate <api>`: the local fakes the tests, the demo and the benchmarks run against, as servers. */
export function registerEmulate(program: Command): void {
  const emulate = program
    .command('emulate')
    .description('serve a local emulator of an API this daemon talks to (for trying it out, tests and benchmarks)');
  cloudflare(emulate);
  aws(emulate);
  gcp(emulate);
  azure(emulate);
  oci(emulate);
}
