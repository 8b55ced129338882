import { canonicalIp, isVendor } from '../model/index.ts';
import { CloudflareApiError, NOT_FOUND_CODES } from './errors.ts';
import { parseList, readDeleteBatch, readSupportedRegions, readUpsertBatch, type Warn } from './parse.ts';
import { createRedactor } from './redact.ts';
import { createTransport, type Auth, type RequestGate } from './transport.ts';
import type { ApiFamily, ApiMode, BatchItemFailure, ListProgress, Mapping, RateBudget, RequestInfo, SupportedRegions, UnparsedEntry, Warning } from './types.ts';
import { v1 } from './v1.ts';
import { v2 } from './v2.ts';
import type { FamilyWire, WireItem } from './wire.ts';
import { MAX_BATCH } from './limits.ts';

/** Cloudflare's documented batch limit (OpenAPI maxItems). */
export { MAX_BATCH };
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface FamilyMemory {
  get(zoneId: string): ApiFamily | undefined | Promise<ApiFamily | undefined>;
  set(zoneId: string, f: ApiFamily): void | Promise<void>;
}

export interface CloudflareClientOptions {
  /** e.g. https://api.cloudflare.com/client/v4, or the emulator's url. */
  apiBase: string;
  auth: Auth;
  /**
   * auto: v1 as the seed document describes; a zone moves to v2 for good when Cloudflare answers that the
   * v1 route does not exist (7003/7000 "No route", or a 404 without a mapping error code).
   */
  api: ApiMode;
  /** Every request; default 30 s. */
  timeoutMs?: number;
  /** Metrics hook, called once per HTTP request (no secrets in it). */
  onRequest?: (info: RequestInfo) => void;
  /** Where auto's choice per zone is remembered (default: this process's memory). */
  familyMemory?: FamilyMemory;
  /** Non-fatal oddities in responses (skipped list entries, inconsistent batch results). Default: process.emitWarning. */
  onWarning?: (w: Warning) => void;
  userAgent?: string;
  /** Runs before every request (a shared budget, a pause in force); may wait, or throw to refuse it. */
  beforeRequest?: RequestGate;
}

export type { RequestGate };

export interface CloudflareClient {
  /** All mappings of the zone (v2: every page). Entries that are not valid mappings are skipped with a warning. */
  listMappings(zoneId: string, signal?: AbortSignal): Promise<Mapping[]>;
  /**
   * listMappings plus the entries it skipped: they still occupy the zone, and a valid IP among them is taken.
   * `resume`: the `listProgress` of an earlier walk's error, to read on from the page that failed.
   */
  listAll(zoneId: string, signal?: AbortSignal, opts?: { resume?: ListProgress | undefined }): Promise<{ mappings: Mapping[]; unparsed: UnparsedEntry[] }>;
  upsert(zoneId: string, m: Mapping, signal?: AbortSignal): Promise<void>;
  upsertBatch(zoneId: string, items: Mapping[], signal?: AbortSignal): Promise<{ succeeded: Mapping[]; failed: BatchItemFailure[] }>;
  /** A mapping that is not there (404, 1142/1163) is `existed: false`, not an error. */
  delete(zoneId: string, ip: string, signal?: AbortSignal): Promise<{ existed: boolean }>;
  /** IPs already gone count as succeeded (and are listed again in alreadyGone). */
  deleteBatch(zoneId: string, ips: string[], signal?: AbortSignal): Promise<{ succeeded: string[]; failed: BatchItemFailure[]; alreadyGone: string[] }>;
  supportedRegions(zoneId: string, signal?: AbortSignal): Promise<SupportedRegions>;
  /** The family used for this zone now. */
  family(zoneId: string): Promise<ApiFamily>;
  /** Last budget seen in rate-limit headers (global: Cloudflare counts per user / token). */
  budget(): RateBudget | undefined;
}

