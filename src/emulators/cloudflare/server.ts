import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { BodyTooLarge, readBody } from '../../http/body.ts';
import { ADMIN_PREFIX, handleAdmin, type AdminTarget } from './admin.ts';
import { authenticate } from './auth.ts';
import type { EmulatorState, RequestContext } from './context.ts';
import { failed, ok, sendJson } from './envelope.ts';
import { ApiError, errors } from './errors.ts';
import { clientHangUp, isListRoute, sendBroken, shapeListEnvelope } from './answer-faults.ts';
import { delayFor, injectedFault, shouldDrop, type Knobs } from './faults.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { Router } from './router.ts';
import type { Stats } from './stats.ts';
import { isZoneId } from './validate.ts';

export const API_PREFIX = '/client/v4';
const BODY_LIMIT = 1024 * 1024;
const V1_SUNSET = 'Thu, 01 Oct 2026 00:00:00 GMT';

/** Everything one request needs; knobs and limiter are read per request because they change at run time. */
export interface Runtime {
  state: EmulatorState;
  router: Router;
  stats: Stats;
  tokens: ReadonlySet<string>;
  knobs(): Knobs;
  limiter(): RateLimiter | undefined;
  random(): number;
  logger: ((line: string) => void) | undefined;
  admin: AdminTarget;
}

/**
 * One request, in the order a Cloudflare edge would plausibly take it: latency, rate limit (per credential),
 * authentication, routing (7003), fault injection, then the handler. Any failure is an envelope with a 4xx/5xx;
 * nothing a client sends can crash the server.
 */
export async function handleRequest(rt: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const method = req.method ?? 'GET';
  // Kept from the start: a request stream destroyed while its body is read (413) lets go of its socket.
  const socket = req.socket;
  let path: string;
  let query: URLSearchParams;
  try {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    path = url.pathname;
    query = url.searchParams;
  } catch {
    path = req.url ?? '/';
    query = new URLSearchParams();
  }
  if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) return handleAdmin(req, res, path, rt.admin);

  const match = path.startsWith(`${API_PREFIX}/`) ? rt.router.match(method, path.slice(API_PREFIX.length)) : ({ kind: 'none' } as const);
  const route = match.kind === 'route' ? match.route.pattern : match.kind === 'method' ? match.pattern : 'unmatched';
  const family = match.kind === 'route' ? match.route.family : match.kind === 'method' ? match.family : undefined;
  const knobs = rt.knobs();
  let headers: Record<string, string> = {};

  const finish = (status: number, body: unknown): void => {
    rt.stats.record(method, route, status);
    rt.logger?.(`${method} ${path} ${status} ${Math.round(performance.now() - started)}ms`);
    if (!res.headersSent && !res.destroyed) sendJson(res, status, body, headers);
  };
  const drop = (): void => {
    rt.stats.record(method, route, 0);
    rt.logger?.(`${method} ${path} dropped`);
    socket.destroy();
  };
  const fail = (e: ApiError): void => {
    headers = { ...headers, ...e.headers };
    finish(e.status, failed(e.errors));
  };

  // The body is read before the latency, as an edge takes the whole request before answering: a client
  // that times out during the latency has still sent a write the handler then applies.
  const body = readRaw(req);
  await body;
  try {
    const wait = delayFor(knobs, rt.random);
    if (wait > 0) await sleep(wait);

    const auth = authenticate(req.headers, rt.tokens, socket.remoteAddress ?? 'unknown');
    const limit = rt.limiter()?.hit(auth.key);
    if (limit) headers = { ...limit.headers };
    if (limit && !limit.allowed) return fail(errors.rateLimited(limit.retryAfter));
    if (!auth.ok) return fail(auth.error);

    if (match.kind !== 'route' || (family === 'v1' && knobs.retireV1)) return fail(errors.noRoute());
    if (!isZoneId(match.params.zone_id)) return fail(errors.badIdentifier(path));

    if (knobs.dropMode === 'before' && shouldDrop(knobs, rt.random)) return drop();
    const fault = injectedFault(knobs, rt.random);
    if (fault) return fail(fault);
    const list = isListRoute(method, route);
    if (list && knobs.listFault === 'not-found') return fail(errors.notFound());

    const reply = await match.route.handle(context(rt.state, match.params, query, body));
    if (knobs.dropMode === 'after' && shouldDrop(knobs, rt.random)) return drop();
    const messages: Array<{ code: number; message: string }> = [];
    if (family === 'v1' && rt.state.behavior.v1DeprecationNotice) {
      messages.push({ code: 1000, message: 'Deprecated: use /zones/{zone_id}/origin/cloud_regions; /cache/origin_cloud_regions ends 2026-10-01.' });
      headers = { ...headers, Deprecation: 'true', Sunset: V1_SUNSET };
    }
    const status = reply.status ?? 200;
    const envelope = ok(reply.result, { messages, ...(reply.result_info ? { result_info: reply.result_info } : {}) });
    // Answer faults: the handler has run, so a faulty write answer is "applied, answer lost".
    const broken = list ? knobs.listFault : method !== 'GET' && status < 300 ? knobs.writeFault : 'off';
    if (broken === 'garbled' || broken === 'truncated') {
      rt.stats.record(method, route, status);
      rt.logger?.(`${method} ${path} ${status} ${broken}`);
      return sendBroken(socket, res, broken, status, envelope, headers);
    }
    if (broken === 'late' && (await clientHangUp(res))) {
      rt.stats.record(method, route, 0);
      rt.logger?.(`${method} ${path} applied, client gone before the answer`);
      return;
    }
    const shaped = list && family ? shapeListEnvelope(knobs.listFault, family, envelope) : undefined;
    finish(status, shaped ?? envelope);
  } catch (e) {
    if (e instanceof ApiError) return fail(e);
    // A bug in the emulator still answers (500) instead of leaving the client hanging; the message has no secrets.
    rt.logger?.(`internal error on ${method} ${path}: ${(e as Error).stack ?? String(e)}`);
    return fail(new ApiError(500, [{ code: 1000, message: `Internal error in the Cloudflare emulator: ${(e as Error).message}` }]));
  }
}

type RawBody = { text: string } | { error: unknown };

/** The whole request body, or why it could not be read (kept for the handler, which decides what it means). */
async function readRaw(req: IncomingMessage): Promise<RawBody> {
  try {
    return { text: await readBody(req, BODY_LIMIT) };
  } catch (error) {
    return { error };
  }
}

function context(state: EmulatorState, params: Record<string, string>, query: URLSearchParams, raw: Promise<RawBody>): RequestContext {
  let parsed: Promise<unknown> | undefined;
  return {
    state,
    params,
    query,
    body: () => (parsed ??= parseBody(raw)),
  };
}

async function parseBody(raw: Promise<RawBody>): Promise<unknown> {
  const r = await raw;
  if ('error' in r) {
    if (r.error instanceof BodyTooLarge) throw errors.bodyTooLarge(BODY_LIMIT);
    throw r.error;
  }
  const text = r.text;
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw errors.malformedJson();
  }
}

