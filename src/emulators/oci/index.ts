import { createServer } from 'node:http';
import { close, listen } from '../http.ts';
import { loadOciInventory } from './inventory.ts';
import { createHandler } from './server.ts';

export { loadOciInventory, OciInventoryError, ociInventorySchema, fingerprintOf } from './inventory.ts';
export { writeOciTestCredentials, type OciTestCredentials } from './credentials.ts';

export interface OciFake {
  /** Base URL; a client's endpoint is `${url}/<region>` (the connector's `endpoint: <url>/{region}`). */
  url: string;
  close(): Promise<void>;
  requestCount(): number;
  /** Most requests ever in progress at once (tests check a client's concurrency bound with it). */
  maxInFlight(): number;
}

/**
 * Starts the OCI API fake: `/<region>/20160918/…` JSON over http, seeded from the inventory's oci section
 * (the whole inventory object or the section alone). Throws OciInventoryError, naming the path, on a bad
 * inventory. Small pages by default (5) so every client follows `opc-next-page`.
 */
export async function startOciFake(opts: { inventory: unknown; host?: string; port?: number; pageSize?: number }): Promise<OciFake> {
  const world = loadOciInventory(opts.inventory);
  const pageSize = opts.pageSize ?? 5;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new RangeError('pageSize must be an integer from 1 to 1000');
  const handler = createHandler(world, pageSize);
  const server = createServer((req, res) => void handler.handle(req, res));
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, host, opts.port ?? 0);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shownHost}:${port}`, close: () => close(server), requestCount: handler.requestCount, maxInFlight: handler.maxInFlight };
}
