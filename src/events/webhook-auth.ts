import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A credential as src/config/secret.ts holds it: the value only through reveal(). */
export interface SecretLike {
  reveal(): string;
}

const REALM = 'origin-region-sync';

/**
 * The 401 challenge. Basic is offered because OCI Notifications only speaks Basic and sends its
 * credentials only after a 401 whose WWW-Authenticate names it
 * (docs.oracle.com/iaas/Content/Notification/Tasks/create-subscription-https.htm, "Unauthorized header").
 */
export function challenge(presented: boolean): string {
  return `Bearer realm="${REALM}"${presented ? ', error="invalid_token"' : ''}, Basic realm="${REALM}", charset="UTF-8"`;
}

// Hashing first gives timingSafeEqual two equal-length inputs whatever was sent, so neither the
// comparison nor an early length check tells a caller how long the token is or how much of it matched.
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A sender gets a handful of tries per request, not an unbounded list to hash. */
const MAX_CANDIDATES = 6;

/**
 * Every place a sender may put the token, because no single one works for all of them:
 * - `Authorization: Bearer <token>` (scheme case-insensitive: Event Grid's own delivery-property example
 *   writes `BEARER`), for curl, CI jobs, EventBridge API destinations (API key header `Authorization`)
 *   and Event Grid delivery properties;
 * - `Authorization: Basic` with the token as password (or as user name, for `https://<token>@host/`),
 *   for OCI Notifications and EventBridge BASIC connections;
 * - `?access_token=` (CloudEvents HTTP Web Hooks §3.2, which a receiver MUST support) and `?token=`,
 *   for Event Grid and Pub/Sub push, whose Authorization header is absent or carries their own JWT.
 */
export function presentedTokens(headers: IncomingHttpHeaders, query: URLSearchParams): string[] {
  const out: string[] = [];
  const auth = headers.authorization;
  const m = typeof auth === 'string' ? /^\s*([A-Za-z]+)\s+(\S.*?)\s*$/.exec(auth) : null;
  if (m) {
    const scheme = m[1]!.toLowerCase();
    if (scheme === 'bearer') out.push(m[2]!);
    else if (scheme === 'basic') {
      const plain = Buffer.from(m[2]!, 'base64').toString('utf8');
      const colon = plain.indexOf(':');
      if (colon >= 0) out.push(plain.slice(colon + 1), plain.slice(0, colon));
      else out.push(plain);
    }
  }
  for (const key of ['access_token', 'token']) out.push(...query.getAll(key));
  return out.filter((t) => t !== '').slice(0, MAX_CANDIDATES);
}

/** The token of one webhook source, kept only as its digest. */
export class TokenCheck {
  readonly #digest: Buffer;

  constructor(secret: SecretLike) {
    const value = secret.reveal();
    if (value === '') throw new Error('the webhook token is empty');
    this.#digest = digest(value);
  }

  /** True when any candidate is the token. Every candidate is compared, so timing says nothing of which. */
  matches(candidates: readonly string[]): boolean {
    let ok = false;
    for (const c of candidates) ok = timingSafeEqual(digest(c), this.#digest) || ok;
    return ok;
  }
}
