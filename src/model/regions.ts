import aws from './regions/aws.json' with { type: 'json' };
import azure from './regions/azure.json' with { type: 'json' };
import gcp from './regions/gcp.json' with { type: 'json' };
import oci from './regions/oci.json' with { type: 'json' };
import type { Vendor } from './vendor.ts';

interface Catalogue {
  vendor: string;
  source: string;
  pattern: string;
  /** Region names grouped by partition / realm / availability. */
  regions: Record<string, string[]>;
  /** Region-like names that stand for anycast or global addresses, never a region hint. */
  anycast: string[];
}

const catalogues: Record<Vendor, Catalogue> = { aws, azure, gcp, oci };
const known: Record<Vendor, Set<string>> = {
  aws: new Set(Object.values(aws.regions).flat()),
  azure: new Set(Object.values(azure.regions).flat()),
  gcp: new Set(Object.values(gcp.regions).flat()),
  oci: new Set(Object.values(oci.regions).flat()),
};
const patterns: Record<Vendor, RegExp> = {
  aws: new RegExp(aws.pattern),
  azure: new RegExp(azure.pattern),
  gcp: new RegExp(gcp.pattern),
  oci: new RegExp(oci.pattern),
};

export type RegionCheck =
  | { ok: true }
  | { ok: false; reason: 'anycast' | 'invalid-region' | 'unknown-region'; detail: string };

/**
 * Checks a vendor-native region name against the vendor's catalogue. `anycast` for the names vendors
 * use for global (anycast) addresses; `invalid-region` when the name cannot be a region of that vendor;
 * `unknown-region` when it has the right shape but is not in the catalogue (a newer region: the zone's
 * supported_regions, when known, has the last word).
 */
export function checkRegion(vendor: Vendor, region: string): RegionCheck {
  const cat = catalogues[vendor];
  if (cat.anycast.some((a) => a.toLowerCase() === region.toLowerCase()) || region.toLowerCase() === 'global') {
    return { ok: false, reason: 'anycast', detail: `${vendor} "${region}" addresses are anycast/global, not in one region` };
  }
  if (!patterns[vendor].test(region)) {
    return { ok: false, reason: 'invalid-region', detail: `"${region}" is not a ${vendor} region name` };
  }
  if (!known[vendor].has(region)) {
    return { ok: false, reason: 'unknown-region', detail: `"${region}" is not in the ${vendor} region catalogue` };
  }
  return { ok: true };
}


/** The catalogue's partitions (AWS), realms (OCI) or availability groups (Azure), for the emulators. */
export function regionGroups(vendor: Vendor): Readonly<Record<string, readonly string[]>> {
  return catalogues[vendor].regions;
}

/** OCI region name → three-letter region key (lowercase), as in public IP OCIDs. */
export const ociRegionKeys: Readonly<Record<string, string>> = oci.regionKeys;

const ociRegionByKey: ReadonlyMap<string, string> = new Map(Object.entries(oci.regionKeys).map(([name, key]) => [key, name]));

/**
 * The OCI region a regional OCID segment names: older regions use the three-letter key (`iad` in
 * ocid1.publicip.oc1.iad.…), newer ones the region name itself (`ocid1.publicip.oc1.eu-frankfurt-1.…`).
 * Undefined for a key the catalogue does not know, or a segment that is neither.
 */
export function ociRegionFromSegment(segment: string): string | undefined {
  const s = segment.toLowerCase();
  if (patterns.oci.test(s)) return s;
  return ociRegionByKey.get(s);
}
