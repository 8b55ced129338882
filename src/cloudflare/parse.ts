import { canonicalIp, isVendor, type Vendor } from '../model/index.ts';
import type { BatchItemFailure, Mapping, SupportedRegions, UnparsedEntry } from './types.ts';
import { isRecord, type RawBatch, type WireItem } from './wire.ts';

/** Reports a non-fatal oddity; bound by the client to zone, route and family. */
export type Warn = (message: string, item?: unknown) => void;

/**
 * The item's IP, read under the family's key first and the other family's key as a fallback: a response
 * that uses the other spelling still names the mapping it is about.
 */
function rawIp(item: Record<string, unknown>, ipKey: string): unknown {
  return item[ipKey] ?? item.origin_ip ?? item['origin-ip'] ?? item.ip;
}

/** Cloudflare's enum is lowercase; a differently cased vendor means the same one. */
function vendorOf(v: unknown): Vendor | undefined {
  if (typeof v !== 'string') return undefined;
  const lower = v.toLowerCase();
  return isVendor(lower) ? lower : undefined;
}

/**
 * List entries to Mappings. An entry that cannot be one (bad IP, unknown vendor, no region) is not
 * dropped silently: it comes back in `unparsed` and is warned about, because it still exists in the zone.
 * When an IP is listed twice the later entry wins (the list may shift while it is paged).
 */
export function parseList(entries: unknown[], ipKey: string, warn: Warn): { mappings: Mapping[]; unparsed: UnparsedEntry[] } {
  const byIp = new Map<string, Mapping>();
  const unparsed: UnparsedEntry[] = [];
  for (const e of entries) {
    if (!isRecord(e)) {
      unparsed.push({ ip: null, reason: 'entry is not an object', raw: e });
      warn('list entry is not an object; skipped', e);
      continue;
    }
    const c = canonicalIp(rawIp(e, ipKey));
    const ip = c.ok ? c.ip : null;
    const vendor = vendorOf(e.vendor);
    let reason: string | null = null;
    if (!c.ok) reason = `invalid IP: ${c.reason}`;
    else if (!vendor) reason = `unknown vendor ${JSON.stringify(e.vendor)}`;
    else if (typeof e.region !== 'string' || e.region === '') reason = 'region missing';
    if (reason !== null || !ip || !vendor) {
      unparsed.push({ ip, reason: reason ?? 'unreadable', raw: e });
      warn(`list entry skipped: ${reason}`, e);
      continue;
    }
    const m: Mapping = { ip, vendor, region: e.region as string };
    if (typeof e.modified_on === 'string') m.modifiedOn = e.modified_on;
    if (byIp.has(ip)) warn(`IP ${ip} listed twice; the later entry is kept`, e);
    byIp.delete(ip);
    byIp.set(ip, m);
  }
  return { mappings: [...byIp.values()], unparsed };
}

function errorText(item: Record<string, unknown>): string {
  const e = item.error ?? item.message;
  if (typeof e === 'string' && e !== '') return e.slice(0, 500);
  return 'Cloudflare gave no reason';
}

/** Failed items of a batch: never dropped, whatever their shape. Returns them keyed by canonical IP. */
function readFailed(raw: unknown[], ipKey: string, sent: Set<string>, warn: Warn): BatchItemFailure[] {
  const out: BatchItemFailure[] = [];
  for (const f of raw) {
    // A bare string is an IP without a reason.
    const r = isRecord(f) ? rawIp(f, ipKey) : f;
    const c = canonicalIp(r);
    const ip = c.ok ? c.ip : typeof r === 'string' ? r : '(no IP in the failed item)';
    if (!sent.has(ip)) warn(`batch result lists a failure for ${ip}, which was not in the request`, f);
    out.push({ ip, error: isRecord(f) ? errorText(f) : 'Cloudflare gave no reason' });
  }
  return out;
}

/** Items sent but reported neither way: treated as failed, so the caller retries them instead of assuming. */
function unreported(sent: Iterable<string>, reported: Set<string>, warn: Warn): BatchItemFailure[] {
  const out: BatchItemFailure[] = [];
  for (const ip of sent) {
    if (reported.has(ip)) continue;
    out.push({ ip, error: 'not reported in the batch result' });
    warn(`batch result does not mention ${ip}; counted as failed`);
  }
  return out;
}

