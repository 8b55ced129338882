import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { addFakeOptions, serveFake, type FakeServeOptions } from '../serve.ts';
import { parseAzureInventory, startAzureFake } from './index.ts';

const EXAMPLE = `
Serves over https with a self-signed certificate made at start (the Azure SDK sends bearer tokens only
over TLS). The certificate is written to --ca-out; point the connector at the fake with:

  connectors:
    - name: azure-fake
      type: azure
      subscriptions: ['*']
      endpoint: <the URL printed on stdout>
      caFile: <the --ca-out file>
      tokenEnv: AZURE_FAKE_TOKEN     # any non-empty value: the fake checks a token is sent, not which

Faults (an ARM error code, a 5xx, slowness) are set per subscription in the inventory: see
docs/inventory/azure.md.`;

/** `emulate azure`: the Azure Resource Manager fake as a standalone server. */
export function registerCommand(parent: Command): void {
  const cmd = parent
    .command('azure')
    .summary('Azure Resource Manager fake (subscriptions, public IP addresses) over https')
    .description('Azure Resource Manager fake for the azure connector: lists the subscriptions and public IP addresses of an inventory file.')
    .option('--ca-out <file>', "where to write the fake's certificate (PEM), for the connector's caFile (default: a file in the temp folder)")
    .addHelpText('after', EXAMPLE);
  addFakeOptions(cmd, 'azure', { maxPageSize: 1000, pagingHint: 'nextLink' }).action(async (opts: FakeServeOptions & { caOut?: string }) => {
    let caOut = '';
    process.exitCode = await serveFake({
      label: 'azure fake',
      file: opts.inventory,
      parse: parseAzureInventory,
      start: (section) => startAzureFake({ inventory: section, host: opts.host, port: opts.port, pageSize: opts.pageSize }),
      details: (section, fake) => {
        caOut = opts.caOut ? resolve(opts.caOut) : join(tmpdir(), `origin-region-sync-azure-fake-${new URL(fake.url).port}-ca.pem`);
        writeFileSync(caOut, fake.caPem);
        const ips = Object.values(section.subscriptions).reduce((n, sub) => n + (sub.publicIPAddresses?.length ?? 0), 0);
        return [`${Object.keys(section.subscriptions).length} subscription(s), ${ips} public IP address(es), page size ${opts.pageSize}`, `certificate (connector caFile): ${caOut}`];
      },
      onStop: () => {
        if (!opts.caOut && caOut) rmSync(caOut, { force: true });
      },
    });
  });
}
