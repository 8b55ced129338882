import { createHash } from 'node:crypto';
import { lexicographicOrderOf } from './ip-order.ts';
import type { CurrentMapping, Delete, Upsert } from './types.ts';

/** Identifies the writes a plan makes, so an approval covers exactly what the approver saw. */
export function changeDigest(upserts: readonly Upsert[], deletes: readonly Delete[]): string {
  const h = createHash('sha256');
  for (const u of upserts) h.update(`u ${u.ip} ${u.vendor} ${u.region}\n`);
  for (const d of deletes) h.update(`d ${d.ip}\n`);
  return h.digest('hex').slice(0, 16);
}

/**
 * What a plan was made from, so a saved plan can be refused when it no longer fits: the zone's list as
 * Cloudflare held it, and the desired set the inventory gave this zone. Order-independent.
 */
export function basisDigest(entries: Iterable<{ ip: string | null; vendor?: string; region?: string }>): string {
  const lines = [...entries].map((e) => `${e.ip ?? '?'} ${e.vendor ?? ''} ${e.region ?? ''}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

export function zoneBasis(current: readonly CurrentMapping[], unparsed: ReadonlyArray<{ ip: string | null; reason: string }> = []): string {
  return basisDigest([...current, ...unparsed.map((u) => ({ ip: u.ip, vendor: 'unparsed', region: u.reason }))]);
}

/**
 * basisDigest of entries with distinct addresses, for a million of them: the same digest, with the lines
 * ordered by a radix sort of their addresses (a space sorts below every character of an address, so the
 * lines sort as their addresses do) and hashed a chunk at a time instead of all held at once.
 */
export function basisDigestByIp(entries: ReadonlyArray<{ ip: string; vendor: string; region: string }>): string {
  return basisDigestOf(entries.length, (i) => entries[i]!);
}

/**
 * basisDigestByIp of `n` entries read through `at`: a million entries need not be gathered into an array
 * first. `quad` as for lexicographicOrderOf.
 */
export function basisDigestOf(n: number, at: (i: number) => { ip: string; vendor: string; region: string }, quad?: (i: number) => number): string {
  const order = lexicographicOrderOf(n, (i) => at(i).ip, quad);
  const h = createHash('sha256');
  // The lines' bytes, written into one reused buffer: a string per line is a million strings of garbage.
  const buf = Buffer.allocUnsafe(1 << 16) as Buffer & { utf8Write?(s: string, offset: number): number };
  // Buffer's own utf8Write (long in Node, though not in its documented API) skips write()'s argument
  // checks, a third of the time here; write() stands in should it ever go.
  const write = buf.utf8Write ? (str: string, at: number) => buf.utf8Write!(str, at) : (str: string, at: number) => buf.write(str, at, 'utf8');
  let off = 0;
  for (let j = 0; j < n; j++) {
    const e = at(order[j]!);
    const need = 3 * (e.ip.length + e.vendor.length + e.region.length) + 3; // UTF-8 takes at most 3 bytes a UTF-16 unit
    if (off + need > buf.length) {
      h.update(buf.subarray(0, off));
      off = 0;
    }
    if (need > buf.length) {
      h.update(`${j > 0 ? '\n' : ''}${e.ip} ${e.vendor} ${e.region}`);
      continue;
    }
    if (j > 0) buf[off++] = 10;
    off += write(e.ip, off);
    buf[off++] = 32;
    off += write(e.vendor, off);
    buf[off++] = 32;
    off += write(e.region, off);
  }
  h.update(buf.subarray(0, off));
  return h.digest('hex').slice(0, 16);
}
