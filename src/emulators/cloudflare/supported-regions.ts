import { readDataFile } from '../data-file.ts';
import { VENDORS, isVendor, type Vendor } from '../../model/vendor.ts';
import defaults from './supported-regions.json' with { type: 'json' };

/** The `result` of GET …/supported_regions, in both API families. */
export interface SupportedRegions {
  obtained_codes: boolean;
  vendors: Partial<Record<Vendor, Array<{ name: string; upper_tier_colos: string[] }>>>;
}

/**
 * The default catalogue: every region of the public/commercial partition of the four vendors (built from
 * src/model/regions/*.json) with plausible upper-tier colo IATA codes. Cloudflare does not publish the real
 * list; the codes are chosen as the nearest large Cloudflare data center.
 */
export function defaultSupportedRegions(): SupportedRegions {
  return structuredClone(defaults) as SupportedRegions;
}

/**
 * Validates a catalogue document. Accepts the bare result object or a whole saved API answer
 * (`{"success":true,"result":{…}}`), so `curl …/supported_regions > file` can be replayed.
 */
export function parseSupportedRegions(doc: unknown, source = 'supported regions'): SupportedRegions {
  let value = doc;
  if (isObject(value) && 'result' in value && 'success' in value) value = value.result;
  if (!isObject(value)) throw new Error(`${source}: expected an object {obtained_codes, vendors}`);
  const obtained = value.obtained_codes ?? true;
  if (typeof obtained !== 'boolean') throw new Error(`${source}: obtained_codes must be a boolean`);
  if (!isObject(value.vendors)) throw new Error(`${source}: vendors must be an object keyed by vendor (${VENDORS.join(', ')})`);
  const vendors: SupportedRegions['vendors'] = {};
  for (const [vendor, regions] of Object.entries(value.vendors)) {
    if (!isVendor(vendor)) throw new Error(`${source}: unknown vendor "${vendor}" (allowed: ${VENDORS.join(', ')})`);
    if (!Array.isArray(regions)) throw new Error(`${source}: vendors.${vendor} must be an array`);
    const seen = new Set<string>();
    vendors[vendor] = regions.map((r: unknown, i) => {
      const at = `${source}: vendors.${vendor}[${i}]`;
      if (!isObject(r) || typeof r.name !== 'string' || r.name === '') throw new Error(`${at}: needs a non-empty string "name"`);
      if (seen.has(r.name)) throw new Error(`${at}: region "${r.name}" listed twice`);
      seen.add(r.name);
      const colos = r.upper_tier_colos ?? [];
      if (!Array.isArray(colos) || !colos.every((c) => typeof c === 'string')) {
        throw new Error(`${at}: upper_tier_colos must be an array of strings`);
      }
      return { name: r.name, upper_tier_colos: [...(colos as string[])] };
    });
  }
  return { obtained_codes: obtained, vendors };
}

/** Reads a catalogue from a JSON or YAML file (same shape as the API's result). */
export async function loadSupportedRegionsFile(path: string): Promise<SupportedRegions> {
  return parseSupportedRegions(await readDataFile(path), path);
}

/** Fast vendor/region lookup; returns the catalogue's spelling of the region, or undefined when not supported. */
export class RegionIndex {
  readonly #regions = new Map<string, Map<string, string>>();
  readonly #caseInsensitive: boolean;

  constructor(catalogue: SupportedRegions, caseInsensitive: boolean) {
    this.#caseInsensitive = caseInsensitive;
    for (const vendor of VENDORS) {
      const names = new Map<string, string>();
      for (const r of catalogue.vendors[vendor] ?? []) names.set(this.#key(r.name), r.name);
      this.#regions.set(vendor, names);
    }
  }

  /** The stored {vendor, region} for a request's values, or undefined (→ 1157). */
  resolve(vendor: unknown, region: unknown): { vendor: Vendor; region: string } | undefined {
    if (typeof vendor !== 'string' || typeof region !== 'string') return undefined;
    const v = this.#caseInsensitive ? vendor.toLowerCase() : vendor;
    if (!isVendor(v)) return undefined;
    const name = this.#regions.get(v)?.get(this.#key(region));
    return name === undefined ? undefined : { vendor: v, region: name };
  }

  #key(s: string): string {
    return this.#caseInsensitive ? s.toLowerCase() : s;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
