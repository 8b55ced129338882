import { CloudflareApiError, classifyFailure, type ErrorOutcome } from './errors.ts';
import { parseRateBudget, retryAfterMs } from './rate-limit.ts';
import type { ApiFamily, RateBudget, RequestInfo } from './types.ts';

export type Auth = { token: string } | { email: string; key: string };

export interface SendRequest {
  method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  /** Path pattern for errors and metrics: `/zones/{zone_id}/…`. */
  route: string;
  /** Concrete path under the API base (zone id and IP already validated and canonical). */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  zoneId: string;
  family: ApiFamily;
  signal?: AbortSignal | undefined;
  /**
   * Checks the shape of a successful result; a returned text makes the call fail as `unexpected`
   * (and is reported so to the metrics hook) instead of handing garbage to the caller.
   */
  expect?: (result: unknown, resultInfo: unknown) => string | null;
}

export interface SendResult {
  status: number;
  result: unknown;
  resultInfo: unknown;
}

export type Send = (req: SendRequest) => Promise<SendResult>;

export interface TransportOptions {
  apiBase: string;
  auth: Auth;
  timeoutMs: number;
  userAgent: string;
  redact: (text: string) => string;
  onRequest?: ((info: RequestInfo) => void) | undefined;
  beforeRequest?: RequestGate | undefined;
}

/**
 * Called before each request leaves: where a shared budget makes the request wait for a slot, or refuses
 * it (by throwing) while Cloudflare has asked everyone on the token to hold off.
 */
export type RequestGate = (req: { method: SendRequest['method']; route: string; zoneId: string; family: ApiFamily; signal?: AbortSignal | undefined }) => Promise<void>;

export interface Transport {
  send: Send;
  budget(): RateBudget | undefined;
}

interface CfMessage {
  code: number | null;
  message: string;
}

/** Cloudflare's `errors[]` (with any `error_chain[]`), flattened. Tolerates anything. */
function readErrors(envelope: unknown): CfMessage[] {
  const out: CfMessage[] = [];
  const walk = (list: unknown, depth: number) => {
    if (!Array.isArray(list) || depth > 3) return;
    for (const e of list.slice(0, 20)) {
      if (typeof e !== 'object' || e === null) continue;
      const rec = e as Record<string, unknown>;
      const code = typeof rec.code === 'number' && Number.isInteger(rec.code) ? rec.code : null;
      const message = typeof rec.message === 'string' ? rec.message.slice(0, 300) : '';
      out.push({ code, message });
      walk(rec.error_chain, depth + 1);
    }
  };
  if (typeof envelope === 'object' && envelope !== null) walk((envelope as Record<string, unknown>).errors, 0);
  return out;
}

function describeErrors(errors: CfMessage[]): string {
  return errors.map((e) => (e.code === null ? e.message : `[${e.code}] ${e.message}`)).join('; ');
}

