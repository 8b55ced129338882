import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import aws from './aws/inventory.schema.json' with { type: 'json' };
import azure from './azure/inventory.schema.json' with { type: 'json' };
import gcp from './gcp/inventory.schema.json' with { type: 'json' };
import oci from './oci/inventory.schema.json' with { type: 'json' };

const BASE = 'https://github.com/origin-region-sync/origin-region-sync/docs/inventory';

/**
 * The JSON Schema of the whole inventory file (docs/inventory.schema.json): the four vendors' schemas,
 * each kept by its fake next to the code that reads it, embedded as resources of their own (`$id`), so
 * their internal `#/$defs/...` references keep resolving inside them.
 */
export function inventorySchema(): Record<string, unknown> {
  const section = (name: string, schema: Record<string, unknown>) => ({ ...schema, $id: `${BASE}/${name}.schema.json` });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${BASE}.schema.json`,
    title: 'origin-region-sync cloud fakes inventory',
    description: 'Resources of the simulated clouds, in each vendor\'s own terms (docs/inventory-format.md). Every section is optional.',
    type: 'object',
    additionalProperties: false,
    properties: {
      aws: { $ref: `${BASE}/aws.schema.json` },
      gcp: { $ref: `${BASE}/gcp.schema.json` },
      azure: { $ref: `${BASE}/azure.schema.json` },
      oci: { $ref: `${BASE}/oci.schema.json` },
    },
    $defs: { aws: section('aws', aws), gcp: section('gcp', gcp), azure: section('azure', azure), oci: section('oci', oci) },
  };
}

export const INVENTORY_SCHEMA_FILE = fileURLToPath(new URL('../../docs/inventory.schema.json', import.meta.url));

if (import.meta.main) {
  await writeFile(INVENTORY_SCHEMA_FILE, JSON.stringify(inventorySchema(), null, 2) + '\n');
  console.log(`written: ${INVENTORY_SCHEMA_FILE}`);
}
