import type { Vendor } from '../model/index.ts';
import type { Send } from './transport.ts';
import type { ApiFamily, ListProgress } from './types.ts';

/** A mapping as the client sends it: IP canonical, vendor and region checked. */
export interface WireItem {
  ip: string;
  vendor: Vendor;
  region: string;
}

/** A batch result as found on the wire, items not yet interpreted. */
export interface RawBatch {
  succeeded: unknown[];
  failed: unknown[];
}

/** Everything one path family knows about Cloudflare's wire format; the client adds the semantics. */
export interface FamilyWire {
  readonly family: ApiFamily;
  /** Path patterns, for errors and metrics. */
  readonly routes: { collection: string; one: string; batch: string; supported: string };
  /** Key of the IP in response items: `origin-ip` (v1) or `origin_ip` (v2). */
  readonly ipKey: string;
  /**
   * Raw list entries, all pages. A paginated family resumes from `from` (of its own family) and, when a
   * page fails mid-walk, sets the CloudflareApiError's `listProgress` to where it stopped.
   */
  list(send: Send, zoneId: string, signal?: AbortSignal, from?: ListProgress): Promise<unknown[]>;
  upsert(send: Send, zoneId: string, item: WireItem, signal?: AbortSignal): Promise<void>;
  upsertBatch(send: Send, zoneId: string, items: WireItem[], signal?: AbortSignal): Promise<RawBatch>;
  /** Throws CloudflareApiError `not_found` when there is no such mapping. */
  delete(send: Send, zoneId: string, ip: string, signal?: AbortSignal): Promise<void>;
  deleteBatch(send: Send, zoneId: string, ips: string[], signal?: AbortSignal): Promise<RawBatch>;
  /** The raw `{obtained_codes, vendors}` object. */
  supportedRegions(send: Send, zoneId: string, signal?: AbortSignal): Promise<Record<string, unknown>>;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{failed: [], succeeded: []}`, or why not. */
export function batchShapeProblem(v: unknown): string | null {
  if (!isRecord(v)) return 'batch result is not an object';
  if (!Array.isArray(v.succeeded)) return 'batch result has no succeeded[]';
  if (!Array.isArray(v.failed)) return 'batch result has no failed[]';
  return null;
}

export function supportedShapeProblem(v: unknown): string | null {
  if (!isRecord(v)) return 'supported_regions result is not an object';
  if (!isRecord(v.vendors)) return 'supported_regions result has no vendors object';
  return null;
}

export function toRawBatch(v: unknown): RawBatch {
  const r = v as { succeeded: unknown[]; failed: unknown[] };
  return { succeeded: r.succeeded, failed: r.failed };
}
