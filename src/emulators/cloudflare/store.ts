import { compareIps } from '../../model/ip.ts';
import type { Vendor } from '../../model/vendor.ts';

/** One mapping as stored: canonical IP, a catalogue vendor/region, and its last write time. */
export interface Mapping {
  origin_ip: string;
  vendor: Vendor;
  region: string;
  modified_on: string;
}

interface Zone {
  mappings: Map<string, Mapping>;
  /** The "rule record" write time: v1's set-level modified_on. */
  modifiedOn: string;
  ordered: Mapping[] | undefined;
}

export type UpsertResult = { ok: true; mapping: Mapping; created: boolean } | { ok: false; reason: 'cap' };

/**
 * All zones' mappings, one store shared by the v1 and v2 routes. A zone with no mappings has no record
 * at all (Cloudflare deletes the rule record with the last mapping), which is what makes v1 answer
 * `modified_on: null`. Callers pass canonical IPs and validated vendor/region.
 */
export class MappingStore {
  readonly #zones = new Map<string, Zone>();
  readonly #max: number;
  readonly #order: 'ip' | 'insertion';

  constructor(maxMappings: number, order: 'ip' | 'insertion') {
    this.#max = maxMappings;
    this.#order = order;
  }

  get maxMappings(): number {
    return this.#max;
  }

  count(zoneId: string): number {
    return this.#zones.get(zoneId)?.mappings.size ?? 0;
  }

  has(zoneId: string, ip: string): boolean {
    return this.#zones.get(zoneId)?.mappings.has(ip) ?? false;
  }

  get(zoneId: string, ip: string): Mapping | undefined {
    return this.#zones.get(zoneId)?.mappings.get(ip);
  }

  /** Set-level modified_on: the last write, or null when the zone has no mappings. */
  modifiedOn(zoneId: string): string | null {
    return this.#zones.get(zoneId)?.modifiedOn ?? null;
  }

  /** The zone's mappings in the documented order (sorted by IP, or first-write order). Cached until the next write. */
  list(zoneId: string): readonly Mapping[] {
    const zone = this.#zones.get(zoneId);
    if (!zone) return [];
    if (!zone.ordered) {
      const all = [...zone.mappings.values()];
      zone.ordered = this.#order === 'ip' ? all.sort((a, b) => compareIps(a.origin_ip, b.origin_ip)) : all;
    }
    return zone.ordered;
  }

  /** Creates or replaces; a new IP in a full zone is refused (an overwrite at the cap is allowed). */
  upsert(zoneId: string, m: { origin_ip: string; vendor: Vendor; region: string }, now: string): UpsertResult {
    let zone = this.#zones.get(zoneId);
    const created = !zone?.mappings.has(m.origin_ip);
    if (created && this.count(zoneId) >= this.#max) return { ok: false, reason: 'cap' };
    if (!zone) {
      zone = { mappings: new Map(), modifiedOn: now, ordered: undefined };
      this.#zones.set(zoneId, zone);
    }
    const mapping: Mapping = { origin_ip: m.origin_ip, vendor: m.vendor, region: m.region, modified_on: now };
    zone.mappings.set(m.origin_ip, mapping);
    zone.modifiedOn = now;
    zone.ordered = undefined;
    return { ok: true, mapping, created };
  }

  delete(zoneId: string, ip: string, now: string): Mapping | undefined {
    const zone = this.#zones.get(zoneId);
    const old = zone?.mappings.get(ip);
    if (!zone || !old) return undefined;
    zone.mappings.delete(ip);
    zone.modifiedOn = now;
    zone.ordered = undefined;
    if (zone.mappings.size === 0) this.#zones.delete(zoneId);
    return old;
  }

  /** Replaces a zone's whole content (admin seed); entries must be distinct, canonical and within the cap. */
  replace(zoneId: string, entries: ReadonlyArray<{ origin_ip: string; vendor: Vendor; region: string }>, now: string): void {
    this.#zones.delete(zoneId);
    for (const e of entries) this.upsert(zoneId, e, now);
  }

  clear(): void {
    this.#zones.clear();
  }
}
