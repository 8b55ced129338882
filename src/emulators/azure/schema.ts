import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { azureInventorySchema, named } from './inventory.ts';

export const SCHEMA_FILE = fileURLToPath(new URL('./inventory.schema.json', import.meta.url));

/** The JSON Schema (draft 2020-12) of the section, as committed in inventory.schema.json. */
export function azureInventoryJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(azureInventorySchema, { target: 'draft-2020-12', io: 'input', metadata: named }),
    title: 'origin-region-sync inventory: azure section',
  };
}

// `scripts/node24.sh node src/emulators/azure/schema.ts` rewrites inventory.schema.json after a schema change.
if (import.meta.main) {
  await writeFile(SCHEMA_FILE, JSON.stringify(azureInventoryJsonSchema(), null, 2) + '\n');
  console.log(`wrote ${SCHEMA_FILE}`);
}
