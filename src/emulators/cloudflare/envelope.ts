import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { CfError } from './errors.ts';

/** The v4 envelope every API answer is wrapped in (success or not). */
export interface Envelope {
  success: boolean;
  errors: CfError[];
  messages: Array<{ code: number; message: string }>;
  result: unknown;
  result_info?: Record<string, number>;
}

export function ok(result: unknown, extra: Partial<Pick<Envelope, 'messages' | 'result_info'>> = {}): Envelope {
  return { success: true, errors: [], messages: extra.messages ?? [], result, ...(extra.result_info ? { result_info: extra.result_info } : {}) };
}

export function failed(errors: CfError[]): Envelope {
  return { success: false, errors, messages: [], result: null };
}

/** Writes a JSON answer; `cf-ray` is there because clients log it and some parse it. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    'cf-ray': `${randomBytes(8).toString('hex')}-EMU`,
    ...headers,
  });
  res.end(text);
}
