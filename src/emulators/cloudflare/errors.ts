/**
 * Cloudflare API v4 errors as the emulator answers them. Messages are verbatim from Cloudflare's docs where
 * the docs give one (research/cloudflare-api.md §6); the rest are ours and listed in
 * docs/cloudflare-emulator.md. No message ever includes a credential.
 */
export interface CfError {
  code: number;
  message: string;
  error_chain?: CfError[];
}

/** A failed API call: the HTTP status and the envelope's `errors[]`. Thrown by handlers, answered by the server. */
export class ApiError extends Error {
  readonly status: number;
  readonly errors: CfError[];
  readonly headers: Record<string, string>;

  constructor(status: number, errors: CfError[], headers: Record<string, string> = {}) {
    super(errors.map((e) => `${e.code}: ${e.message}`).join('; '));
    this.name = 'ApiError';
    this.status = status;
    this.errors = errors;
    this.headers = headers;
  }
}

const err = (status: number, code: number, message: string): ApiError => new ApiError(status, [{ code, message }]);

/** Per-item messages in batch `failed[]` (free text in the API; these are ours, except where a code's message exists). */
export const ITEM = {
  invalidIp: 'Invalid or missing origin IP address.',
  invalidRegion: "The vendor provided doesn't exist or the region provided does not exist for the specified cloud vendor",
  cap: 'Maximum number of IP mappings configured for zone.',
  notFound: 'No mapping exists for this origin IP.',
  duplicate: 'This origin IP appears earlier in the same batch.',
} as const;

export const errors = {
  noRoute: () => err(400, 7003, 'No route for the URI'),
  /** What Cloudflare answers for an identifier it cannot route (here: a zone_id that is not 1–32 of [A-Za-z0-9_-]). */
  badIdentifier: (path: string) =>
    new ApiError(400, [
      { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
      { code: 7000, message: 'No route for that URI' },
    ]),
  invalidHeaders: (chainCode: number, chainMessage: string) =>
    new ApiError(400, [{ code: 6003, message: 'Invalid request headers', error_chain: [{ code: chainCode, message: chainMessage }] }]),
  authentication: () => err(403, 10000, 'Authentication error'),
  malformedJson: () => err(400, 6007, 'Malformed JSON in request body'),
  // The unread rest of the body leaves the connection busy (server.close would wait on it): close it after the answer.
  bodyTooLarge: (limit: number) =>
    new ApiError(413, [{ code: 6007, message: `Request body too large (limit ${limit} bytes)` }], { Connection: 'close' }),
  invalidIp: () => err(400, 1146, ITEM.invalidIp),
  ipMismatch: () => err(400, 1146, 'body origin_ip does not match URL'),
  invalidPerPage: () => err(400, 1146, 'invalid per_page parameter, must be between 1 and 100'),
  invalidPage: () => err(400, 1146, 'invalid page parameter, must be an integer of at least 1'),
  invalidRegion: () => err(400, 1157, ITEM.invalidRegion),
  notFound: () => err(404, 1142, 'Unable to retrieve origin_public_cloud_region setting value. The zone setting does not exist.'),
  notFoundV1Delete: () => err(404, 1163, 'Unable to delete origin_public_cloud_region mapping. No mapping exists for the specified IP.'),
  duplicate: () => err(400, 1145, 'Unable to create new origin_public_cloud_region setting. The zone setting already exists.'),
  cap: () => err(403, 1164, ITEM.cap),
  batchTooLarge: (code: number, max: number) => err(400, code, `Batch exceeds the maximum of ${max} items.`),
  batchBody: (code: number, what: string, max: number) => err(400, code, `Request body must be a JSON array of at most ${max} ${what}.`),
  rateLimited: (retryAfter: number) =>
    new ApiError(429, [{ code: 971, message: 'Please wait and consider throttling your request speed' }], {
      'Retry-After': String(retryAfter),
    }),
  internal1140: () => err(500, 1140, 'Unable to update origin_public_cloud_region setting value. Internal error.'),
  internal1156: () => err(503, 1156, 'Failed to validate region against cloud vendor'),
};
