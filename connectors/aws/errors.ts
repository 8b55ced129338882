/**
 * Turns whatever an SDK call threw into one line for ScanResult.error and logs: the AWS error code,
 * its message, the HTTP status. Access key ids and configured secrets are cut out, because AWS messages
 * and credential-provider errors may quote them.
 */

const KEY_ID = /\b(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/g;

export function describeError(e: unknown, secrets: readonly string[] = []): string {
  let text: string;
  if (e instanceof Error) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const name = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
    text = `${name}${e.message}${status ? ` (HTTP ${status})` : ''}`;
  } else {
    text = String(e);
  }
  for (const s of secrets) if (s.length >= 8) text = text.split(s).join('[redacted]');
  return text.replace(KEY_ID, (m) => `${m.slice(0, 4)}…[redacted]`);
}

export function isAbort(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (e instanceof Error && e.name === 'AbortError');
}