const WIRES: Record<ApiFamily, FamilyWire> = { v1, v2 };
/** Cloudflare zone ids are 32 hex digits; anything else that could not break out of the path is let through. */
const ZONE_ID = /^[A-Za-z0-9_-]{1,32}$/;
/** Visible ASCII: what an HTTP header value can carry without fetch refusing it (and echoing it). */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

function checkOptions(opts: CloudflareClientOptions): void {
  let url: URL;
  try {
    url = new URL(opts.apiBase);
  } catch {
    throw new TypeError('apiBase is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('apiBase must be an http(s) URL');
  // Credentials in the URL would end up in error texts; fetch refuses them anyway.
  if (url.username !== '' || url.password !== '') throw new TypeError('apiBase must not contain credentials; use auth');
  if (url.search !== '' || url.hash !== '') throw new TypeError('apiBase must not have a query or fragment');
  const a = opts.auth as Partial<{ token: unknown; email: unknown; key: unknown }> | undefined;
  if (!a || typeof a !== 'object') throw new TypeError('auth is required: { token } or { email, key }');
  if ('token' in a) {
    if (typeof a.token !== 'string' || !HEADER_SAFE.test(a.token)) throw new TypeError('auth.token is empty or holds characters an HTTP header cannot carry');
  } else {
    if (typeof a.email !== 'string' || !HEADER_SAFE.test(a.email)) throw new TypeError('auth.email is empty or holds characters an HTTP header cannot carry');
    if (typeof a.key !== 'string' || !HEADER_SAFE.test(a.key)) throw new TypeError('auth.key is empty or holds characters an HTTP header cannot carry');
  }
  if (!['v1', 'v2', 'auto'].includes(opts.api)) throw new TypeError('api must be v1, v2 or auto');
  if (opts.timeoutMs !== undefined && !(Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0)) throw new TypeError('timeoutMs must be a positive number');
  if (opts.userAgent !== undefined && !/^[\x20-\x7e]+$/.test(opts.userAgent)) throw new TypeError('userAgent holds characters an HTTP header cannot carry');
}

function inMemoryFamilies(): FamilyMemory {
  const m = new Map<string, ApiFamily>();
  return { get: (z) => m.get(z), set: (z, f) => void m.set(z, f) };
}

function isMappingGone(e: unknown): boolean {
  return e instanceof CloudflareApiError && e.outcome === 'not_found' && e.codes.some((c) => NOT_FOUND_CODES.includes(c));
}

function isNoRoute(e: unknown): boolean {
  return e instanceof CloudflareApiError && e.outcome === 'no_route';
}

export function createCloudflareClient(opts: CloudflareClientOptions): CloudflareClient {
  checkOptions(opts);
  const secrets = 'token' in opts.auth ? [opts.auth.token] : [opts.auth.email, opts.auth.key];
  const redact = createRedactor(secrets);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const transport = createTransport({
    apiBase: opts.apiBase,
    auth: 'token' in opts.auth ? { token: opts.auth.token } : { email: opts.auth.email, key: opts.auth.key },
    timeoutMs,
    userAgent: opts.userAgent ?? 'origin-region-sync',
    redact,
    onRequest: opts.onRequest,
    beforeRequest: opts.beforeRequest,
  });
  const send = transport.send;
  const memory = opts.familyMemory ?? inMemoryFamilies();
  // v2 is final for a zone (nothing moves it back), so once known it is kept here and the shared memory
  // is not asked again.
  const knownV2 = new Set<string>();

  const emit = (w: Warning) => {
    const safe: Warning = { ...w, message: redact(w.message) };
    if (w.item !== undefined) {
      // The item comes from the response; a server echoing a credential must not get it into a log.
      const text = JSON.stringify(w.item) ?? '';
      if (redact(text) !== text) safe.item = '[redacted]';
    }
    try {
      if (opts.onWarning) opts.onWarning(safe);
      else process.emitWarning(`${safe.message} (zone ${safe.zoneId}, ${safe.family} ${safe.route})`, { code: 'CLOUDFLARE_RESPONSE' });
    } catch {
      // A broken warning hook must not fail the call.
    }
  };
  const warner =
    (zoneId: string, wire: FamilyWire, route: string): Warn =>
    (message, item) =>
      emit({ zoneId, route, family: wire.family, message, ...(item !== undefined ? { item } : {}) });

  const guessFamily = (zoneId: string): ApiFamily => (opts.api === 'v2' || knownV2.has(zoneId) ? 'v2' : 'v1');

  /** Input the API would refuse anyway: refused here, before a request, as the same `invalid` outcome. */
  const invalid = (zoneId: string, method: string, route: keyof FamilyWire['routes'], detail: string): CloudflareApiError =>
    new CloudflareApiError({
      outcome: 'invalid',
      status: null,
      codes: [],
      method,
      route: WIRES[guessFamily(zoneId)].routes[route],
      family: guessFamily(zoneId),
      ...(ZONE_ID.test(zoneId) ? { zoneId } : {}),
      detail: redact(detail),
    });

  const checkZone = (zoneId: string, method: string, route: keyof FamilyWire['routes']) => {
    if (typeof zoneId !== 'string' || !ZONE_ID.test(zoneId)) {
      throw invalid(String(zoneId).slice(0, 40), method, route, 'zone id must be 1–32 letters, digits, "-" or "_"');
    }
  };

  /** A mapping as sent, or why it cannot be sent. */
  const toWire = (m: Mapping): { ok: true; item: WireItem } | { ok: false; ip: string; error: string } => {
    const c = canonicalIp(m?.ip);
    const ip = c.ok ? c.ip : String(m?.ip);
    if (!c.ok) return { ok: false, ip, error: `invalid IP: ${c.reason}` };
    if (!isVendor(m.vendor)) return { ok: false, ip, error: `vendor ${JSON.stringify(m.vendor)} is not one of aws, azure, gcp, oci` };
    if (typeof m.region !== 'string' || m.region === '') return { ok: false, ip, error: 'region missing' };
    return { ok: true, item: { ip: c.ip, vendor: m.vendor, region: m.region } };
  };

  const family = async (zoneId: string): Promise<ApiFamily> => {
    if (opts.api !== 'auto') return opts.api;
    if (knownV2.has(zoneId)) return 'v2';
    let f: ApiFamily | undefined;
    try {
      f = await memory.get(zoneId);
    } catch {
      // Not knowing costs one extra request (v1, then the switch again); failing the call costs more.
      emit({ zoneId, route: v1.routes.collection, family: 'v1', message: 'family memory unreadable; starting on v1' });
    }
    if (f === 'v2') knownV2.add(zoneId);
    return f === 'v2' ? 'v2' : 'v1';
  };

  const remember = async (zoneId: string) => {
    knownV2.add(zoneId);
    try {
      await memory.set(zoneId, 'v2');
    } catch {
      emit({ zoneId, route: v2.routes.collection, family: 'v2', message: 'could not record the switch to v2 in the family memory' });
    }
  };

  /**
   * Runs one operation on the zone's family. In auto mode a v1 "no route" answer sends the same call
   * once more on v2 (v1 did nothing, so that is safe for writes) and the zone stays on v2, unless v2 has
   * no route either: then the zone id is what is wrong (Cloudflare answers 7003 for a bad zone id too),
   * nothing is remembered and the error is thrown.
   */
  const run = async <T>(zoneId: string, op: (wire: FamilyWire) => Promise<T>): Promise<T> => {
    const f = await family(zoneId);
    if (opts.api !== 'auto' || f === 'v2') return op(WIRES[f]);
    try {
      return await op(v1);
    } catch (e) {
      if (!isNoRoute(e)) throw e;
    }
    try {
      const r = await op(v2);
      await remember(zoneId);
      return r;
    } catch (e) {
      if (!isNoRoute(e)) await remember(zoneId);
      throw e;
    }
  };

  const listAll: CloudflareClient['listAll'] = async (zoneId, signal, lo) => {
    checkZone(zoneId, 'GET', 'collection');
    // No error is read as an empty zone, 1142 included: the docs answer an emptied zone with an empty
    // list, and an empty read would let the caller forget every mapping it owns there.
    return run(zoneId, async (w) => parseList(await w.list(send, zoneId, signal, lo?.resume), w.ipKey, warner(zoneId, w, w.routes.collection)));
  };

  return {
    listAll,

    async listMappings(zoneId, signal) {
      return (await listAll(zoneId, signal)).mappings;
    },

    async upsert(zoneId, m, signal) {
      checkZone(zoneId, 'PUT', 'one');
      const w = toWire(m);
      if (!w.ok) throw invalid(zoneId, 'PUT', 'one', `${w.error} (${w.ip})`);
      await run(zoneId, (wire) => wire.upsert(send, zoneId, w.item, signal));
    },

    async upsertBatch(zoneId, items, signal) {
      if (!Array.isArray(items)) throw new TypeError('upsertBatch takes an array of mappings');
      if (items.length > MAX_BATCH) throw new RangeError(`upsertBatch takes at most ${MAX_BATCH} items, got ${items.length}`);
      checkZone(zoneId, 'PUT', 'batch');
      const failed: BatchItemFailure[] = [];
      const byIp = new Map<string, WireItem>();
      for (const m of items) {
        const w = toWire(m);
        if (!w.ok) {
          failed.push({ ip: w.ip, error: w.error });
          continue;
        }
        const prev = byIp.get(w.item.ip);
        if (prev && (prev.vendor !== w.item.vendor || prev.region !== w.item.region)) {
          throw new RangeError(`upsertBatch got ${w.item.ip} twice with different values`);
        }
        byIp.set(w.item.ip, w.item);
      }
      const sent = [...byIp.values()];
      if (sent.length === 0) return { succeeded: [], failed };
      const r = await run(zoneId, async (wire) =>
        readUpsertBatch(await wire.upsertBatch(send, zoneId, sent, signal), sent, wire.ipKey, warner(zoneId, wire, wire.routes.batch)),
      );
      return { succeeded: r.succeeded, failed: [...failed, ...r.failed] };
    },

    async delete(zoneId, ip, signal) {
      checkZone(zoneId, 'DELETE', 'one');
      const c = canonicalIp(ip);
      if (!c.ok) throw invalid(zoneId, 'DELETE', 'one', `invalid IP: ${c.reason}`);
      return run(zoneId, async (wire) => {
        try {
          await wire.delete(send, zoneId, c.ip, signal);
          return { existed: true };
        } catch (e) {
          if (isMappingGone(e)) return { existed: false };
          throw e;
        }
      });
    },

    async deleteBatch(zoneId, ips, signal) {
      if (!Array.isArray(ips)) throw new TypeError('deleteBatch takes an array of IPs');
      if (ips.length > MAX_BATCH) throw new RangeError(`deleteBatch takes at most ${MAX_BATCH} items, got ${ips.length}`);
      checkZone(zoneId, 'DELETE', 'batch');
      const failed: BatchItemFailure[] = [];
      const sent = new Set<string>();
      for (const ip of ips) {
        const c = canonicalIp(ip);
        if (c.ok) sent.add(c.ip);
        else failed.push({ ip: String(ip), error: `invalid IP: ${c.reason}` });
      }
      if (sent.size === 0) return { succeeded: [], failed, alreadyGone: [] };
      const list = [...sent];
      const r = await run(zoneId, async (wire) =>
        readDeleteBatch(await wire.deleteBatch(send, zoneId, list, signal), list, wire.ipKey, warner(zoneId, wire, wire.routes.batch)),
      );
      return { succeeded: r.succeeded, failed: [...failed, ...r.failed], alreadyGone: r.alreadyGone };
    },

    async supportedRegions(zoneId, signal) {
      checkZone(zoneId, 'GET', 'supported');
      return run(zoneId, async (wire) => readSupportedRegions(await wire.supportedRegions(send, zoneId, signal), warner(zoneId, wire, wire.routes.supported)));
    },

    family: async (zoneId) => family(zoneId),
    budget: () => transport.budget(),
  };
}