/** A batch upsert's per-item result, checked against what was sent. */
export function readUpsertBatch(raw: RawBatch, sent: WireItem[], ipKey: string, warn: Warn): { succeeded: Mapping[]; failed: BatchItemFailure[] } {
  const bySent = new Map(sent.map((s) => [s.ip, s]));
  const failed = readFailed(raw.failed, ipKey, new Set(bySent.keys()), warn);
  const failedIps = new Set(failed.map((f) => f.ip));
  const succeeded: Mapping[] = [];
  const reported = new Set(failedIps);
  for (const s of raw.succeeded) {
    const c = canonicalIp(isRecord(s) ? rawIp(s, ipKey) : s);
    const asked = c.ok ? bySent.get(c.ip) : undefined;
    if (!c.ok || !asked) {
      warn('batch result lists a success for an IP that was not in the request; ignored', s);
      continue;
    }
    if (reported.has(c.ip)) {
      if (!failedIps.has(c.ip)) warn(`batch result lists ${c.ip} twice`, s);
      continue; // listed as failed too: failed wins, so the caller retries an idempotent upsert
    }
    reported.add(c.ip);
    const rec = isRecord(s) ? s : {};
    const vendor = vendorOf(rec.vendor) ?? asked.vendor;
    const region = typeof rec.region === 'string' && rec.region !== '' ? rec.region : asked.region;
    if (vendor !== asked.vendor || region !== asked.region) {
      warn(`Cloudflare reports ${c.ip} as ${vendor}/${region}, not the ${asked.vendor}/${asked.region} sent`, s);
    }
    const m: Mapping = { ip: c.ip, vendor, region };
    if (typeof rec.modified_on === 'string') m.modifiedOn = rec.modified_on;
    succeeded.push(m);
  }
  failed.push(...unreported(bySent.keys(), reported, warn));
  return { succeeded, failed };
}

/**
 * Cloudflare puts IPs that have no mapping in `failed` of a batch delete, next to real failures, with free
 * text only. Texts that say "not found" / "no mapping" / "does not exist" (of the mapping or the zone setting,
 * never of a vendor or region) mean the mapping is already gone.
 */
const NOT_FOUND_TEXT = /not\s+found|no\s+(such\s+)?mapping|mapping\s+(does\s+not|doesn't)\s+exist|setting\s+does\s+not\s+exist/i;

/**
 * A batch delete's per-item result. An IP that was already gone is the outcome the caller asked for: it is
 * reported in `succeeded` (and in `alreadyGone`), not in `failed`, as single delete reports `existed:false`.
 */
export function readDeleteBatch(
  raw: RawBatch,
  sent: string[],
  ipKey: string,
  warn: Warn,
): { succeeded: string[]; failed: BatchItemFailure[]; alreadyGone: string[] } {
  const sentSet = new Set(sent);
  const allFailed = readFailed(raw.failed, ipKey, sentSet, warn);
  const failed: BatchItemFailure[] = [];
  const alreadyGone: string[] = [];
  const reported = new Set<string>();
  for (const f of allFailed) {
    reported.add(f.ip);
    if (sentSet.has(f.ip) && NOT_FOUND_TEXT.test(f.error)) alreadyGone.push(f.ip);
    else failed.push(f);
  }
  const succeeded: string[] = [];
  for (const s of raw.succeeded) {
    const c = canonicalIp(isRecord(s) ? rawIp(s, ipKey) : s);
    if (!c.ok || !sentSet.has(c.ip)) {
      warn('batch result lists a deletion of an IP that was not in the request; ignored', s);
      continue;
    }
    if (reported.has(c.ip)) continue;
    reported.add(c.ip);
    succeeded.push(c.ip);
  }
  failed.push(...unreported(sent, reported, warn));
  return { succeeded: [...succeeded, ...alreadyGone], failed, alreadyGone };
}

export function readSupportedRegions(raw: Record<string, unknown>, warn: Warn): SupportedRegions {
  if (typeof raw.obtained_codes !== 'boolean') warn('supported_regions has no obtained_codes; taken as false');
  const out: SupportedRegions = { obtainedCodes: raw.obtained_codes === true, vendors: {} };
  for (const [vendor, list] of Object.entries(raw.vendors as Record<string, unknown>)) {
    if (!Array.isArray(list)) {
      warn(`supported_regions vendor ${vendor} is not a list; skipped`, list);
      continue;
    }
    const regions: Array<{ name: string; upperTierColos: string[] }> = [];
    for (const r of list) {
      if (!isRecord(r) || typeof r.name !== 'string' || r.name === '') {
        warn(`supported_regions entry of ${vendor} has no name; skipped`, r);
        continue;
      }
      const colos = Array.isArray(r.upper_tier_colos) ? r.upper_tier_colos.filter((x): x is string => typeof x === 'string') : [];
      regions.push({ name: r.name, upperTierColos: colos });
    }
    out.vendors[vendor] = regions;
  }
  return out;
}
