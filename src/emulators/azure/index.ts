import { createServer } from 'node:https';
import { close, listen } from '../http.ts';
import { parseAzureInventory } from './inventory.ts';
import { createArmHandler } from './server.ts';
import { selfSignedFor, type TlsMaterial } from './tls.ts';

export { azureInventoryJsonSchema, azureInventorySchema, parseAzureInventory, type AzureInventory } from './inventory.ts';

export interface AzureFakeOptions {
  /** The whole inventory object, or just its azure section. */
  inventory: unknown;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Items per page of every listing (default 5, so paging is always exercised). */
  pageSize?: number;
  /** When set, the only bearer token accepted (401 InvalidAuthenticationToken otherwise). */
  token?: string;
  /** Certificate and key to serve; by default a fresh self-signed pair is made at start. */
  tls?: TlsMaterial;
}

export interface AzureFake {
  /** Base URL, e.g. https://127.0.0.1:PORT: the connector's `endpoint`. */
  url: string;
  /** The PEM certificate the fake serves, which a client must trust (the connector's `caFile`). */
  caPem: string;
  close(): Promise<void>;
  requestCount(): number;
}

/**
 * Starts the Azure Resource Manager fake over https (see tls.ts for why not http). The official
 * @azure/arm-network and @azure/arm-resources-subscriptions clients, unmodified, list through it.
 */
export async function startAzureFake(opts: AzureFakeOptions): Promise<AzureFake> {
  const inventory = parseAzureInventory(opts.inventory);
  const pageSize = opts.pageSize ?? 5;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new Error(`pageSize must be an integer in 1..1000, got ${String(opts.pageSize)}`);
  const host = opts.host ?? '127.0.0.1';
  const tls = opts.tls ?? (await selfSignedFor(host));
  const closing = new AbortController();
  let count = 0;
  let baseUrl = '';
  const server = createServer(
    { cert: tls.cert, key: tls.key },
    createArmHandler({ inventory, pageSize, token: opts.token, baseUrl: () => baseUrl, closing: closing.signal, onRequest: () => count++ }),
  );
  // A client that drops mid-handshake must not take the fake down.
  server.on('tlsClientError', () => {});
  const port = await listen(server, host, opts.port ?? 0);
  baseUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: baseUrl,
    caPem: tls.cert,
    requestCount: () => count,
    close: async () => {
      closing.abort();
      await close(server);
    },
  };
}
