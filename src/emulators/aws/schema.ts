import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { awsInventorySchema, named } from './inventory.ts';

export const SCHEMA_FILE = fileURLToPath(new URL('./inventory.schema.json', import.meta.url));

/** The JSON Schema (draft 2020-12) of the section, as committed in inventory.schema.json. */
export function awsInventoryJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(awsInventorySchema, { target: 'draft-2020-12', io: 'input', metadata: named }),
    title: 'origin-region-sync inventory: aws section',
  };
}

// `scripts/node24.sh node src/emulators/aws/schema.ts` rewrites inventory.schema.json after a schema change.
if (import.meta.main) {
  await writeFile(SCHEMA_FILE, JSON.stringify(awsInventoryJsonSchema(), null, 2) + '\n');
  console.log(`wrote ${SCHEMA_FILE}`);
}
