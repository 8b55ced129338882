import type { Command } from 'commander';
import { addFakeOptions, serveFake, type FakeServeOptions } from '../serve.ts';
import { startOciFake } from './index.ts';
import { loadOciInventory, OciInventoryError } from './inventory.ts';

/** `emulate oci --inventory FILE [--port N] [--host H] [--page-size N]` */
export function registerCommand(parent: Command): void {
  const cmd = parent
    .command('oci')
    .description('Serve a fake OCI API (identity + virtual network, /20160918 JSON) seeded from the oci section of an inventory file')
    .addHelpText(
      'after',
      `
The region is the first path segment: point an OCI connector at the fake with
  endpoint: http://HOST:PORT/{region}
and an OCI config file whose tenancy is the inventory's oci.tenancy. Requests
must be signed; with oci.apiKeys in the inventory, signatures are verified.
Stops on SIGINT or SIGTERM.`,
    );
  addFakeOptions(cmd, 'oci', { maxPageSize: 1000, pagingHint: 'opc-next-page' }).action(async (opts: FakeServeOptions) => {
    process.exitCode = await serveFake({
      label: 'oci fake',
      file: opts.inventory,
      parse: (inventory) => {
        if (inventory.oci === undefined) throw new OciInventoryError('oci: the inventory has no oci section');
        loadOciInventory(inventory.oci);
        return inventory.oci;
      },
      start: (section) => startOciFake({ inventory: section, host: opts.host, port: opts.port, pageSize: opts.pageSize }),
      details: (_section, fake) => [`connector endpoint: ${fake.url}/{region}`],
    });
  });
}
