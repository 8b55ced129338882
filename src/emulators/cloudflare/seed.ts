import { readDataFile } from '../data-file.ts';
import type { RegionIndex } from './supported-regions.ts';
import { checkMapping, echo, isRecord, isZoneId, type NewMapping } from './validate.ts';

export interface SeedEntry {
  origin_ip: string;
  vendor: string;
  region: string;
}

/**
 * Validates one zone's seed like the API would validate the writes: canonical IPs, supported vendor and
 * region, the cap. A seed is meant to describe a state the API could hold, so anything the API would
 * refuse (including the same IP twice, in any spelling) is an error naming the entry.
 */
export function checkSeed(zoneId: string, entries: unknown, regions: RegionIndex, maxMappings: number): NewMapping[] {
  if (!isZoneId(zoneId)) throw new Error(`zone id ${JSON.stringify(zoneId)} must be 1–32 characters of [A-Za-z0-9_-]`);
  if (!Array.isArray(entries)) throw new Error(`zone ${zoneId}: seed must be an array of {origin_ip, vendor, region}`);
  if (entries.length > maxMappings) throw new Error(`zone ${zoneId}: ${entries.length} mappings is over the cap of ${maxMappings}`);
  const seen = new Set<string>();
  return entries.map((e: unknown, i) => {
    const at = `zone ${zoneId} entry ${i}`;
    if (!isRecord(e)) throw new Error(`${at}: expected an object {origin_ip, vendor, region}`);
    const c = checkMapping(e.origin_ip, e.vendor, e.region, regions);
    if (!c.ok) {
      const what = c.error.errors[0]?.code === 1146 ? `invalid origin_ip ${JSON.stringify(echo(e.origin_ip))}` : `vendor/region ${echo(e.vendor)}/${echo(e.region)} is not in supported_regions`;
      throw new Error(`${at}: ${what}`);
    }
    if (seen.has(c.mapping.origin_ip)) throw new Error(`${at}: ${c.mapping.origin_ip} appears twice`);
    seen.add(c.mapping.origin_ip);
    return c.mapping;
  });
}

/** A seed document: `{ "<zone_id>": [{origin_ip, vendor, region}, …] }`. Only the shape is checked here. */
export function parseSeedDocument(doc: unknown, source: string): Record<string, unknown[]> {
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) throw new Error(`${source}: expected a mapping of zone id → list of {origin_ip, vendor, region}`);
  for (const [zone, entries] of Object.entries(doc)) {
    if (!Array.isArray(entries)) throw new Error(`${source}: zone ${zone} must map to a list of {origin_ip, vendor, region}`);
  }
  return doc as Record<string, unknown[]>;
}

/** Reads a seed file, JSON or YAML. */
export async function loadSeedFile(path: string): Promise<Record<string, unknown[]>> {
  return parseSeedDocument(await readDataFile(path), path);
}
