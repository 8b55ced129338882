import type { ApiFamily, ListProgress, Outcome } from './types.ts';

export type ErrorOutcome = Exclude<Outcome, 'ok'>;

export interface CloudflareApiErrorInit {
  outcome: ErrorOutcome;
  status: number | null;
  codes: number[];
  method: string;
  route: string;
  family: ApiFamily;
  zoneId?: string;
  retryAfterMs?: number;
  /** Already free of secrets: the transport redacts before constructing. */
  detail: string;
}

/**
 * Every failure of a Cloudflare call. `outcome` is what the caller decides on; `rate_limited`, `transient`
 * and `unknown` are worth retrying (every write this client sends is idempotent). `unknown` never means
 * "nothing happened": the write may have landed, so the caller must settle it from a later read. The message names the method, the route pattern and Cloudflare's
 * error codes and texts, never a credential or a full URL.
 */
export class CloudflareApiError extends Error {
  override readonly name = 'CloudflareApiError';
  readonly outcome: ErrorOutcome;
  readonly status: number | null;
  readonly codes: number[];
  readonly retryAfterMs?: number;
  readonly retryable: boolean;
  readonly method: string;
  readonly route: string;
  readonly family: ApiFamily;
  readonly zoneId?: string;
  /** Set on a list page that failed mid-walk: the pages already read, to resume from. */
  listProgress?: ListProgress;

  constructor(init: CloudflareApiErrorInit) {
    const where = `${init.method} ${init.route} (${init.family}${init.zoneId ? `, zone ${init.zoneId}` : ''})`;
    const status = init.status === null ? 'no response' : `HTTP ${init.status}`;
    super(`Cloudflare ${where}: ${init.outcome}, ${status}: ${init.detail}`);
    this.outcome = init.outcome;
    this.status = init.status;
    this.codes = init.codes;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    this.retryable = init.outcome === 'rate_limited' || init.outcome === 'transient' || init.outcome === 'unknown';
    this.method = init.method;
    this.route = init.route;
    this.family = init.family;
    if (init.zoneId !== undefined) this.zoneId = init.zoneId;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      outcome: this.outcome,
      status: this.status,
      codes: this.codes,
      retryAfterMs: this.retryAfterMs,
      retryable: this.retryable,
      method: this.method,
      route: this.route,
      family: this.family,
      zoneId: this.zoneId,
    };
  }
}

/** Mapping (or rule record) does not exist: 1142 on GET / v2 DELETE, 1163 on v1 DELETE. */
export const NOT_FOUND_CODES: readonly number[] = [1142, 1163];
/** "No route for the URI" (also what Cloudflare answers for a malformed zone id). */
export const NO_ROUTE_CODES: readonly number[] = [7000, 7003];
/** Zone holds the maximum number of mappings: retrying cannot help until something is deleted. */
export const CAP_CODE = 1164;
/** Cloudflare's own internal failures on this API (5xx): "internal error", "failed to validate region". */
const INTERNAL_CODES: readonly number[] = [1140, 1156];
/** Validation failures: duplicate (v1 POST), invalid IP / mismatch / bad paging, unknown vendor or region. */
const INVALID_CODES: readonly number[] = [1145, 1146, 1157];
/** Rate limiting codes Cloudflare has used besides the 429 status (971: "Please wait and consider throttling"). */
const RATE_CODES: readonly number[] = [971, 10429];
/**
 * Credential problems: 6003 family = malformed auth headers (6100–6199 in the error_chain), 9103/9106/9109 =
 * unknown or invalid key / token, 10000/10001 = authentication error / token lacks permission.
 */
function isAuthCode(code: number): boolean {
  return code === 6003 || (code >= 6100 && code <= 6199) || code === 9103 || code === 9106 || code === 9109 || code === 10000 || code === 10001;
}

/**
 * Outcome of a failed response. Codes win over the status where they are specific (1164 is a 403 that is
 * not an auth problem; 7003 comes with 400); a 404 without a mapping code is a missing route, not a missing
 * mapping, so that `delete` never reports "already gone" for a request that reached nothing.
 */
export function classifyFailure(status: number, codes: readonly number[]): ErrorOutcome {
  // status 0: no usable status (a 2xx that says success:false); only the codes decide.
  const has = (list: readonly number[]) => codes.some((c) => list.includes(c));
  if (status === 429 || has(RATE_CODES)) return 'rate_limited';
  if (codes.includes(CAP_CODE)) return 'cap_reached';
  if (has(NO_ROUTE_CODES)) return 'no_route';
  if (status === 401 || codes.some(isAuthCode)) return 'auth';
  if (has(NOT_FOUND_CODES)) return 'not_found';
  if (status === 404) return codes.length === 0 ? 'no_route' : 'not_found';
  if (status >= 500 || status === 408 || status === 409 || has(INTERNAL_CODES)) return 'transient';
  if (has(INVALID_CODES)) return 'invalid';
  if (status === 403) return 'auth';
  if (status >= 400) return 'invalid';
  return 'unexpected';
}
