import ipaddr from 'ipaddr.js';
import { canonicalIp } from '../model/index.ts';

/**
 * A sort key that orders like the address (compareIps): an IPv4 address is its 32-bit value, an IPv6
 * address the string `6` + its bytes in hex, and every number sorts before every string. Computed once
 * per entry: a plan of a million origins cannot afford to parse addresses inside a comparator.
 */
export type IpKey = number | string;

/** The key of a canonical address (as every origin and mapping holds it). */
export function ipKey(ip: string): IpKey {
  const v4 = dottedQuad(ip);
  if (v4 >= 0) return v4;
  return '6' + Buffer.from(ipaddr.parse(ip).toByteArray()).toString('hex');
}

/** The key of an address a connector reported, which may be non-canonical or garbage (sorted last among IPv4). */
export function safeIpKey(ip: string): IpKey {
  const v4 = dottedQuad(ip);
  if (v4 >= 0) return v4;
  const c = canonicalIp(ip);
  return c.ok ? ipKey(c.ip) : 0xffffffff;
}

export function compareKeys(a: IpKey, b: IpKey): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts by address, keys computed once; ties keep their order. */
export function sortByIp<T>(items: readonly T[], ip: (t: T) => string): T[] {
  const keyed = items.map((item, i) => ({ key: ipKey(ip(item)), i, item }));
  keyed.sort((a, b) => compareKeys(a.key, b.key) || a.i - b.i);
  return keyed.map((k) => k.item);
}

/**
 * The value of a canonical dotted quad (four decimal parts 0–255, no leading zeros: the only spelling
 * canonicalIp gives IPv4), or -1 for anything else.
 */
function dottedQuad(s: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57) return -1;
    if (digits > 0 && part === 0) return -1; // a leading zero
    part = part * 10 + (c - 48);
    digits++;
    if (digits > 3) return -1;
  }
  return parts === 4 ? value : -1;
}
