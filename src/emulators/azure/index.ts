import { createServer } from 'node:https';
import { close, listen } from '../../http/listen.ts';
import { watchInventoryFile, type InventoryWatch } from '../inventory-watch.ts';
import { armEventFor, inventoryChanges, openEventQueue, type AzureEventsOptions, type EventGridEvent, type EventQueue } from './events.ts';
import { parseAzureInventory, type AzureInventory } from './inventory.ts';
import { createArmHandler } from './server.ts';
import { selfSignedFor, type TlsMaterial } from './tls.ts';

export { azureInventorySchema, parseAzureInventory, type AzureInventory } from './inventory.ts';
export { azureInventoryJsonSchema } from './schema.ts';
export { ADMIN_INVENTORY_PATH } from './server.ts';
export type { AzureEventsOptions, DeliverySchema, EventGridEvent } from './events.ts';

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
  /** An inventory file to watch: each saved edit replaces the inventory, as setInventory does. */
  inventoryFile?: string;
  /** Where the fake's Event Grid delivers the events of each change (a queue on Azurite). None: changes raise no events. */
  events?: AzureEventsOptions;
  /** Called with the events of each change once they are queued (the demo prints them). */
  onEvents?: (events: readonly EventGridEvent[]) => void;
  /** A watched file that does not parse, or events that could not be queued. The fake keeps serving. */
  onError?: (err: Error) => void;
}

export interface AzureFake {
  /** Base URL, e.g. https://127.0.0.1:PORT: the connector's `endpoint`. */
  url: string;
  /** The PEM certificate the fake serves, which a client must trust (the connector's `caFile`). */
  caPem: string;
  close(): Promise<void>;
  requestCount(): number;
  /** Listings of public IP addresses started (first pages): one per discover of a subscription; all, or one subscription's. */
  listRequestCount(subscriptionId?: string): number;
  /**
   * Replaces the inventory (whole, or its azure section); the listing changes at once, then each difference
   * is queued as the event ARM raises for it. Resolves with the number of events; rejects on a bad
   * inventory (nothing changes) or with EventDeliveryError when the queue did not take them all.
   */
  setInventory(inventory: unknown): Promise<number>;
  /** Events queued so far. */
  eventsSent(): number;
}

/**
 * Starts the Azure Resource Manager fake over https (see tls.ts for why not http). The official
 * @azure/arm-network and @azure/arm-resources-subscriptions clients, unmodified, list through it.
 */
export async function startAzureFake(opts: AzureFakeOptions): Promise<AzureFake> {
  let inventory: AzureInventory = parseAzureInventory(opts.inventory);
  const pageSize = opts.pageSize ?? 5;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new Error(`pageSize must be an integer in 1..1000, got ${String(opts.pageSize)}`);
  const host = opts.host ?? '127.0.0.1';
  const tls = opts.tls ?? (await selfSignedFor(host));
  const queue: EventQueue | undefined = opts.events ? await openEventQueue(opts.events) : undefined;
  const closing = new AbortController();
  let count = 0;
  const lists = new Map<string, number>();
  let baseUrl = '';
  // One change at a time, in order: events of two edits never interleave, and each diff is against the last.
  let changes: Promise<unknown> = Promise.resolve();

  const setInventory = (input: unknown): Promise<number> => {
    const run = changes.then(async () => {
      const next = parseAzureInventory(input);
      const events = inventoryChanges(inventory, next).map((c) => armEventFor(c, baseUrl));
      // As at ARM, the change is visible before its event is delivered.
      inventory = next;
      if (queue && events.length > 0) {
        await queue.send(events);
        opts.onEvents?.(events);
      }
      return events.length;
    });
    changes = run.catch(() => {});
    return run;
  };

  const server = createServer(
    { cert: tls.cert, key: tls.key },
    createArmHandler({
      inventory: () => inventory,
      pageSize,
      token: opts.token,
      baseUrl: () => baseUrl,
      closing: closing.signal,
      onRequest: () => count++,
      onList: (sub) => lists.set(sub.toLowerCase(), (lists.get(sub.toLowerCase()) ?? 0) + 1),
      setInventory,
    }),
  );
  // A client that drops mid-handshake must not take the fake down.
  server.on('tlsClientError', () => {});
  const port = await listen(server, host, opts.port ?? 0);
  baseUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const onError = opts.onError ?? (() => {});
  const watch: InventoryWatch | undefined = opts.inventoryFile
    ? watchInventoryFile(opts.inventoryFile, (inv) => setInventory(inv).then(() => undefined, onError), onError)
    : undefined;
  return {
    url: baseUrl,
    caPem: tls.cert,
    requestCount: () => count,
    listRequestCount: (sub) => (sub === undefined ? [...lists.values()].reduce((a, n) => a + n, 0) : (lists.get(sub.toLowerCase()) ?? 0)),
    setInventory,
    eventsSent: () => queue?.sent() ?? 0,
    close: async () => {
      watch?.close();
      closing.abort();
      await changes;
      await close(server);
    },
  };
}
