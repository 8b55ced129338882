import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { gcpInventorySchema } from './inventory.ts';

export const SCHEMA_FILE = fileURLToPath(new URL('./inventory.schema.json', import.meta.url));

/** The JSON Schema (draft 2020-12) of the inventory's gcp section, derived from the zod schema the fake validates with. */
export function gcpInventoryJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(gcpInventorySchema, { io: 'input', target: 'draft-2020-12' });
  return { $schema, $id: 'https://origin-region-sync.invalid/schemas/inventory-gcp.json', title: 'origin-region-sync inventory: gcp section', ...rest };
}

export function renderJsonSchema(): string {
  return JSON.stringify(gcpInventoryJsonSchema(), null, 2) + '\n';
}

// `node src/emulators/gcp/schema.ts` rewrites inventory.schema.json after a schema change.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(SCHEMA_FILE, renderJsonSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
