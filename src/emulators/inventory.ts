import { readDataFile } from './data-file.ts';

/**
 * The single inventory file that seeds the four cloud fakes (see docs/inventory-format.md): top-level
 * keys `aws`, `gcp`, `azure`, `oci`, each describing resources in that vendor's own terms. YAML or JSON.
 * Each fake validates its own section.
 */
export type Inventory = Partial<Record<'aws' | 'gcp' | 'azure' | 'oci', unknown>>;

const VENDOR_KEYS = ['aws', 'gcp', 'azure', 'oci'] as const;

export async function loadInventoryFile(path: string): Promise<Inventory> {
  const doc = await readDataFile(path);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error(`${path}: an inventory is a mapping with keys aws, gcp, azure, oci`);
  }
  const unknownKeys = Object.keys(doc).filter((k) => !(VENDOR_KEYS as readonly string[]).includes(k));
  if (unknownKeys.length > 0) throw new Error(`${path}: unknown top-level key(s) ${unknownKeys.join(', ')} (allowed: aws, gcp, azure, oci)`);
  return doc as Inventory;
}

/**
 * A vendor's section, given either the whole inventory (top-level vendor keys) or the section itself
 * (anything else).
 */
export function inventorySection(input: unknown, vendor: keyof Inventory): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new Error(`${vendor}: an inventory is a mapping (the whole file, or its ${vendor} section)`);
  }
  if (!VENDOR_KEYS.some((k) => k in input)) return input;
  const section = (input as Record<string, unknown>)[vendor];
  if (section === undefined || section === null) throw new Error(`${vendor}: the inventory has no ${vendor} section`);
  return section;
}

/** Where a problem is, as the file spells it: `gcp.projects.shop-prod-123.addresses[1].region`. */
export function inventoryPath(vendor: string, path: ReadonlyArray<PropertyKey>): string {
  let out = vendor;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z0-9_.-]+$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}
