import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** A JSON answer as every OCI API gives it: with an opc-request-id, and any paging header the call adds. */
export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'opc-request-id': randomUUID().replaceAll('-', '').toUpperCase(),
    ...headers,
  });
  res.end(text);
}
