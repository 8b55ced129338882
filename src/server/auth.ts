import { createHmac, timingSafeEqual } from 'node:crypto';

/** The Bull Board session cookie: HttpOnly, SameSite=Strict, sent only to /queues. */
export const SESSION_COOKIE = 'ors_queues';
export const SESSION_PATH = '/queues';
export const SESSION_MS = 15 * 60_000;

const equal = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Why an `Authorization` header does not carry the admin token, or undefined when it does (constant-time compare). */
export function bearerProblem(token: string | undefined, header: string | undefined): { status: 401 | 403; message: string } | undefined {
  if (!token) return { status: 403, message: 'the admin API is disabled: set server.token (e.g. ${ORS_ADMIN_TOKEN}) in the configuration' };
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m || !equal(m[1]!, token)) return { status: 401, message: 'missing or wrong admin token (Authorization: Bearer <server.token>)' };
  return undefined;
}

// The cookie is `expiry.HMAC(token, expiry)`: nothing to store, valid on every replica sharing the token,
// void as soon as the token rotates, and it reveals nothing of the token.
const mac = (token: string, expires: number) => createHmac('sha256', token).update(`ors-queues-session:${expires}`).digest('base64url');

export function sessionValue(token: string, now = Date.now()): string {
  const expires = now + SESSION_MS;
  return `${expires}.${mac(token, expires)}`;
}

export function sessionValid(token: string | undefined, value: string | undefined, now = Date.now()): boolean {
  if (!token || !value) return false;
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return false;
  const expires = Number(m[1]);
  return expires > now && equal(m[2]!, mac(token, expires));
}
