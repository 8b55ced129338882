import { canonicalIp } from '../../model/ip.ts';
import type { Vendor } from '../../model/vendor.ts';
import { errors, type ApiError } from './errors.ts';
import type { RegionIndex } from './supported-regions.ts';

export interface NewMapping {
  origin_ip: string;
  vendor: Vendor;
  region: string;
}

export type Checked = { ok: true; mapping: NewMapping } | { ok: false; error: ApiError; ip: string };

/**
 * Validates one write the way every write route does: the IP first (400/1146), then vendor and region
 * against the supported_regions catalogue (400/1157). `ip` on failure is what to echo in a batch's
 * `failed[]`: the canonical IP when it parsed, else the value as sent.
 */
export function checkMapping(ip: unknown, vendor: unknown, region: unknown, regions: RegionIndex): Checked {
  const c = canonicalIp(ip);
  if (!c.ok) return { ok: false, error: errors.invalidIp(), ip: echo(ip) };
  const vr = regions.resolve(vendor, region);
  if (!vr) return { ok: false, error: errors.invalidRegion(), ip: c.ip };
  return { ok: true, mapping: { origin_ip: c.ip, vendor: vr.vendor, region: vr.region } };
}

/** A path IP (already percent-decoded), canonical, or 400/1146. */
export function pathIp(raw: string | undefined): string {
  const c = canonicalIp(raw);
  if (!c.ok) throw errors.invalidIp();
  return c.ip;
}

export function echo(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v).slice(0, 100) : String(v);
}

/** Zone ids are 32 hex characters at Cloudflare; the emulator takes any 1–32 of [A-Za-z0-9_-] so tests can name zones. */
export function isZoneId(s: string | undefined): s is string {
  return s !== undefined && /^[A-Za-z0-9_-]{1,32}$/.test(s);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
