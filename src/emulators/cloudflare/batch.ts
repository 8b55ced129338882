import type { Vendor } from '../../model/vendor.ts';
import type { EmulatorState, RequestContext } from './context.ts';
import { ITEM, errors } from './errors.ts';
import { checkMapping, echo, isRecord, type Checked, type NewMapping } from './validate.ts';
import { canonicalIp } from '../../model/ip.ts';

/** Family-neutral batch result; v1 renames origin_ip to "origin-ip". */
export interface BatchOutcome {
  failed: Array<{ origin_ip: string; error: string }>;
  succeeded: Array<{ origin_ip: string; region: string; vendor: Vendor }>;
  /** Whether anything changed (v1's set-level modified_on is null otherwise). */
  applied: boolean;
}

/**
 * Reads a batch body: a JSON array of at most maxBatch items. A missing body is `undefined` (the caller
 * decides); anything else that is not such an array is a 400 with the configured batch error code.
 */
export async function readBatch(ctx: RequestContext, what: string): Promise<unknown[] | undefined> {
  const body = await ctx.body();
  const { maxBatch, behavior } = ctx.state;
  if (body === undefined) return undefined;
  if (!Array.isArray(body)) throw errors.batchBody(behavior.batchErrorCode, what, maxBatch);
  if (body.length > maxBatch) throw errors.batchTooLarge(behavior.batchErrorCode, maxBatch);
  return body;
}

/**
 * Upserts each item on its own (a merge: unlisted mappings stay). Invalid items go to `failed[]`. The cap
 * follows behavior.batchCapPolicy; a zone already full that would gain a new IP fails the whole batch with
 * 403/1164 under either policy, as the docs show a top-level 1164 for batches.
 */
export function batchUpsert(state: EmulatorState, zoneId: string, items: readonly unknown[], ipKey: 'ip' | 'origin_ip'): BatchOutcome {
  const { store, behavior } = state;
  const checked = items.map((it): Checked =>
    isRecord(it) ? checkMapping(it[ipKey], it.vendor, it.region, state.regions) : { ok: false, error: errors.invalidIp(), ip: echo(it) },
  );
  const newIps = new Set<string>();
  for (const c of checked) if (c.ok && !store.has(zoneId, c.mapping.origin_ip)) newIps.add(c.mapping.origin_ip);
  const count = store.count(zoneId);
  if (newIps.size > 0 && count >= store.maxMappings) throw errors.cap();
  if (behavior.batchCapPolicy === 'whole-batch' && count + newIps.size > store.maxMappings) throw errors.cap();

  const now = state.timestamp();
  const out: BatchOutcome = { failed: [], succeeded: [], applied: false };
  const seen = new Set<string>();
  for (const c of checked) {
    if (!c.ok) {
      out.failed.push({ origin_ip: c.ip, error: c.error.errors[0]?.message ?? 'invalid item' });
      continue;
    }
    const m: NewMapping = c.mapping;
    if (behavior.batchDuplicates === 'fail-repeats' && seen.has(m.origin_ip)) {
      out.failed.push({ origin_ip: m.origin_ip, error: ITEM.duplicate });
      continue;
    }
    seen.add(m.origin_ip);
    const r = store.upsert(zoneId, m, now);
    if (!r.ok) {
      out.failed.push({ origin_ip: m.origin_ip, error: ITEM.cap });
      continue;
    }
    out.applied = true;
    out.succeeded.push({ origin_ip: m.origin_ip, region: m.region, vendor: m.vendor });
  }
  return out;
}

/** Deletes each IP on its own; invalid or unmapped IPs go to `failed[]`, deleted ones carry their old values. */
export function batchDelete(state: EmulatorState, zoneId: string, ips: readonly unknown[]): BatchOutcome {
  const { store, behavior } = state;
  const now = state.timestamp();
  const out: BatchOutcome = { failed: [], succeeded: [], applied: false };
  const seen = new Set<string>();
  for (const raw of ips) {
    const c = canonicalIp(raw);
    if (!c.ok) {
      out.failed.push({ origin_ip: echo(raw), error: ITEM.invalidIp });
      continue;
    }
    if (behavior.batchDuplicates === 'fail-repeats' && seen.has(c.ip)) {
      out.failed.push({ origin_ip: c.ip, error: ITEM.duplicate });
      continue;
    }
    seen.add(c.ip);
    const old = store.delete(zoneId, c.ip, now);
    if (!old) {
      out.failed.push({ origin_ip: c.ip, error: ITEM.notFound });
      continue;
    }
    out.applied = true;
    out.succeeded.push({ origin_ip: old.origin_ip, region: old.region, vendor: old.vendor });
  }
  return out;
}
