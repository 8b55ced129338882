import { armMessageFor } from './clients.ts';

/**
 * One line an SRE can act on: ARM's error code, HTTP status and message (`AuthorizationFailed (HTTP 403):
 * The client '…' does not have authorization to perform action 'Microsoft.Network/publicIPAddresses/read'…`).
 * Never the request itself (its Authorization header holds the token); known secrets are masked anyway.
 */
export function describeAzureError(err: unknown, secrets: ReadonlyArray<string | undefined> = []): string {
  let text: string;
  if (err instanceof Error && err.name === 'AbortError') {
    text = 'aborted';
  } else if (err instanceof Error && 'statusCode' in err && typeof err.statusCode === 'number') {
    const code = 'code' in err && typeof err.code === 'string' ? err.code : 'HTTP error';
    const message = ('request' in err ? armMessageFor(err.request) : undefined) ?? err.message;
    text = `${code} (HTTP ${err.statusCode}): ${message}`;
  } else if (err instanceof Error) {
    const code = 'code' in err && typeof err.code === 'string' ? `${err.code}: ` : '';
    text = `${code}${err.message}`;
  } else {
    text = String(err);
  }
  // Credential-chain errors span many lines; a scan error is one.
  text = text.replace(/\s+/g, ' ').trim();
  for (const s of secrets) if (s && s.length >= 8) text = text.split(s).join('[redacted]');
  return text.length > 600 ? `${text.slice(0, 597)}...` : text;
}
