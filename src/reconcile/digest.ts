import { createHash } from 'node:crypto';
import { lexicographicOrder } from './ip-order.ts';
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
  const order = lexicographicOrder(entries.map((e) => e.ip));
  const h = createHash('sha256');
  for (let i = 0; i < order.length; i += 4096) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(order.length, i + 4096); j++) {
      const e = entries[order[j]!]!;
      lines.push(`${e.ip} ${e.vendor} ${e.region}`);
    }
    const chunk = lines.join('\n');
    h.update(i === 0 ? chunk : `\n${chunk}`);
  }
  return h.digest('hex').slice(0, 16);
}

