import type { Command } from 'commander';
import { addFakeOptions, integerOption, serveFake, type FakeServeOptions } from '../serve.ts';
import { startGcpFake } from './index.ts';
import { parseGcpInventory } from './inventory.ts';

interface GcpServeOptions extends FakeServeOptions {
  events: boolean;
  pubsubPort: number;
}

/** `emulate gcp --inventory FILE`: serves the inventory's gcp section until SIGINT / SIGTERM. */
export function registerCommand(parent: Command): void {
  const cmd = parent
    .command('gcp')
    .description('Serve a fake GCP compute API (REST/JSON aggregated lists) from the gcp section of an inventory file, and a Pub/Sub emulator carrying its audit events')
    .addHelpText(
      'after',
      `
Serves GET /compute/v1/projects/{project}/aggregated/{addresses,instances,forwardingRules}
over plain http. Point a gcp connector at it with "endpoint: <printed URL>": no credentials are sent.

The inventory file is watched: each saved edit changes what the fake serves, and each difference
becomes the Admin Activity audit entries Compute would log (first and last of the operation),
published to a Pub/Sub emulator (gRPC, as Google's: PUBSUB_EMULATOR_HOST=host:port, printed on
stderr) on projects/ors-fake/topics/ors-events, with the pull subscription
projects/ors-fake/subscriptions/ors-events. Point a gcp-pubsub event source at it with
"subscription: projects/ors-fake/subscriptions/ors-events" and "endpoint: <host:port>".
Also: PUT /_admin/inventory (JSON or YAML) and POST /_admin/pubsub/publish (raw message data).

Example:
  origin-region-sync emulate gcp --inventory test/fixtures/inventory-gcp.yaml --port 8085`,
    );
  addFakeOptions(cmd, 'gcp', { maxPageSize: 500, pagingHint: 'nextPageToken' })
    .option('--no-events', 'no Pub/Sub emulator, no audit events')
    .option('--pubsub-port <n>', 'port of the Pub/Sub emulator (0 picks a free one)', integerOption(0, 65535), 0)
    .action(async (opts: GcpServeOptions) => {
      const note = (line: string) => process.stderr.write(`gcp fake: ${line}\n`);
      process.exitCode = await serveFake({
        label: 'gcp fake',
        file: opts.inventory,
        parse: parseGcpInventory,
        start: (section) =>
          startGcpFake({
            inventory: section,
            host: opts.host,
            port: opts.port,
            pageSize: opts.pageSize,
            inventoryFile: opts.inventory,
            events: opts.events ? { port: opts.pubsubPort } : false,
            onChange: (changes) => changes.forEach((c) => note(`event: ${c}`)),
            onError: (err) => note(`inventory not reloaded: ${err.message.split('\n').join(' ')}`),
          }),
        details: (section, fake) => [
          `${Object.keys(section.projects).length} project(s), page size ${opts.pageSize}`,
          ...(fake.pubsubHost && fake.events
            ? [`PUBSUB_EMULATOR_HOST=${fake.pubsubHost}`, `events: topic ${fake.events.topic}, subscription ${fake.events.subscription}`]
            : []),
          `watching ${opts.inventory} for edits`,
        ],
      });
    });
}
