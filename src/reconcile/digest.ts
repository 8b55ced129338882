import { createHash } from 'node:crypto';
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
