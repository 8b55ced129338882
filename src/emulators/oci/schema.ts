import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ociInventorySchema } from './inventory.ts';

export const JSON_SCHEMA_FILE = fileURLToPath(new URL('./inventory.schema.json', import.meta.url));

/**
 * JSON Schema (draft 2020-12) of the inventory's oci section, generated from the zod schema the fake
 * validates with, so the two cannot drift (a test compares the committed file). The cross-references
 * (regions, compartments and subnets named by other items) are checked by the fake, not expressible here.
 */
export function ociInventoryJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ociInventorySchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://origin-region-sync.invalid/schemas/inventory-oci.json',
    title: 'origin-region-sync inventory: oci section',
  };
}

// `scripts/node24.sh node src/emulators/oci/schema.ts` rewrites inventory.schema.json.
if (import.meta.main) {
  await writeFile(JSON_SCHEMA_FILE, JSON.stringify(ociInventoryJsonSchema(), null, 2) + '\n');
  console.log(`wrote ${JSON_SCHEMA_FILE}`);
}
