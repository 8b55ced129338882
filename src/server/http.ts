import type { Runtime } from '../pipeline/runtime.ts';
import { buildApp } from './app.ts';
import type { PendingRuntime } from './redis-answer.ts';

export { REDIS_ANSWER_MS, type PendingRuntime } from './redis-answer.ts';

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the daemon's HTTP surface (routes in app.ts) on server.listen, or on `opts`. Accepts a pending
 * runtime: the daemon starts its server before Redis is reachable, so /healthz answers from the start.
 */
export async function startAdminServer(source: Runtime | PendingRuntime, opts: { host?: string; port?: number } = {}): Promise<AdminServer> {
  const pending: PendingRuntime = 'ctx' in source ? { config: source.ctx.config, logger: source.ctx.logger, metrics: source.ctx.metrics, health: source.health, runtime: source } : source;
  const app = await buildApp(pending);
  const host = opts.host ?? pending.config.server.host;
  await app.listen({ host, port: opts.port ?? pending.config.server.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close: () => app.close() };
}
