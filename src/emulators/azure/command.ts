import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadInventoryFile } from '../inventory.ts';
import { parseAzureInventory, startAzureFake } from './index.ts';

function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
    return n;
  };
}

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
  parent
    .command('azure')
    .summary('Azure Resource Manager fake (subscriptions, public IP addresses) over https')
    .description('Azure Resource Manager fake for the azure connector: lists the subscriptions and public IP addresses of an inventory file.')
    .requiredOption('--inventory <file>', 'inventory file (YAML or JSON) with an "azure" section')
    .option('--port <n>', 'port to listen on (0 picks a free one)', intIn(0, 65535), 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--page-size <n>', 'items per page of every listing (small, so clients must follow nextLink)', intIn(1, 1000), 5)
    .option('--ca-out <file>', "where to write the fake's certificate (PEM), for the connector's caFile (default: a file in the temp folder)")
    .addHelpText('after', EXAMPLE)
    .action(async (opts: { inventory: string; port: number; host: string; pageSize: number; caOut?: string }) => {
      let fake: Awaited<ReturnType<typeof startAzureFake>>;
      let section: ReturnType<typeof parseAzureInventory>;
      try {
        section = parseAzureInventory(await loadInventoryFile(opts.inventory));
      } catch (err) {
        process.stderr.write(`azure fake: ${opts.inventory}: ${(err as Error).message}\n`);
        process.exit(2);
      }
      try {
        fake = await startAzureFake({ inventory: section, host: opts.host, port: opts.port, pageSize: opts.pageSize });
      } catch (err) {
        process.stderr.write(`azure fake: cannot start: ${(err as Error).message}\n`);
        process.exit(2);
      }
      const port = new URL(fake.url).port;
      const caOut = opts.caOut ? resolve(opts.caOut) : join(tmpdir(), `origin-region-sync-azure-fake-${port}-ca.pem`);
      writeFileSync(caOut, fake.caPem);
      const ips = Object.values(section.subscriptions).reduce((n, s) => n + (s.publicIPAddresses?.length ?? 0), 0);
      process.stdout.write(`${fake.url}\n`);
      process.stderr.write(
        `azure fake: ${Object.keys(section.subscriptions).length} subscription(s), ${ips} public IP address(es), page size ${opts.pageSize}\n` +
          `azure fake: certificate (connector caFile): ${caOut}\n` +
          'azure fake: Ctrl-C or SIGTERM stops it\n',
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`azure fake: ${signal}, stopping\n`);
        void fake.close().finally(() => {
          if (!opts.caOut) rmSync(caOut, { force: true });
          process.exit(0);
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
