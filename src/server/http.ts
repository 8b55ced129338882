import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BodyTooLarge, close as closeServer, listen, readBody } from '../emulators/http.ts';
import type { Runtime } from '../pipeline/runtime.ts';
import { approvePlan, requestResync } from '../pipeline/requests.ts';
import { renderDashboard } from './dashboard.ts';
import { refreshGauges } from './gauges.ts';
import { collectStatus } from './status.ts';

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
 * The daemon's HTTP side: /healthz (liveness: the process answers), /readyz (every zone had a complete
 * reconcile recently), /metrics (Prometheus), a read-only dashboard at /, and the admin API (resync,
 * plans, approve) behind the admin token. A malformed request gets a 4xx, never a crash.
 */
export async function startAdminServer(rt: Runtime, opts: { host?: string; port?: number } = {}): Promise<AdminServer> {
  const { config, state, queues, metrics } = rt.ctx;
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
      const report = await collectStatus(config, state, queues, { errors: 0, scopes: false });
      const notReady = report.zones.filter((z) => !z.ready).map((z) => ({ zone: z.id, lastCompleteAt: z.lastCompleteAt ?? null, lastStatus: z.lastStatus ?? null }));
      return send(notReady.length === 0 ? 200 : 503, { ready: notReady.length === 0, maxAgeSeconds: config.server.readyMaxAgeMs / 1000, notReady });
    }
    if (path === '/metrics') {
      only('GET', 'HEAD');
      // HEAD (a probe checking the endpoint is there) gets the headers without a scrape's work.
      if (req.method === 'HEAD') return send(200, '', metrics.registry.contentType.split(';')[0]);
      await refreshGauges(rt);
      await metrics.setQueueCounts(Object.values(queues));
      return send(200, await metrics.registry.metrics(), metrics.registry.contentType.split(';')[0]);
    }
    if (path === '/' || path === '/dashboard') {
      only('GET');
      return send(200, renderDashboard(await collectStatus(config, state, queues), config), 'text/html');
    }
    if (path === '/resync') {
      only('POST');
      authorize(req);
      const body = await jsonBody(req);
      const zone = body.zone ?? url.searchParams.get('zone') ?? undefined;
      const scope = body.scope ?? url.searchParams.get('scope') ?? undefined;
      if (zone !== undefined && typeof zone !== 'string') throw new HttpError(400, 'zone must be a string');
      if (scope !== undefined && typeof scope !== 'string') throw new HttpError(400, 'scope must be a string');
      const r = await requestResync(rt, { ...(zone ? { zone } : {}), ...(scope ? { scope } : {}), reason: 'api' });
      if (!r.ok) throw new HttpError(404, r.error);
      return send(202, { accepted: true, jobId: r.jobId, zones: r.zones });
    }
    const planMatch = /^\/plans\/([A-Za-z0-9_-]{1,64})(\/approve)?$/.exec(path);
    if (planMatch) {
      authorize(req);
      const id = planMatch[1]!;
      if (planMatch[2]) {
        only('POST');
        const r = await approvePlan(rt, id);
        if (!r.ok) throw new HttpError(r.status, r.error);
        return send(202, { approved: id, reconcileJobId: r.jobId });
      }
      only('GET');
      const plan = await state.getPlan(id);
      if (!plan) throw new HttpError(404, `no plan ${id} (plans are kept 7 days)`);
      return send(200, { ...plan, batches: await state.getBatches(id) });
    }
    throw new HttpError(404, `no route ${path}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof BodyTooLarge ? 413 : 500;
      if (status === 500) rt.ctx.logger.error({ error: (err as Error).message, path: req.url }, 'admin server error');
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
