import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Envelope } from './envelope.ts';

/**
 * Answers that are not clearly a list: what a client must never read as an empty zone.
 * `garbled`: a 200 whose body is not JSON. `truncated`: half the body, then the connection is cut
 * (Content-Length promised all of it). `not-found`: 404/1142 on the list route. `no-result`:
 * `success: true` without `result`. `null-result`: v1 `value: null`, v2 `result: null`.
 * `no-result-info`: a v2 page without `result_info` (v1 lists have none anyway). `bad-result-info`: a v2
 * page whose `result_info` numbers are strings.
 */
export const LIST_FAULTS = ['off', 'garbled', 'truncated', 'not-found', 'no-result', 'null-result', 'no-result-info', 'bad-result-info'] as const;
export type ListFault = (typeof LIST_FAULTS)[number];

/**
 * Successful write answers that are lost after the write was applied: `garbled` (a 200 whose body is not
 * JSON), `truncated` (half the body, then the connection is cut), `late` (no answer until the client
 * hangs up, at most LATE_CAP_MS: "applied, answer lost" for a client that times out).
 */
export const WRITE_FAULTS = ['off', 'garbled', 'truncated', 'late'] as const;
export type WriteFault = (typeof WRITE_FAULTS)[number];

export const LATE_CAP_MS = 60_000;

/** The collection routes of both families, GET on which is the list. */
export function isListRoute(method: string, pattern: string): boolean {
  return method === 'GET' && /\/(cache\/origin_cloud_regions|origin\/cloud_regions)$/.test(pattern);
}

/** The list envelope as the fault shapes it; undefined when the fault is not about the envelope. */
export function shapeListEnvelope(fault: ListFault, family: 'v1' | 'v2', env: Envelope): Record<string, unknown> | undefined {
  if (fault === 'no-result') {
    const { result: _dropped, ...rest } = env;
    return rest;
  }
  if (fault === 'null-result') {
    const setting = typeof env.result === 'object' && env.result !== null ? env.result : {};
    return { ...env, result: family === 'v1' ? { ...setting, value: null } : null };
  }
  if (fault === 'bad-result-info' && env.result_info) {
    return { ...env, result_info: Object.fromEntries(Object.entries(env.result_info).map(([k, v]) => [k, String(v)])) };
  }
  if (fault === 'no-result-info') {
    const { result_info: _dropped, ...rest } = env;
    return rest;
  }
  return undefined;
}

/** Sends a broken answer: `garbled` or `truncated` (see above). */
export function sendBroken(socket: Socket, res: ServerResponse, how: 'garbled' | 'truncated', status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  // Quotes swapped: still looks like the envelope to a human, but is not JSON.
  const out = how === 'garbled' ? text.replaceAll('"', "'") : text;
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(out)),
    'cf-ray': `${randomBytes(8).toString('hex')}-EMU`,
    ...headers,
  });
  if (how === 'garbled') {
    res.end(out);
    return;
  }
  const half = Buffer.from(out).subarray(0, Math.floor(Buffer.byteLength(out) / 2));
  res.write(half, () => socket.destroy());
}

/** Resolves when the client hangs up, or after `capMs`; true if the client is gone. */
export function clientHangUp(res: ServerResponse, capMs = LATE_CAP_MS): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(false);
    }, capMs);
    timer.unref();
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    res.once('close', onClose);
  });
}
