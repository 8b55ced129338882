import { InvalidArgumentError, type Command } from 'commander';
import { loadInventoryFile } from '../inventory.ts';
import { startGcpFake } from './index.ts';
import { parseGcpInventory } from './inventory.ts';

function intOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
    return n;
  };
}

/** `emulate gcp --inventory FILE`: serves the inventory's gcp section until SIGINT / SIGTERM. */
export function registerCommand(parent: Command): void {
  parent
    .command('gcp')
    .description('Serve a fake GCP compute API (REST/JSON aggregated lists) from the gcp section of an inventory file')
    .requiredOption('--inventory <file>', 'inventory file (YAML or JSON) with a gcp section; see docs/inventory/gcp.md')
    .option('--port <n>', 'port to listen on (0: any free port)', intOption(0, 65535), 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--page-size <n>', 'most items per page, whatever maxResults asks (small values exercise paging)', intOption(1, 500), 5)
    .addHelpText(
      'after',
      `
Serves GET /compute/v1/projects/{project}/aggregated/{addresses,instances,forwardingRules}
over plain http. Point a gcp connector at it with "endpoint: <printed URL>": no credentials are sent.

Example:
  origin-region-sync emulate gcp --inventory test/fixtures/inventory-gcp.yaml --port 8085`,
    )
    .action(async (opts: { inventory: string; port: number; host: string; pageSize: number }, cmd: Command) => {
      let section;
      try {
        section = parseGcpInventory(await loadInventoryFile(opts.inventory));
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        cmd.error(`emulate gcp: ${why.includes(opts.inventory) ? why : `${opts.inventory}: ${why}`}`, { exitCode: 2, code: 'emulate.gcp.inventory' });
        return;
      }
      let fake;
      try {
        fake = await startGcpFake({ inventory: section, host: opts.host, port: opts.port, pageSize: opts.pageSize });
      } catch (e) {
        cmd.error(`emulate gcp: cannot listen on ${opts.host}:${opts.port}: ${e instanceof Error ? e.message : String(e)}`, { exitCode: 1, code: 'emulate.gcp.listen' });
        return;
      }
      process.stdout.write(`gcp compute fake listening on ${fake.url}\n`);
      const running = fake;
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stderr.write(`emulate gcp: ${signal}, stopping\n`);
          void running.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
