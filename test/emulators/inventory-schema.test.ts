import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { loadInventoryFile } from '../../src/emulators/inventory.ts';
import { INVENTORY_SCHEMA_FILE, inventorySchema } from '../../src/emulators/inventory-schema.ts';

describe('docs/inventory.schema.json', () => {
  it('is the four vendor schemas of the fakes, as generated (node src/emulators/inventory-schema.ts)', async () => {
    expect(JSON.parse(await readFile(INVENTORY_SCHEMA_FILE, 'utf8'))).toEqual(inventorySchema());
  });

  it('accepts the demo\'s clouds and every fixture, and refuses an unknown section', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(inventorySchema());
    for (const file of ['../../config/demo/clouds.yaml', '../fixtures/inventory-aws.yaml', '../fixtures/inventory-gcp.yaml', '../fixtures/inventory-azure.yaml', '../fixtures/inventory-oci.yaml']) {
      const doc = await loadInventoryFile(new URL(file, import.meta.url).pathname);
      expect(validate(doc), `${file}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    expect(validate({ ibm: {} })).toBe(false);
    expect(validate({ aws: { accounts: { 'not-an-id': {} } } })).toBe(false);
  });
});