/** What a network failure was, without anything from the request (undici puts only socket facts in it). */
function describeNetworkError(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    const code = (cur as Error & { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${code}: ${cur.message}` : cur.message);
    cur = cur.cause;
  }
  return parts.length > 0 ? parts.join(' <- ') : String(e);
}

/** Failures that happen before a byte of the request leaves: nothing can have been applied. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL']);

function neverSent(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    const code = (cur as Error & { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT.has(code)) return true;
    cur = cur.cause;
  }
  return false;
}

function snippet(text: string): string {
  const flat = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}

function authHeaders(auth: Auth): Record<string, string> {
  if ('token' in auth) return { authorization: `Bearer ${auth.token}` };
  return { 'x-auth-email': auth.email, 'x-auth-key': auth.key };
}

/**
 * One HTTP exchange with Cloudflare: auth, timeout, envelope, error model, rate-limit headers and the
 * metrics hook. Never retries: retries, backoff and pausing belong to the queue.
 */
export function createTransport(opts: TransportOptions): Transport {
  const base = opts.apiBase.replace(/\/+$/, '');
  const fixedHeaders = { accept: 'application/json', 'user-agent': opts.userAgent, ...authHeaders(opts.auth) };
  let lastBudget: RateBudget | undefined;

  const report = (req: SendRequest, status: number | null, outcome: RequestInfo['outcome'], started: number) => {
    if (!opts.onRequest) return;
    const info: RequestInfo = {
      method: req.method,
      route: req.route,
      family: req.family,
      status,
      outcome,
      durationMs: Math.max(0, performance.now() - started),
    };
    try {
      opts.onRequest(info);
    } catch {
      // A broken metrics hook must not turn a successful write into a failure.
    }
  };

  const fail = (
    req: SendRequest,
    started: number,
    outcome: ErrorOutcome,
    status: number | null,
    detail: string,
    codes: number[] = [],
    retryAfter?: number,
  ): never => {
    report(req, status, outcome, started);
    throw new CloudflareApiError({
      outcome,
      status,
      codes,
      method: req.method,
      route: req.route,
      family: req.family,
      zoneId: req.zoneId,
      detail: opts.redact(detail),
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    });
  };

  const send: Send = async (req) => {
    if (opts.beforeRequest) await opts.beforeRequest({ method: req.method, route: req.route, zoneId: req.zoneId, family: req.family, signal: req.signal });
    const url = new URL(base + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { ...fixedHeaders };
    let body: string | undefined;
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.body);
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const started = performance.now();

    // A write that got no readable answer may still have been applied: that is `unknown`, not a failure.
    const write = req.method !== 'GET';
    let status: number | null = null;
    let text: string;
    let resHeaders: Headers;
    try {
      // redirect: manual, because fetch would forward X-Auth-Key (only Authorization is dropped) to
      // wherever a redirect points; Cloudflare's API does not redirect, so a 3xx is reported instead.
      const res = await fetch(url, { method: req.method, headers, body, signal, redirect: 'manual' });
      status = res.status;
      resHeaders = res.headers;
      text = await res.text();
    } catch (e) {
      // Only a 2xx, or no status at all after the request may have gone out, leaves a write in doubt.
      const doubt = write && (status === null ? !neverSent(e) : status >= 200 && status < 300);
      const outcome: ErrorOutcome = doubt ? 'unknown' : 'transient';
      const landed = doubt ? '; the write may have been applied' : '';
      if (timeout.aborted) return fail(req, started, outcome, status, `timed out after ${opts.timeoutMs} ms${landed}`);
      if (req.signal?.aborted) return fail(req, started, outcome, status, `aborted by the caller${landed}`);
      const cut = status === null ? 'network error' : 'answer cut off';
      return fail(req, started, outcome, status, `${cut}: ${describeNetworkError(e)}${landed}`);
    }

    const now = Date.now();
    const parsed = parseRateBudget(resHeaders, now);
    if (parsed) lastBudget = { ...parsed, observedAt: now };

    let envelope: unknown;
    let jsonError = false;
    try {
      envelope = text === '' ? undefined : JSON.parse(text);
    } catch {
      jsonError = true;
    }
    const errors = readErrors(envelope);
    const codes = [...new Set(errors.flatMap((e) => (e.code === null ? [] : [e.code])))];
    const isObject = typeof envelope === 'object' && envelope !== null && !Array.isArray(envelope);
    const success = isObject && (envelope as Record<string, unknown>).success === true;

    const is2xx = status >= 200 && status < 300;
    if (is2xx && success) {
      const env = envelope as Record<string, unknown>;
      const problem = !('result' in env) ? 'success without a result' : (req.expect?.(env.result, env.result_info) ?? null);
      if (problem !== null) {
        if (write) return fail(req, started, 'unknown', status, `malformed result: ${problem}; the write may have been applied`);
        return fail(req, started, 'unexpected', status, `malformed result: ${problem}`);
      }
      report(req, status, 'ok', started);
      return { status, result: env.result, resultInfo: env.result_info };
    }
    // A 2xx to a write that says neither success nor failure in a readable way: Cloudflare took the
    // request, and nothing says it did not apply it.
    if (is2xx && write && (jsonError || !isObject || typeof (envelope as Record<string, unknown>).success !== 'boolean')) {
      const what = jsonError ? `non-JSON body: ${snippet(text)}` : !isObject ? (text === '' ? 'empty body' : 'body is not a Cloudflare v4 envelope') : 'envelope without success';
      return fail(req, started, 'unknown', status, `unreadable answer (${what}); the write may have been applied`);
    }

    // success:false (or no envelope) under a 2xx is not something this API documents: only known codes
    // say what it was (status 0 leaves the decision to the codes), anything else is unexpected.
    const outcome = classifyFailure(status >= 200 && status < 300 ? 0 : status, codes);

    let detail: string;
    if (errors.length > 0) detail = describeErrors(errors);
    else if (jsonError) detail = `non-JSON body (${resHeaders.get('content-type') ?? 'no content-type'}): ${snippet(text)}`;
    else if (status >= 300 && status < 400) detail = `redirect to another location (not followed)`;
    else if (!isObject) detail = text === '' ? 'empty body' : 'body is not a Cloudflare v4 envelope';
    else detail = 'no error details in the response';

    let wait: number | undefined;
    if (outcome === 'rate_limited') {
      wait = retryAfterMs(resHeaders, now);
      // A 429 without budget headers still says the budget is spent until the wait is over.
      if (!parsed) lastBudget = { remaining: 0, resetSeconds: Math.ceil(wait / 1000), observedAt: now };
    }
    return fail(req, started, outcome, status, detail, codes, wait);
  };

  return { send, budget: () => (lastBudget ? { ...lastBudget } : undefined) };
}
