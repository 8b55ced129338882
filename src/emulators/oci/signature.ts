import { verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** How far the signed date may be from the fake's clock, as OCI allows. */
const MAX_SKEW_MS = 5 * 60 * 1000;

/**
 * Checks an OCI request signature (draft-cavage HTTP signatures, as oci-common signs):
 * `Authorization: Signature version="1",keyId="<tenancy>/<user>/<fingerprint>",algorithm="rsa-sha256",
 * headers="x-date (request-target) host",signature="<base64>"`. Always: the shape, the tenancy in the key
 * id, the signed headers and the date. With `keys` (fingerprint → public key): the RSA signature itself.
 * Returns why the request is not authenticated, or null.
 */
export function signatureProblem(req: IncomingMessage, tenancy: string, keys: Map<string, KeyObject> | null, now = Date.now()): string | null {
  const header = req.headers.authorization;
  if (!header) return 'the request is not signed (no Authorization header)';
  if (!header.startsWith('Signature ')) return 'the Authorization header is not an OCI request signature';
  const params = new Map<string, string>();
  for (const m of header.slice('Signature '.length).matchAll(/([A-Za-z]+)="([^"]*)"/g)) params.set(m[1] ?? '', m[2] ?? '');
  const keyId = params.get('keyId');
  const signature = params.get('signature');
  const signed = (params.get('headers') ?? 'date').toLowerCase().split(' ').filter(Boolean);
  if (!keyId || !signature) return 'the signature has no keyId or no signature';
  if (params.get('algorithm') !== 'rsa-sha256') return 'the signature algorithm must be rsa-sha256';
  if (keyId.startsWith('ST$')) return 'this fake only accepts API-key signatures (tenancy/user/fingerprint), not security tokens';
  const [keyTenancy, user, fingerprint, ...rest] = keyId.split('/');
  if (!keyTenancy || !user || !fingerprint || rest.length > 0) return 'the keyId is not <tenancy>/<user>/<fingerprint>';
  if (keyTenancy !== tenancy) return `the key belongs to tenancy ${keyTenancy}, not to ${tenancy}`;
  for (const required of ['(request-target)', 'host']) if (!signed.includes(required)) return `the signature does not cover ${required}`;
  const dateHeader = signed.includes('x-date') ? 'x-date' : signed.includes('date') ? 'date' : null;
  if (!dateHeader) return 'the signature covers neither date nor x-date';
  const date = Date.parse(String(req.headers[dateHeader] ?? ''));
  if (Number.isNaN(date)) return `the ${dateHeader} header is missing or not a date`;
  if (Math.abs(now - date) > MAX_SKEW_MS) return `the ${dateHeader} header is more than 5 minutes from the server's clock`;
  if (keys === null) return null;
  const key = keys.get(fingerprint);
  if (!key) return `no API key with fingerprint ${fingerprint}`;
  const lines: string[] = [];
  for (const h of signed) {
    if (h === '(request-target)') lines.push(`(request-target): ${(req.method ?? '').toLowerCase()} ${req.url ?? ''}`);
    else {
      const v = req.headers[h];
      if (v === undefined) return `the signed header ${h} is missing`;
      lines.push(`${h}: ${Array.isArray(v) ? v.join(', ') : v}`);
    }
  }
  let ok = false;
  try {
    ok = verify('sha256', Buffer.from(lines.join('\n')), key, Buffer.from(signature, 'base64'));
  } catch {
    ok = false;
  }
  return ok ? null : 'the signature does not verify with the API key';
}
