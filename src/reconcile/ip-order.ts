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
  if (v6Groups(ip)) {
    // One flat string made from char codes: ipaddr's parse makes about 1.5 kB of garbage per address.
    KEY[0] = 54; // '6'
    for (let g = 0; g < 8; g++) for (let n = 0; n < 4; n++) KEY[1 + g * 4 + n] = HEX[(GROUPS[g]! >>> ((3 - n) * 4)) & 15]!;
    return KEY.toString('latin1', 0, 33);
  }
  // Joined, not concatenated: a key kept for every origin must be one flat string, not a rope of nine.
  return ['6', ...ipaddr.IPv6.parse(ip).parts.map((p) => p.toString(16).padStart(4, '0'))].join('');
}

const GROUPS = new Uint16Array(8);
const KEY = Buffer.alloc(33);
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * The eight groups of an IPv6 address in plain hex-and-colons form, into GROUPS; false for any other
 * spelling (an embedded dotted quad, a zone, garbage), which is left to ipaddr. Never true where
 * ipaddr would disagree: it accepts no more than RFC 4291's text form.
 */
function v6Groups(s: string): boolean {
  const n = s.length;
  let gap = -1;
  let g = 0;
  let i = 0;
  if (n >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < n) {
    if (g === 8) return false;
    let v = 0;
    let digits = 0;
    for (; i < n; i++) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
      if (++digits > 4) return false;
    }
    if (digits === 0) return false;
    GROUPS[g++] = v;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i === n) return false;
    if (s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = g;
      i++;
    }
  }
  if (gap < 0) return g === 8;
  if (g === 8) return false; // '::' stands for at least one group
  const tail = g - gap;
  for (let k = 0; k < tail; k++) GROUPS[7 - k] = GROUPS[g - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) GROUPS[k] = 0;
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
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
  return Array.from(lexicographicOrderOf(strs.length, (i) => strs[i]!));
}

/**
 * lexicographicOrder of `n` strings read through `at`, so a caller holding them elsewhere need not copy
 * them out; `quad` gives a string's dotted-quad value (or -1) when the caller has it without parsing.
 */
export function lexicographicOrderOf(n: number, at: (i: number) => string, quad: (i: number) => number = (i) => dottedQuad(at(i))): Uint32Array {
  if (n >= 2 ** 21) return Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => cmp(at(a), at(b)) || a - b);
  const packed = new Float64Array(n);
  let quads = 0;
  const other: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = quadLexKey(quad(i));
    if (k >= 0) packed[quads++] = k * 2 ** 21 + i;
    else other.push(i);
  }
  const sorted = packed.subarray(0, quads).sort();
  other.sort((a, b) => cmp(at(a), at(b)) || a - b);
  const out = new Uint32Array(n);
  let q = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const nextQuad = q < quads ? sorted[q]! % 2 ** 21 : -1;
    if (nextQuad >= 0 && (o >= other.length || cmp(at(nextQuad), at(other[o]!)) <= 0)) {
      out[i] = nextQuad;
      q++;
    } else out[i] = other[o++]!;
  }
  return out;
}

/**
 * The indexes of `keys` in ascending order of key, equal keys in index order: a radix sort, linear in
 * the count and without a comparator call or an object per entry, for a million addresses. `spare`
 * (at least as long as `keys`) is scratch space a caller has free for now, instead of a new array.
 */
export function radixOrder(keys: Uint32Array, spare = new Uint32Array(keys.length)): Uint32Array {
  const n = keys.length;
  let order = new Uint32Array(n);
  let next = spare.subarray(0, n);
  for (let i = 0; i < n; i++) order[i] = i;
  const starts = new Uint32Array(1 << 16);
  for (const shift of [0, 16]) {
    starts.fill(0);
    for (let i = 0; i < n; i++) {
      const b = (keys[i]! >>> shift) & 0xffff;
      starts[b] = starts[b]! + 1;
    }
    let sum = 0;
    for (let b = 0; b < starts.length; b++) {
      const c = starts[b]!;
      starts[b] = sum;
      sum += c;
    }
    // Each pass is stable, so after the high half ties on it keep the low half's order, and equal keys their index order.
    for (let i = 0; i < n; i++) {
      const j = order[i]!;
      const b = (keys[j]! >>> shift) & 0xffff;
      next[starts[b]!] = j;
      starts[b] = starts[b]! + 1;
    }
    [order, next] = [next, order];
  }
  // Two passes: the order ends in the array made here, never in `spare`, which the caller may reuse.
  return order;
}

function quadLexKey(v: number): number {
  if (v < 0) return -1;
  return PART_RANK[v >>> 24]! * 2 ** 24 + PART_RANK[(v >>> 16) & 255]! * 2 ** 16 + PART_RANK[(v >>> 8) & 255]! * 2 ** 8 + PART_RANK[v & 255]!;
}

/**
 * The value of a canonical dotted quad (four decimal parts 0–255, no leading zeros: the only spelling
 * canonicalIp gives IPv4), or -1 for anything else. One value has one such spelling, so the value can
 * stand for the string.
 */
export function dottedQuad(s: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      value = ((value << 8) | part) >>> 0; // 32-bit integer arithmetic: a double here is a heap number per address
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
