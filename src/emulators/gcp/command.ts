import type { Command } from 'commander';
import { addFakeOptions, serveFake, type FakeServeOptions } from '../serve.ts';
import { startGcpFake } from './index.ts';
import { parseGcpInventory } from './inventory.ts';

/** `emulate gcp --inventory FILE`: serves the inventory's gcp section until SIGINT / SIGTERM. */
export function registerCommand(parent: Command): void {
  const cmd = parent
    .command('gcp')
    .description('Serve a fake GCP compute API (REST/JSON aggregated lists) from the gcp section of an inventory file')
    .addHelpText(
      'after',
      `
Serves GET /compute/v1/projects/{project}/aggregated/{addresses,instances,forwardingRules}
over plain http. Point a gcp connector at it with "endpoint: <printed URL>": no credentials are sent.

Example:
  origin-region-sync emulate gcp --inventory test/fixtures/inventory-gcp.yaml --port 8085`,
    );
  addFakeOptions(cmd, 'gcp', { maxPageSize: 500, pagingHint: 'nextPageToken' }).action(async (opts: FakeServeOptions) => {
    process.exitCode = await serveFake({
      label: 'gcp fake',
      file: opts.inventory,
      parse: parseGcpInventory,
      start: (section) => startGcpFake({ inventory: section, host: opts.host, port: opts.port, pageSize: opts.pageSize }),
      details: (section) => [`${Object.keys(section.projects).length} project(s), page size ${opts.pageSize}`],
    });
  });
}
