import cookie from '@fastify/cookie';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type HTTPMethods, type RouteShorthandOptions } from 'fastify';
import { ENVELOPE_PARSERS } from '../events/envelopes.ts';
import type { EventSink, SourceHealth } from '../events/types.ts';
import { registerWebhook } from '../events/webhook.ts';
import { approvePlan, requestResync } from '../pipeline/requests.ts';
import type { Runtime } from '../pipeline/runtime.ts';
import { cloudflareRequests, mappingsByRegion, recentPlans, recentWrites } from './api.ts';
import { bearerProblem, SESSION_COOKIE, SESSION_MS, SESSION_PATH, sessionValid, sessionValue } from './auth.ts';
import { renderDashboard, renderUnavailable } from './dashboard.ts';
import { refreshGauges } from './gauges.ts';
import { fromRedis, REDIS_ANSWER_MS, RedisUnavailable, usable, type PendingRuntime } from './redis-answer.ts';
import { collectStatus } from './status.ts';

const BODY_LIMIT = 64 * 1024;
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const httpError = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });

function send(reply: FastifyReply, status: number, body: unknown, type = 'application/json'): FastifyReply {
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  return reply.code(status).header('cache-control', 'no-store').type(`${type}; charset=utf-8`).send(text);
}

// Schemas: what a request may carry. Anything else is a 400 naming the field, before a handler runs.
const planId = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const readQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { zone: { type: 'string', pattern: '^[0-9a-f]{32}$' }, limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } },
} as const;
type ReadQuery = { zone?: string; limit?: string };

/**
 * The daemon's HTTP surface on fastify: /healthz, /readyz, /metrics, the dashboard at / with its read-only
 * JSON API (/api/status, /api/plans, /api/history), the admin API behind the token (POST /resync, GET
 * /plans/:id, POST /plans/:id/approve, POST /api/session) and Bull Board at /queues (token or session
 * cookie). While Redis is unreachable nothing waits on it: /readyz answers 503 with the reason, /metrics
 * the process's own metrics (ors_redis_up 0), the pages and the API 503.
 */
