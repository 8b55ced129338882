import { createHash } from 'node:crypto';
import type { Delete, Upsert } from './types.ts';

/** Identifies the writes a plan makes, so an approval covers exactly what the approver saw. */
export function changeDigest(upserts: readonly Upsert[], deletes: readonly Delete[]): string {
  const h = createHash('sha256');
  for (const u of upserts) h.update(`u ${u.ip} ${u.vendor} ${u.region}\n`);
  for (const d of deletes) h.update(`d ${d.ip}\n`);
  return h.digest('hex').slice(0, 16);
}
