import { nonPublicClass } from './address-class.ts';
import { canonicalIp } from './ip.ts';
import { checkRegion } from './regions.ts';
import { isVendor, type Vendor } from './vendor.ts';

/** The record that flows through the whole pipeline, from connector to Cloudflare. */
export interface Origin {
  /** Canonical IP (see canonicalIp). */
  ip: string;
  vendor: Vendor;
  /** Vendor-native region name, as Cloudflare's supported_regions spells it. */
  region: string;
  /** Scope that discovered it: `<connector>/<vendor>/<account>/<region>`. */
  scope: string;
  /** What it is at the vendor (resource id or kind), for humans reading a plan. */
  source: string;
  /** Vendor tags / labels, used by zone selectors and priority rules. */
  tags: Record<string, string>;
}

/** Why a discovered address does not become an Origin. */
/**
 * invalid-ip / invalid-vendor / invalid-region: not a usable value; not-public: private, reserved or
 * otherwise unreachable address space; anycast: the same address in every region (no region hint);
 * unassigned: an address reserved at the vendor but attached to nothing (no origin behind it yet).
 */
export type SkipReason = 'invalid-ip' | 'not-public' | 'anycast' | 'invalid-region' | 'unknown-region' | 'invalid-vendor' | 'unassigned';

export interface Skipped {
  /** The address as the connector saw it (may be non-canonical or garbage). */
  ip: string;
  reason: SkipReason;
  detail: string;
  scope: string;
  source: string;
}

export interface RawOrigin {
  ip: unknown;
  vendor: unknown;
  region: unknown;
  scope: string;
  source: string;
  tags?: Record<string, string>;
}

/**
 * The connector boundary: canonicalizes the IP, keeps non-public and anycast addresses out, validates
 * vendor and region. Every connector passes what it found through here, so nothing unchecked goes further.
 */
export function toOrigin(raw: RawOrigin): { ok: true; origin: Origin } | { ok: false; skipped: Skipped } {
  const skip = (reason: SkipReason, detail: string) => ({
    ok: false as const,
    skipped: { ip: String(raw.ip), reason, detail, scope: raw.scope, source: raw.source },
  });
  const c = canonicalIp(raw.ip);
  if (!c.ok) return skip('invalid-ip', c.reason);
  const cls = nonPublicClass(c.ip);
  if (cls) return skip('not-public', `${c.ip} is ${cls} address space`);
  if (!isVendor(raw.vendor)) return skip('invalid-vendor', `vendor ${JSON.stringify(raw.vendor)} is not one of aws, azure, gcp, oci`);
  if (typeof raw.region !== 'string' || raw.region === '') return skip('invalid-region', 'region missing');
  const r = checkRegion(raw.vendor, raw.region);
  // An unknown but well-formed region passes: the zone's supported_regions decides at plan time.
  if (!r.ok && r.reason !== 'unknown-region') return skip(r.reason, r.detail);
  return {
    ok: true,
    origin: { ip: c.ip, vendor: raw.vendor, region: raw.region, scope: raw.scope, source: raw.source, tags: raw.tags ?? {} },
  };
}
