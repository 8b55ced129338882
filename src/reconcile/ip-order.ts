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
  // Joined, not concatenated: a key kept for every origin must be one flat string, not a rope of nine.
  return ['6', ...ipaddr.IPv6.parse(ip).parts.map((p) => p.toString(16).padStart(4, '0'))].join('');
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

/** Each decimal part 0–255 by where its digits fall in string order ("1" < "10" < "100" < "101" < … < "2"). */
const PART_RANK = (() => {
  const parts = Array.from({ length: 256 }, (_, i) => String(i)).sort();
  const rank = new Uint8Array(256);
  parts.forEach((p, r) => (rank[Number(p)] = r));
  return rank;
})();

/**
 * The indexes of distinct addresses in the order `Array.prototype.sort` gives their strings, where a
 * comparison sort of a million strings costs seconds. Dotted quads compare part by part as strings ('.'
 * and the end sort below every digit), so each one has a 32-bit key of its parts' ranks in string
 * order, packed with its index into a double and sorted natively; anything else is sorted as a string
 * and merged in.
 */
export function lexicographicOrder(strs: readonly string[]): number[] {
  const n = strs.length;
  if (n >= 2 ** 21) return strs.map((_, i) => i).sort((a, b) => cmp(strs[a]!, strs[b]!) || a - b);
  const packed = new Float64Array(n);
  let quads = 0;
  const other: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = dottedQuadLexKey(strs[i]!);
    if (k >= 0) packed[quads++] = k * 2 ** 21 + i;
    else other.push(i);
  }
  const sorted = packed.subarray(0, quads).sort();
  other.sort((a, b) => cmp(strs[a]!, strs[b]!) || a - b);
  const out: number[] = new Array<number>(n);
  let q = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const nextQuad = q < quads ? sorted[q]! % 2 ** 21 : -1;
    if (nextQuad >= 0 && (o >= other.length || cmp(strs[nextQuad]!, strs[other[o]!]!) <= 0)) {
      out[i] = nextQuad;
      q++;
    } else out[i] = other[o++]!;
  }
  return out;
}

function dottedQuadLexKey(s: string): number {
  const v = dottedQuad(s);
  if (v < 0) return -1;
  return PART_RANK[v >>> 24]! * 2 ** 24 + PART_RANK[(v >>> 16) & 255]! * 2 ** 16 + PART_RANK[(v >>> 8) & 255]! * 2 ** 8 + PART_RANK[v & 255]!;
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
