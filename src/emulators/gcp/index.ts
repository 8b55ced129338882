import { createServer } from 'node:http';
import { close, listen } from '../http.ts';
import { parseGcpInventory } from './inventory.ts';
import { buildState, handle } from './server.ts';

export { GcpInventoryError, parseGcpInventory } from './inventory.ts';

export interface GcpFake {
  url: string;
  close(): Promise<void>;
  requestCount(): number;
}

/**
 * A compute REST/JSON fake that the official @google-cloud/compute client lists through, unmodified:
 * `GET /compute/v1/projects/{project}/aggregated/{addresses,instances,forwardingRules}` with
 * maxResults / pageToken → nextPageToken paging. Plain http (the client takes `protocol: 'http'`).
 * `pageSize` (default 5) caps every page whatever maxResults asks, so paging is always exercised.
 * Throws GcpInventoryError, naming each bad path, when the inventory is invalid.
 */
export async function startGcpFake(opts: { inventory: unknown; host?: string; port?: number; pageSize?: number }): Promise<GcpFake> {
  const inventory = parseGcpInventory(opts.inventory);
  const pageSize = opts.pageSize ?? 5;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) throw new RangeError(`pageSize must be an integer from 1 to 500, got ${pageSize}`);
  const host = opts.host ?? '127.0.0.1';
  const closing = new AbortController();
  const state = buildState(inventory, pageSize, closing.signal);
  // handle() answers every failure itself; the catch only guards against a bug there taking the process down.
  const server = createServer((req, res) => void handle(state, req, res).catch(() => res.destroy()));
  const port = await listen(server, host, opts.port ?? 0);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    requestCount: () => state.requests,
    close: async () => {
      closing.abort();
      await close(server);
    },
  };
}
