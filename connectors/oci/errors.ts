/**
 * One line for an error thrown by the OCI SDK or its auth providers. The SDK throws OciError for service
 * answers, plain objects `{code, message}` for transport failures (and aborts), and sometimes bare strings
 * (unreadable key file); all of them end up in scan results and logs, so key material and signatures are
 * cut out whatever their origin.
 */
export function describeError(e: unknown): string {
  let text: string;
  if (typeof e === 'string') text = e;
  else if (e !== null && typeof e === 'object') {
    const o = e as { statusCode?: unknown; serviceCode?: unknown; code?: unknown; message?: unknown; opcRequestId?: unknown };
    const message = typeof o.message === 'string' ? o.message : String(e);
    if (typeof o.statusCode === 'number' && typeof o.serviceCode === 'string') {
      // opc-request-id is what Oracle support asks for; it identifies a request, it grants nothing.
      const rid = typeof o.opcRequestId === 'string' && o.opcRequestId !== '' ? ` (opc-request-id ${o.opcRequestId})` : '';
      text = `${o.statusCode} ${o.serviceCode}: ${message}${rid}`;
    } else if (o.code !== undefined && o.code !== null && typeof o.code !== 'object') {
      text = `${String(o.code)}: ${message}`;
    } else text = message;
  } else text = String(e);
  return redact(text);
}

export function redact(text: string): string {
  const out = text
    .replace(/-----BEGIN[\s\S]*?(-----END[^-]*-----|$)/g, '[redacted key]')
    .replace(/Signature\s+[^\n]*/g, 'Signature [redacted]')
    .replace(/ST\$[A-Za-z0-9._~+/=-]+/g, 'ST$[redacted]')
    .replace(/(pass_phrase|passphrase|security_token)\s*[=:]\s*\S+/gi, '$1=[redacted]')
    .replace(/\s+/g, ' ')
    .trim();
  return out.length > 600 ? `${out.slice(0, 600)}…` : out;
}

/** True when the SDK gave up because our AbortSignal fired (fetch's AbortError surfaces as code 20 / ABORT_ERR). */
export function isAbort(e: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  if (e === null || typeof e !== 'object') return false;
  const o = e as { name?: unknown; code?: unknown };
  return o.name === 'AbortError' || o.code === 20 || o.code === 'ABORT_ERR';
}
