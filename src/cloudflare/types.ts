import type { Vendor } from '../model/index.ts';

/** The two Cloudflare path families: v1 `/cache/origin_cloud_regions` (deprecated), v2 `/origin/cloud_regions`. */
export type ApiFamily = 'v1' | 'v2';
/** `auto`: start on v1 and move a zone to v2 for good once Cloudflare says the v1 route does not exist. */
export type ApiMode = ApiFamily | 'auto';

/** One origin cloud region mapping. `ip` is always canonical (see canonicalIp). */
export interface Mapping {
  ip: string;
  vendor: Vendor;
  region: string;
  modifiedOn?: string;
}

/** One item of a batch call that Cloudflare (or the client, before sending) refused. */
export interface BatchItemFailure {
  /** Canonical when it could be canonicalized; otherwise the text as sent or received. */
  ip: string;
  /** Cloudflare's per-item error text (free text, undocumented), or the client's reason. */
  error: string;
}

export interface BatchResult {
  succeeded: Mapping[] | string[];
  failed: BatchItemFailure[];
}

export interface SupportedRegions {
  /** false: Cloudflare could not resolve the colo codes, so upperTierColos may be empty or incomplete. */
  obtainedCodes: boolean;
  vendors: Record<string, Array<{ name: string; upperTierColos: string[] }>>;
}

/**
 * Where a paginated list walk stopped when a page failed: the raw entries of the pages read, so a retry
 * reads on from `nextPage` instead of from page 1. `totalCount` is what those pages counted: a list that
 * has grown or shrunk since then may have moved entries across pages, and is read again from the start.
 */
export interface ListProgress {
  family: ApiFamily;
  nextPage: number;
  totalCount: number;
  entries: unknown[];
}

/** The rate-limit budget as last reported by Cloudflare's response headers. */
export interface RateBudget {
  remaining: number;
  /** Seconds from observedAt until the window resets. */
  resetSeconds: number;
  quota?: number;
  windowSeconds?: number;
  /** Date.now() when the headers were read. */
  observedAt: number;
}

/** What the client reports about every HTTP request it makes (metrics hook); holds no secrets. */
export interface RequestInfo {
  method: string;
  /** Path pattern, e.g. `/zones/{zone_id}/origin/cloud_regions/{origin_ip}`. */
  route: string;
  family: ApiFamily;
  /** null when no HTTP response came back (network error, timeout). */
  status: number | null;
  outcome: Outcome;
  durationMs: number;
}

/**
 * What a call came to. `unknown` is a write whose effect cannot be known: a 2xx whose body cannot be
 * read, or no answer after the request may have gone out (timeout, cut connection). It may have landed.
 */
export type Outcome =
  | 'ok'
  | 'rate_limited'
  | 'cap_reached'
  | 'invalid'
  | 'not_found'
  | 'auth'
  | 'transient'
  | 'no_route'
  | 'unexpected'
  | 'unknown';

/**
 * A list entry the client could not turn into a Mapping (bad IP, unknown vendor, missing region).
 * It still exists in the zone: it takes one of the zone's 3,500 slots, and when its IP is valid a write
 * to that IP would overwrite a mapping the daemon has not seen.
 */
export interface UnparsedEntry {
  /** Canonical IP when the entry's IP was valid, else null. */
  ip: string | null;
  reason: string;
  /** The entry as received, for logs (mapping data only; never credentials). */
  raw: unknown;
}

/** A non-fatal oddity in a Cloudflare response (skipped list entry, inconsistent batch result). */
export interface Warning {
  zoneId: string;
  route: string;
  family: ApiFamily;
  message: string;
  item?: unknown;
}
