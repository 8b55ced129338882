import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { addFakeOptions, serveFake, type FakeServeOptions } from '../serve.ts';
import { startAzurite, type Azurite } from './azurite.ts';
import { parseAzureInventory, startAzureFake, type AzureEventsOptions, type AzureFake } from './index.ts';

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

Edits to the inventory file (or PUT /_admin/inventory with the inventory as JSON, from this machine)
change what the fake lists at once. With --events QUEUE, each change is also delivered as the Event Grid
event ARM raises (Microsoft.Resources.ResourceWriteSuccess / ResourceDeleteSuccess, Base64-encoded) to
that Storage queue: on Azurite, started here unless --events-connection-string-env names the account.
The azure-storage-queue event source consumes it:

  events:
    sources:
      - name: azure-events
        type: azure-storage-queue
        queueUrl: <the queue URL printed on stderr>
        connectionStringEnv: AZURE_QUEUE_CONNECTION_STRING

Faults (an ARM error code, a 5xx, slowness) are set per subscription in the inventory: see
docs/inventory/azure.md.`;

interface AzureServeOptions extends FakeServeOptions {
  caOut?: string;
  events?: string;
  eventsConnectionStringEnv?: string;
}

function queueName(value: string): string {
  if (!/^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/.test(value)) throw new InvalidArgumentError('a queue name: 3-63 lowercase letters, digits and single hyphens');
  return value;
}

/** `emulate azure`: the Azure Resource Manager fake as a standalone server. */
export function registerCommand(parent: Command): void {
  const cmd = parent
    .command('azure')
    .summary('Azure Resource Manager fake (subscriptions, public IP addresses) over https, with Event Grid events')
    .description('Azure Resource Manager fake for the azure connector: lists the subscriptions and public IP addresses of an inventory file, and follows its edits.')
    .option('--ca-out <file>', "where to write the fake's certificate (PEM), for the connector's caFile (default: a file in the temp folder)")
    .option('--events <queue>', 'deliver an Event Grid event for each inventory change to this Storage queue', queueName)
    .option('--events-connection-string-env <name>', 'environment variable holding the storage account connection string for --events (default: start Azurite)')
    .addHelpText('after', EXAMPLE);
  addFakeOptions(cmd, 'azure', { maxPageSize: 1000, pagingHint: 'nextLink' }).action(async (opts: AzureServeOptions) => {
    let caOut = '';
    let azurite: Azurite | undefined;
    let queueUrl = '';
    const err = (line: string) => process.stderr.write(`azure fake: ${line}\n`);
    process.exitCode = await serveFake({
      label: 'azure fake',
      file: opts.inventory,
      parse: parseAzureInventory,
      start: async (section): Promise<AzureFake> => {
        let events: AzureEventsOptions | undefined;
        if (opts.events) {
          let connectionString: string;
          if (opts.eventsConnectionStringEnv) {
            const value = process.env[opts.eventsConnectionStringEnv]?.trim();
            if (!value) throw new Error(`environment variable ${opts.eventsConnectionStringEnv} (--events-connection-string-env) is not set or empty`);
            connectionString = value;
          } else {
            azurite = await startAzurite();
            connectionString = azurite.connectionString;
            queueUrl = azurite.queueUrl(opts.events);
          }
          events = { connectionString, queue: opts.events };
        }
        try {
          const fake = await startAzureFake({
            inventory: section,
            host: opts.host,
            port: opts.port,
            pageSize: opts.pageSize,
            inventoryFile: resolve(opts.inventory),
            events,
            onEvents: (list) => {
              for (const e of list) err(`event ${e.eventType.replace('Microsoft.Resources.', '')} ${e.subject}`);
            },
            onError: (e) => err(e.message.split('\n').join('\n  ')),
          });
          return {
            ...fake,
            close: async () => {
              await fake.close();
              await azurite?.close();
            },
          };
        } catch (e) {
          await azurite?.close();
          throw e;
        }
      },
      details: (section, fake) => {
        caOut = opts.caOut ? resolve(opts.caOut) : join(tmpdir(), `origin-region-sync-azure-fake-${new URL(fake.url).port}-ca.pem`);
        writeFileSync(caOut, fake.caPem);
        const ips = Object.values(section.subscriptions).reduce((n, sub) => n + (sub.publicIPAddresses?.length ?? 0), 0);
        const lines = [`${Object.keys(section.subscriptions).length} subscription(s), ${ips} public IP address(es), page size ${opts.pageSize}`, `certificate (connector caFile): ${caOut}`];
        lines.push(`watching ${resolve(opts.inventory)} for edits`);
        if (opts.events && azurite) {
          lines.push(`events: Azurite queue ${queueUrl}`, `events: connection string (Azurite's well-known development key): ${azurite.connectionString}`);
        } else if (opts.events) {
          lines.push(`events: queue ${opts.events} of the account in ${opts.eventsConnectionStringEnv}`);
        }
        return lines;
      },
      onStop: () => {
        if (!opts.caOut && caOut) rmSync(caOut, { force: true });
      },
    });
  });
}