export async function buildApp(pending: PendingRuntime): Promise<FastifyInstance> {
  const { config, metrics, health } = pending;
  const token = config.server.token?.reveal();
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    requestTimeout: 30_000,
    exposeHeadRoutes: false,
    // A JSON number is not a zone name, and a typo in a field must not widen a resync to every zone.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.server.headersTimeout = 10_000;
  await app.register(cookie);

  // Every body is JSON, whatever its content type says (curl -d sends form-urlencoded); the schemas say which shape.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(httpError(400, 'body is not valid JSON'), undefined);
    }
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof RedisUnavailable) return send(reply, 503, { error: err.message });
    const status = err.validation ? 400 : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) pending.logger.error({ error: err.message, path: req.url }, 'admin server error');
    return send(reply, status, { error: status === 500 ? 'internal error (see the daemon log)' : err.message });
  });
  app.setNotFoundHandler((req, reply) => send(reply, 404, { error: `no route ${new URL(req.url, 'http://localhost').pathname}` }));

  // POST /events (and any other webhook path): the server starts before Redis and the event intake do,
  // so until they have, the webhook answers 503 and the sender retries.
  if (config.events.webhooks.length > 0) {
    const sink: EventSink = {
      take: (source, parsed, meta) => (pending.events ? pending.events.intake.take(source, parsed, meta) : Promise.reject(new Error('the daemon is starting: events are not taken yet'))),
    };
    const health = (name: string): SourceHealth => ({
      up: () => pending.events?.health.reporter(name)?.up(),
      down: (error) => pending.events?.health.reporter(name)?.down(error),
      lag: (seconds) => pending.events?.health.reporter(name)?.lag(seconds),
    });
    await registerWebhook(app, { sources: config.events.webhooks.map((w) => ({ ...w, health: health(w.name) })), sink, parsers: ENVELOPE_PARSERS, logger: pending.logger.child({ component: 'webhook' }) });
  }

  const admin = async (req: FastifyRequest) => {
    const p = bearerProblem(token, req.headers.authorization);
    if (p) throw httpError(p.status, p.message);
  };

  /** A route, and a 405 naming the allowed methods for every other method on its path. */
  const route = <Q = unknown, B = unknown, P = unknown>(url: string, methods: HTTPMethods[], opts: RouteShorthandOptions, handler: (req: FastifyRequest<{ Querystring: Q; Body: B; Params: P }>, reply: FastifyReply) => Promise<FastifyReply>) => {
    app.route({ method: methods, url, ...opts, handler: handler as (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> });
    app.route({ method: METHODS.filter((m) => !methods.includes(m)), url, handler: async (_req, reply) => send(reply.header('allow', methods.join(', ')), 405, { error: `use ${methods.join(' or ')}` }) });
  };

  route('/healthz', ['GET', 'HEAD'], {}, async (_req, reply) => send(reply, 200, { status: 'ok' }));

  route('/readyz', ['GET', 'HEAD'], {}, async (_req, reply) => {
    let report: Awaited<ReturnType<typeof collectStatus>>;
    try {
      const rt = usable(pending);
      report = await fromRedis(health, collectStatus(config, rt.ctx.state, rt.ctx.queues, { errors: 0, scopes: false }), REDIS_ANSWER_MS.ready);
    } catch (err) {
      if (!(err instanceof RedisUnavailable)) throw err;
      // A Redis that went away during the wait has been noticed meanwhile: say so rather than "slow".
      return send(reply, 503, { ready: false, reason: health.reason() ?? err.message });
    }
    const notReady = report.zones.filter((z) => !z.ready).map((z) => ({ zone: z.id, lastCompleteAt: z.lastCompleteAt ?? null, lastStatus: z.lastStatus ?? null }));
    // Degraded zones are reported but do not make the replica unready: a failing scope is the cloud's
    // problem, not this process's, and taking replicas out would stop the zones that are fine.
    const degraded = report.zones.flatMap((z) => (z.degraded ? [{ zone: z.id, since: z.degraded.since, scopes: z.degraded.scopes, connectors: z.degraded.connectors }] : []));
    // Event sources, like degraded zones, are detail: the schedule stays the ground truth without them.
    const events = (pending.events?.health.list() ?? []).map((s) => ({ source: s.name, type: s.type, state: s.state, since: s.since, ...(s.error ? { error: s.error } : {}) }));
    return send(reply, notReady.length === 0 ? 200 : 503, { ready: notReady.length === 0, maxAgeSeconds: config.server.readyMaxAgeMs / 1000, notReady, degraded, events });
  });

  route('/metrics', ['GET', 'HEAD'], {}, async (req, reply) => {
    const type = metrics.registry.contentType.split(';')[0]!;
    // HEAD (a probe checking the endpoint is there) gets the headers without a scrape's work.
    if (req.method === 'HEAD') return send(reply, 200, '', type);
    // Without Redis the scrape still succeeds with what this process knows (counters, last gauges).
    try {
      const rt = usable(pending);
      await fromRedis(health, refreshGauges(rt).then(() => metrics.setQueueCounts(Object.values(rt.ctx.queues))));
      metrics.redisUp.set(1);
    } catch (err) {
      if (!(err instanceof RedisUnavailable)) throw err;
      metrics.redisUp.set(0);
    }
    return send(reply, 200, await metrics.registry.metrics(), type);
  });

  const page = async (_req: FastifyRequest, reply: FastifyReply) => {
    try {
      const rt = usable(pending);
      return send(reply, 200, renderDashboard(await fromRedis(health, collectStatus(config, rt.ctx.state, rt.ctx.queues)), config), 'text/html');
    } catch (err) {
      if (!(err instanceof RedisUnavailable)) throw err;
      return send(reply, 503, renderUnavailable(err.message), 'text/html');
    }
  };
  route('/', ['GET'], {}, page);
  route('/dashboard', ['GET'], {}, page);

  // The page's JSON API: read-only, no token (as the page itself), no IP lists, no secrets.
  const limitOf = (q: ReadQuery, dflt: number) => (q.limit ? Number(q.limit) : dflt);
  route('/api/status', ['GET'], {}, async (_req, reply) => {
    const rt = usable(pending);
    const status = await fromRedis(health, collectStatus(config, rt.ctx.state, rt.ctx.queues));
    const limiter = { redis: rt.ctx.state.redis, key: rt.ctx.queues.apply.keys.limiter! };
    return send(reply, 200, { ...status, cloudflareRequests: await fromRedis(health, cloudflareRequests(metrics, config, limiter)) });
  });
  route<ReadQuery>('/api/plans', ['GET'], { schema: { querystring: readQuery } }, async (req, reply) => {
    const plans = await fromRedis(health, recentPlans(usable(pending), { ...(req.query.zone ? { zone: req.query.zone } : {}), limit: limitOf(req.query, 20) }));
    if (!plans) throw httpError(404, `zone ${req.query.zone} is not configured`);
    return send(reply, 200, { plans });
  });
  route<ReadQuery>('/api/history', ['GET'], { schema: { querystring: readQuery } }, async (req, reply) => {
    const writes = await fromRedis(health, recentWrites(usable(pending), { ...(req.query.zone ? { zone: req.query.zone } : {}), limit: limitOf(req.query, 50) }));
    if (!writes) throw httpError(404, `zone ${req.query.zone} is not configured`);
    return send(reply, 200, writes);
  });

  route<ReadQuery>('/api/mappings', ['GET'], { schema: { querystring: readQuery } }, async (req, reply) => {
    const zones = await fromRedis(health, mappingsByRegion(usable(pending), req.query.zone));
    if (!zones) throw httpError(404, `zone ${req.query.zone} is not configured`);
    return send(reply, 200, { zones });
  });

  // Browsers cannot put a bearer header on a navigation: the token, sent once in the header, buys a
  // short-lived cookie that only /queues receives (HttpOnly, SameSite=Strict: no script reads it, no
  // other site sends it).
  route('/api/session', ['POST'], { onRequest: admin }, async (req, reply) => {
    void reply.setCookie(SESSION_COOKIE, sessionValue(token!), { path: SESSION_PATH, httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https', maxAge: SESSION_MS / 1000 });
    return send(reply, 200, { path: SESSION_PATH, expiresInSeconds: SESSION_MS / 1000 });
  });

  // full: read the zones' lists from Cloudflare in full, not from the list cache (as `resync --full`).
  const resyncBody = { type: 'object', additionalProperties: false, properties: { zone: { type: 'string', minLength: 1 }, scope: { type: 'string', minLength: 1 }, full: { type: 'boolean' } } } as const;
  type ResyncParams = { zone?: string; scope?: string; full?: boolean };
  route<ResyncParams, ResyncParams>('/resync', ['POST'], { onRequest: admin, schema: { body: resyncBody, querystring: { type: 'object', properties: resyncBody.properties } } }, async (req, reply) => {
    const zone = req.body.zone ?? req.query.zone;
    const scope = req.body.scope ?? req.query.scope;
    const full = req.body.full ?? req.query.full;
    const r = await requestResync(usable(pending), { ...(zone ? { zone } : {}), ...(scope ? { scope } : {}), ...(full ? { full: true } : {}), reason: 'api' });
    if (!r.ok) throw httpError(404, r.error);
    return send(reply, 202, { accepted: true, jobId: r.jobId, zones: r.zones });
  });

  const params = { schema: { params: { type: 'object', properties: { id: planId }, required: ['id'] } }, onRequest: admin };
  route<unknown, unknown, { id: string }>('/plans/:id', ['GET'], params, async (req, reply) => {
    const { state } = usable(pending).ctx;
    const plan = await state.plans.get(req.params.id);
    if (!plan) throw httpError(404, `no plan ${req.params.id} (plans are kept 7 days)`);
    return send(reply, 200, { ...plan, batches: await state.plans.getBatches(req.params.id) });
  });
  route<unknown, unknown, { id: string }>('/plans/:id/approve', ['POST'], params, async (req, reply) => {
    const r = await approvePlan(usable(pending), req.params.id);
    if (!r.ok) throw httpError(r.status, r.error);
    return send(reply, 202, { approved: req.params.id, reconcileJobId: r.jobId });
  });

  await app.register(async (scope) => queueBoard(scope, pending, token));
  return app;
}

/** Bull Board at /queues: the admin token in a header, or the session cookie POST /api/session gave. */
async function queueBoard(scope: FastifyInstance, pending: PendingRuntime, token: string | undefined): Promise<void> {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(SESSION_PATH);
  const board = createBullBoard({ queues: [], serverAdapter: adapter, options: { uiConfig: { boardTitle: 'origin-region-sync' } } });
  // The runtime may arrive after the server started (pending): the board gets its queues on first use.
  let boardOf: Runtime | undefined;
  scope.addHook('onRequest', async (req) => {
    if (!sessionValid(token, req.cookies[SESSION_COOKIE])) {
      const p = bearerProblem(token, req.headers.authorization);
      if (p) throw httpError(p.status, p.status === 401 ? 'Bull Board needs the admin token: type it on the dashboard (/) and press "Queues"' : p.message);
    }
    const rt = usable(pending);
    if (boardOf !== rt) {
      board.replaceQueues(Object.values(rt.ctx.queues).map((q) => new BullMQAdapter(q, { readOnlyMode: false })));
      boardOf = rt;
    }
  });
  // Bull Board's page asks Google Fonts for its typeface: an air-gapped machine cannot reach it and
  // nothing should leave for a CDN, so the link goes (the page falls back to the system font).
  scope.addHook('onSend', async (_req, reply, payload) => {
    if (typeof payload !== 'string' || !String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload;
    return payload.replace(/<link [^>]*href="https:\/\/fonts\.(googleapis|gstatic)\.com[^>]*>/g, '');
  });
  await scope.register(adapter.registerPlugin(), { prefix: SESSION_PATH });
}
