import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { errors, type ApiError } from './errors.ts';

export type AuthResult = { ok: true; key: string } | { ok: false; key: string; error: ApiError };

// Printable, no spaces: Cloudflare tokens are [A-Za-z0-9_-]{40}, global keys 37 hex; any such string passes here.
const CREDENTIAL = /^[\x21-\x7e]{1,512}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * Checks the two schemes Cloudflare accepts: `Authorization: Bearer <token>`, or `X-Auth-Email` with
 * `X-Auth-Key`. A bearer header wins when both are sent. Missing or malformed → 400/6003 with the
 * error_chain Cloudflare gives; a well-formed credential not in `tokens` (when `tokens` is non-empty) →
 * 403/10000. Global API keys are checked against the same `tokens` list. `key` identifies the credential
 * for the rate limiter: a hash, never the secret itself.
 */
export function authenticate(headers: IncomingHttpHeaders, tokens: ReadonlySet<string>, remote: string): AuthResult {
  const authorization = one(headers.authorization);
  const email = one(headers['x-auth-email']);
  const apiKey = one(headers['x-auth-key']);
  if (authorization !== undefined) {
    const m = /^Bearer (.+)$/.exec(authorization);
    const token = m?.[1];
    if (token === undefined || !CREDENTIAL.test(token)) {
      return { ok: false, key: `addr:${remote}`, error: errors.invalidHeaders(6111, 'Invalid format for Authorization header') };
    }
    const key = `token:${fingerprint(token)}`;
    if (tokens.size > 0 && !tokens.has(token)) return { ok: false, key, error: errors.authentication() };
    return { ok: true, key };
  }
  // Without a bearer header Cloudflare assumes the key scheme, so a request with no credential at all
  // is answered as a malformed X-Auth-Key.
  if (apiKey === undefined || !CREDENTIAL.test(apiKey)) {
    return { ok: false, key: `addr:${remote}`, error: errors.invalidHeaders(6103, 'Invalid format for X-Auth-Key header') };
  }
  if (email === undefined || !EMAIL.test(email)) {
    return { ok: false, key: `addr:${remote}`, error: errors.invalidHeaders(6102, 'Invalid format for X-Auth-Email header') };
  }
  // The limit is per user: the email names the user under the key scheme.
  const key = `user:${email.toLowerCase()}`;
  if (tokens.size > 0 && !tokens.has(apiKey)) return { ok: false, key, error: errors.authentication() };
  return { ok: true, key };
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}
