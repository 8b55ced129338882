import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BodyTooLarge, close as closeServer, listen, readBody } from '../emulators/http.ts';
import type { Logger } from 'pino';
import type { Config } from '../config/load.ts';
import type { RedisHealth } from '../pipeline/redis-health.ts';
import type { Runtime } from '../pipeline/runtime.ts';
import { approvePlan, requestResync } from '../pipeline/requests.ts';
import { renderDashboard, renderUnavailable } from './dashboard.ts';
import { refreshGauges } from './gauges.ts';
import type { Metrics } from './metrics.ts';
import { collectStatus } from './status.ts';

/**
 * How long a page waits on a Redis that is connected but silent before answering with what it knows:
 * /readyz must answer within a second; /metrics and the dashboard read more, so they get longer (under
 * Prometheus's default scrape timeout of 10 s).
 */
export const REDIS_ANSWER_MS = { ready: 800, page: 5000 };


export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * What the server serves before the runtime exists: the daemon starts its server first, so /healthz
 * answers and /readyz says why it is not ready while Redis is still unreachable at start.
 */
export interface PendingRuntime {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  health: RedisHealth;
  /** Set once Redis answered and the workers started. */
  runtime?: Runtime;
}

class RedisSlow extends Error {}

/**
 * Resolves with `p`, or rejects with RedisSlow when Redis does not answer in time or the connection drops
 * meanwhile (the reads stay queued in ioredis, harmless).
 */
async function fromRedis<T>(health: RedisHealth, p: Promise<T>, ms: number = REDIS_ANSWER_MS.page): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onDown: (() => void) | undefined;
  const slow = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisSlow(`Redis did not answer within ${ms} ms`)), ms);
    onDown = () => reject(new RedisSlow(health.reason() ?? 'Redis connection lost'));
    health.once('down', onDown);
  });
  return Promise.race([p, slow]).finally(() => {
    clearTimeout(timer);
    health.off('down', onDown!);
  });
}

/**
 * The daemon's HTTP side: /healthz (liveness: the process answers), /readyz (every zone had a complete
 * reconcile recently), /metrics (Prometheus), a read-only dashboard at /, and the admin API (resync,
 * plans, approve) behind the admin token. A malformed request gets a 4xx, never a crash. While Redis is
 * unreachable nothing waits on it: /readyz answers 503 with the reason, /metrics the process's own
 * metrics (ors_redis_up 0), the dashboard and the API 503.
 */
