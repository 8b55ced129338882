import { readFile } from 'node:fs/promises';
import { load as parse } from 'js-yaml';

/**
 * The single inventory file that seeds the four cloud fakes (see docs/inventory-format.md): top-level
 * keys `aws`, `gcp`, `azure`, `oci`, each describing resources in that vendor's own terms. YAML or JSON.
 * Each fake validates its own section.
 */
export type Inventory = Partial<Record<'aws' | 'gcp' | 'azure' | 'oci', unknown>>;

export async function loadInventoryFile(path: string): Promise<Inventory> {
  const text = await readFile(path, 'utf8');
  const doc: unknown = parse(text);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error(`${path}: an inventory is a mapping with keys aws, gcp, azure, oci`);
  }
  const unknownKeys = Object.keys(doc).filter((k) => !['aws', 'gcp', 'azure', 'oci'].includes(k));
  if (unknownKeys.length > 0) throw new Error(`${path}: unknown top-level key(s) ${unknownKeys.join(', ')} (allowed: aws, gcp, azure, oci)`);
  return doc as Inventory;
}
