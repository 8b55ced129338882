import type { Command } from 'commander';
import { addFakeOptions, serveFake, type FakeServeOptions } from '../serve.ts';
import { startOciFake } from './index.ts';
import { loadOciInventory, OciInventoryError } from './inventory.ts';

/** `emulate oci --inventory FILE [--port N] [--host H] [--page-size N] [--stream-id OCID]` */
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

Events: the fake also serves OCI Streaming's messages API (/20180418) with one
stream. Each change of the inventory, by editing the file or with
  curl -X PUT --data-binary @inventory.json http://HOST:PORT/_admin/inventory
(local clients only), is published to it as the OCI Events envelope
(createpublicip, deletepublicip, …). Point an oci-streaming event source at
  messagesEndpoint: http://HOST:PORT   streamId: (printed at start)
Stops on SIGINT or SIGTERM.`,
    );
  addFakeOptions(cmd, 'oci', { maxPageSize: 1000, pagingHint: 'opc-next-page' })
    .option('--stream-id <ocid>', 'OCID of the events stream (default ocid1.stream.oc1.<home region key>.fakeorsevents)')
    .action(async (opts: FakeServeOptions & { streamId?: string }) => {
    process.exitCode = await serveFake({
      label: 'oci fake',
      file: opts.inventory,
      parse: (inventory) => {
        if (inventory.oci === undefined) throw new OciInventoryError('oci: the inventory has no oci section');
        loadOciInventory(inventory.oci);
        return inventory.oci;
      },
      start: (section) =>
        startOciFake({
          inventory: section,
          host: opts.host,
          port: opts.port,
          pageSize: opts.pageSize,
          inventoryFile: opts.inventory,
          ...(opts.streamId !== undefined ? { events: { streamId: opts.streamId } } : {}),
        }),
      details: (_section, fake) => [
        `connector endpoint: ${fake.url}/{region}`,
        `events: messagesEndpoint ${fake.messagesEndpoint}, streamId ${fake.streamId} (the inventory file is watched)`,
      ],
    });
  });
}