export async function startAdminServer(source: Runtime | PendingRuntime, opts: { host?: string; port?: number } = {}): Promise<AdminServer> {
  const pending: PendingRuntime = 'ctx' in source ? { config: source.ctx.config, logger: source.ctx.logger, metrics: source.ctx.metrics, health: source.health, runtime: source } : source;
  const { config, metrics, health } = pending;
  /** The runtime when Redis is usable now; otherwise a 503 saying why. */
  const usable = (): Runtime => {
    const down = pending.runtime ? health.reason() : (health.reason() ?? 'starting');
    if (down !== undefined || !pending.runtime) throw new HttpError(503, down ?? 'starting');
    return pending.runtime;
  };
  const token = config.server.token?.reveal();

  const authorize = (req: IncomingMessage) => {
    if (!token) throw new HttpError(403, 'the admin API is disabled: set server.token (e.g. ${ORS_ADMIN_TOKEN}) in the configuration');
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const given = Buffer.from(m?.[1] ?? '');
    const want = Buffer.from(token);
    if (!m || given.length !== want.length || !timingSafeEqual(given, want)) throw new HttpError(401, 'missing or wrong admin token (Authorization: Bearer <server.token>)');
  };

  const jsonBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const text = await readBody(req, 64 * 1024);
    if (text.trim() === '') return {};
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'body is not valid JSON');
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'body must be a JSON object');
    return v as Record<string, unknown>;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const send = (status: number, body: unknown, type = 'application/json') => {
      const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
      res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
      res.end(text);
    };
    const only = (...methods: string[]) => {
      if (!methods.includes(req.method ?? '')) {
        res.setHeader('allow', methods.join(', '));
        throw new HttpError(405, `use ${methods.join(' or ')}`);
      }
    };

    if (path === '/healthz') {
      only('GET', 'HEAD');
      return send(200, { status: 'ok' });
    }
    if (path === '/readyz') {
      only('GET', 'HEAD');
      let report: Awaited<ReturnType<typeof collectStatus>>;
      try {
        const rt = usable();
        report = await fromRedis(health, collectStatus(config, rt.ctx.state, rt.ctx.queues, { errors: 0, scopes: false }), REDIS_ANSWER_MS.ready);
      } catch (err) {
        if (!(err instanceof HttpError || err instanceof RedisSlow)) throw err;
        // A Redis that went away during the wait has been noticed meanwhile: say so rather than "slow".
        return send(503, { ready: false, reason: health.reason() ?? err.message });
      }
      const notReady = report.zones.filter((z) => !z.ready).map((z) => ({ zone: z.id, lastCompleteAt: z.lastCompleteAt ?? null, lastStatus: z.lastStatus ?? null }));
      // Degraded zones are reported but do not make the replica unready: a failing scope is the cloud's
      // problem, not this process's, and taking replicas out would stop the zones that are fine.
      const degraded = report.zones.flatMap((z) => (z.degraded ? [{ zone: z.id, since: z.degraded.since, scopes: z.degraded.scopes, connectors: z.degraded.connectors }] : []));
      return send(notReady.length === 0 ? 200 : 503, { ready: notReady.length === 0, maxAgeSeconds: config.server.readyMaxAgeMs / 1000, notReady, degraded });
    }
    if (path === '/metrics') {
      only('GET', 'HEAD');
      // HEAD (a probe checking the endpoint is there) gets the headers without a scrape's work.
      if (req.method === 'HEAD') return send(200, '', metrics.registry.contentType.split(';')[0]);
      // Without Redis the scrape still succeeds with what this process knows (counters, last gauges).
      try {
        const rt = usable();
        await fromRedis(health, refreshGauges(rt).then(() => metrics.setQueueCounts(Object.values(rt.ctx.queues))));
        metrics.redisUp.set(1);
      } catch (err) {
        if (!(err instanceof HttpError || err instanceof RedisSlow)) throw err;
        metrics.redisUp.set(0);
      }
      return send(200, await metrics.registry.metrics(), metrics.registry.contentType.split(';')[0]);
    }
    if (path === '/' || path === '/dashboard') {
      only('GET');
      try {
        const rt = usable();
        return send(200, renderDashboard(await fromRedis(health, collectStatus(config, rt.ctx.state, rt.ctx.queues)), config), 'text/html');
      } catch (err) {
        if (!(err instanceof HttpError || err instanceof RedisSlow)) throw err;
        return send(503, renderUnavailable(err.message), 'text/html');
      }
    }
    if (path === '/resync') {
      only('POST');
      authorize(req);
      const body = await jsonBody(req);
      const zone = body.zone ?? url.searchParams.get('zone') ?? undefined;
      const scope = body.scope ?? url.searchParams.get('scope') ?? undefined;
      if (zone !== undefined && typeof zone !== 'string') throw new HttpError(400, 'zone must be a string');
      if (scope !== undefined && typeof scope !== 'string') throw new HttpError(400, 'scope must be a string');
      const r = await requestResync(usable(), { ...(zone ? { zone } : {}), ...(scope ? { scope } : {}), reason: 'api' });
      if (!r.ok) throw new HttpError(404, r.error);
      return send(202, { accepted: true, jobId: r.jobId, zones: r.zones });
    }
    const planMatch = /^\/plans\/([A-Za-z0-9_-]{1,64})(\/approve)?$/.exec(path);
    if (planMatch) {
      authorize(req);
      const id = planMatch[1]!;
      if (planMatch[2]) {
        only('POST');
        const r = await approvePlan(usable(), id);
        if (!r.ok) throw new HttpError(r.status, r.error);
        return send(202, { approved: id, reconcileJobId: r.jobId });
      }
      only('GET');
      const { state } = usable().ctx;
      const plan = await state.getPlan(id);
      if (!plan) throw new HttpError(404, `no plan ${id} (plans are kept 7 days)`);
      return send(200, { ...plan, batches: await state.getBatches(id) });
    }
    throw new HttpError(404, `no route ${path}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof BodyTooLarge ? 413 : 500;
      if (status === 500) pending.logger.error({ error: (err as Error).message, path: req.url }, 'admin server error');
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: status === 500 ? 'internal error (see the daemon log)' : (err as Error).message }));
      } else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const port = await listen(server, opts.host ?? config.server.host, opts.port ?? config.server.port);
  const host = opts.host ?? config.server.host;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close: () => closeServer(server) };
}
