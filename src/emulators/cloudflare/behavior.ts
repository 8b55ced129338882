/**
 * Answers to the questions Cloudflare's docs leave open (research/cloudflare-api.md §10). Each default is
 * the emulator's best guess, documented in docs/cloudflare-emulator.md; tests and benchmarks can switch.
 */
export interface EmulatorBehavior {
  /** List order (v1 list, v2 pages, admin GET): numeric by IP, IPv4 before IPv6; or first-write order. */
  listOrder: 'ip' | 'insertion';
  /**
   * A batch upsert that would pass the cap. `per-item`: 403/1164 for the whole batch only when the zone is
   * already full (and the batch adds a new IP); otherwise items are applied in order and each new IP past
   * the cap goes to `failed[]`. `whole-batch`: if the new IPs would not all fit, 403/1164 and nothing applied.
   */
  batchCapPolicy: 'per-item' | 'whole-batch';
  /** The same IP twice in one batch: applied in order (last upsert wins; a second delete is "not found"), or later repeats fail. */
  batchDuplicates: 'apply-in-order' | 'fail-repeats';
  /** v2 PUT: body origin_ip compared to the path IP after canonicalization, or as exact strings. */
  putIpMatch: 'canonical' | 'exact';
  /** DELETE …/batch with no body (what the SDKs send by default): 400, or an empty `{failed:[],succeeded:[]}`. */
  batchDeleteWithoutBody: 'reject' | 'empty-result';
  /** Error code for a batch over the size limit or a batch body that is not an array (undocumented; HTTP 400). */
  batchErrorCode: number;
  /** Accept `AWS` / `US-EAST-1` etc. and store the catalogue's spelling; off = exact lowercase match as in the API enum. */
  caseInsensitive: boolean;
  /** Add a deprecation entry to `messages[]` and a `Deprecation` header on v1 answers (undocumented; off). */
  v1DeprecationNotice: boolean;
}

export const DEFAULT_BEHAVIOR: Readonly<EmulatorBehavior> = Object.freeze({
  listOrder: 'ip',
  batchCapPolicy: 'per-item',
  batchDuplicates: 'apply-in-order',
  putIpMatch: 'canonical',
  batchDeleteWithoutBody: 'reject',
  batchErrorCode: 1146,
  caseInsensitive: false,
  v1DeprecationNotice: false,
});

const choices: Partial<Record<keyof EmulatorBehavior, readonly string[]>> = {
  listOrder: ['ip', 'insertion'],
  batchCapPolicy: ['per-item', 'whole-batch'],
  batchDuplicates: ['apply-in-order', 'fail-repeats'],
  putIpMatch: ['canonical', 'exact'],
  batchDeleteWithoutBody: ['reject', 'empty-result'],
};

export function resolveBehavior(patch: Partial<EmulatorBehavior> | undefined): EmulatorBehavior {
  const b: EmulatorBehavior = { ...DEFAULT_BEHAVIOR, ...patch };
  for (const [key, allowed] of Object.entries(choices)) {
    const value = b[key as keyof EmulatorBehavior];
    if (!allowed.includes(value as string)) {
      throw new Error(`behavior.${key} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
    }
  }
  if (!Number.isInteger(b.batchErrorCode) || b.batchErrorCode < 1000) throw new Error('behavior.batchErrorCode must be an integer ≥ 1000');
  if (typeof b.caseInsensitive !== 'boolean') throw new Error('behavior.caseInsensitive must be a boolean');
  if (typeof b.v1DeprecationNotice !== 'boolean') throw new Error('behavior.v1DeprecationNotice must be a boolean');
  return b;
}
