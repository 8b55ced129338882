import { InvalidArgumentError, type Command } from 'commander';
import { loadInventoryFile } from '../inventory.ts';
import { startOciFake } from './index.ts';
import { loadOciInventory, OciInventoryError } from './inventory.ts';

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
    return n;
  };
}

/** `emulate oci --inventory FILE [--port N] [--host H] [--page-size N]` */
export function registerCommand(parent: Command): void {
  parent
    .command('oci')
    .description('Serve a fake OCI API (identity + virtual network, /20160918 JSON) seeded from the oci section of an inventory file')
    .requiredOption('--inventory <file>', 'inventory file (YAML or JSON) with an oci section; see docs/inventory/oci.md')
    .option('--port <n>', 'port to listen on; 0 picks a free one', integer(0, 65535), 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--page-size <n>', 'items per page of every list call (small, so clients follow opc-next-page)', integer(1, 1000), 5)
    .addHelpText(
      'after',
      `
The region is the first path segment: point an OCI connector at the fake with
  endpoint: http://HOST:PORT/{region}
and an OCI config file whose tenancy is the inventory's oci.tenancy. Requests
must be signed; with oci.apiKeys in the inventory, signatures are verified.
Stops on SIGINT or SIGTERM.`,
    )
    .action(async (opts: { inventory: string; port: number; host: string; pageSize: number }) => {
      let section;
      try {
        const inventory = await loadInventoryFile(opts.inventory);
        if (inventory.oci === undefined) throw new OciInventoryError('oci: the inventory has no oci section');
        loadOciInventory(inventory.oci);
        section = inventory.oci;
      } catch (e) {
        const lines = (e instanceof Error ? e.message : String(e)).split('\n');
        const prefixed = lines.map((l) => (l.startsWith(`${opts.inventory}:`) ? l : `${opts.inventory}: ${l}`));
        process.stderr.write(`${prefixed.join('\n')}\n`);
        process.exitCode = 2;
        return;
      }
      let fake;
      try {
        fake = await startOciFake({ inventory: section, host: opts.host, port: opts.port, pageSize: opts.pageSize });
      } catch (e) {
        process.stderr.write(`cannot start the OCI fake on ${opts.host}:${opts.port}: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`OCI fake listening on ${fake.url}\nconnector endpoint: ${fake.url}/{region}\n`);
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.stdout.write(`OCI fake stopping (${signal})\n`);
        void fake.close();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
