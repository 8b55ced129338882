// gRPC status names, as google-gax maps HTTP errors onto them (403 → PERMISSION_DENIED, 503 → UNAVAILABLE).
const GRPC_CODES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

const MAX_MESSAGE = 400;

/**
 * One line for a failed compute call: HTTP status, gRPC status name and the API's message. Built from
 * those fields only, never from the error object as a whole: a GoogleError's `cause` carries the request
 * configuration, headers included, and in production that means the bearer token.
 */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return redact(String(e)).slice(0, MAX_MESSAGE);
  const rec = e as Error & { code?: unknown; httpStatusCode?: unknown };
  const parts: string[] = [];
  if (typeof rec.httpStatusCode === 'number') parts.push(`HTTP ${rec.httpStatusCode}`);
  if (typeof rec.code === 'number' && GRPC_CODES[rec.code]) parts.push(GRPC_CODES[rec.code] as string);
  else if (typeof rec.code === 'string' && /^[A-Z_0-9]{2,40}$/.test(rec.code)) parts.push(rec.code);
  let message = redact(e.message.replace(/\s+/g, ' ').trim());
  if (message.length > MAX_MESSAGE) message = message.slice(0, MAX_MESSAGE) + '…';
  return parts.length > 0 ? `${parts.join(' ')}: ${message}` : message;
}

/** Belt and braces: strips anything shaped like a credential from text that is about to be logged. */
export function redact(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?(?:-----END [A-Z ]+-----|$)/g, '[redacted key]')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]')
    .replace(/\bya29\.[A-Za-z0-9._-]+/g, '[redacted token]')
    .replace(/((?:access_token|refresh_token|client_secret|private_key|assertion)["']?\s*[:=]\s*["']?)[^"'&\s,}]+/gi, '$1[redacted]');
}
