import { createServer } from 'node:http';
import { load } from 'js-yaml';
import { close, listen } from '../../http/listen.ts';
import { watchInventoryFile, type InventoryWatch } from '../inventory-watch.ts';
import { auditEntries, DEFAULT_EVENTS_SUBSCRIPTION, DEFAULT_EVENTS_TOPIC, describeChange, inventoryChanges, sinkMessage } from './events.ts';
import { GcpInventoryError, parseGcpInventory, type GcpInventory, type ListKind } from './inventory.ts';
import { startPubsubEmulator, type PubsubEmulator } from './pubsub.ts';
import { buildState, handle, serveInventory, type AdminHandler } from './server.ts';

export { GcpInventoryError, parseGcpInventory } from './inventory.ts';

export interface GcpFakeEventsOptions {
  /** Default projects/ors-fake/topics/ors-events. */
  topic?: string;
  /** A pull subscription on the topic, created at start. Default projects/ors-fake/subscriptions/ors-events. */
  subscription?: string;
  /** Port of the Pub/Sub emulator (default: a free one). */
  port?: number;
}

export interface GcpFake {
  url: string;
  close(): Promise<void>;
  requestCount(): number;
  /** Aggregated-list requests served (one list, or all three). */
  listRequests(list?: ListKind): number;
  /**
   * Serves a new inventory from now on and, with events on, publishes what Compute would have logged for
   * the difference. Returns one line per compute call. Throws GcpInventoryError for an invalid inventory
   * (and keeps serving the old one).
   */
  setInventory(inventory: unknown): string[];
  /** With events on: publishes `data` as is to the events topic (malformed-message tests). Returns the message id. */
  publishRaw(data: string | Buffer, attributes?: Record<string, string>): string;
  /** With events on: the Pub/Sub emulator's host:port (PUBSUB_EMULATOR_HOST), topic and subscription. */
  readonly pubsubHost?: string;
  readonly events?: { topic: string; subscription: string };
  readonly pubsub?: PubsubEmulator;
}

export interface GcpFakeOptions {
  inventory: unknown;
  host?: string;
  port?: number;
  pageSize?: number;
  /** Watched: each saved edit becomes setInventory (a file that does not parse is reported and ignored). */
  inventoryFile?: string;
  /** A Pub/Sub emulator beside the compute API, fed with the audit entries of every inventory change. */
  events?: GcpFakeEventsOptions | boolean;
  onChange?: (changes: string[]) => void;
  onError?: (err: Error) => void;
}

// The Publish limit (1000 messages per request): a large change goes out in several publishes.
const PUBLISH_BATCH = 1000;

/**
 * A compute REST/JSON fake that the official @google-cloud/compute client lists through, unmodified:
 * `GET /compute/v1/projects/{project}/aggregated/{addresses,instances,forwardingRules}` with
 * maxResults / pageToken → nextPageToken paging. Plain http (the client takes `protocol: 'http'`).
 * `pageSize` (default 5) caps every page whatever maxResults asks, so paging is always exercised.
 * With `events`, a Pub/Sub emulator (gRPC) receives, for every inventory change, the Admin Activity audit
 * entries Compute would log, as a Logging sink exports them. Admin routes: `PUT /_admin/inventory` (the
 * inventory as JSON or YAML, whole file or gcp section), `POST /_admin/pubsub/publish` (raw message data).
 * Throws GcpInventoryError, naming each bad path, when the inventory is invalid.
 */
export async function startGcpFake(opts: GcpFakeOptions): Promise<GcpFake> {
  let inventory: GcpInventory = parseGcpInventory(opts.inventory);
  const pageSize = opts.pageSize ?? 5;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) throw new RangeError(`pageSize must be an integer from 1 to 500, got ${pageSize}`);
  const host = opts.host ?? '127.0.0.1';
  const closing = new AbortController();
  const state = buildState(inventory, pageSize, closing.signal);

  let pubsub: PubsubEmulator | undefined;
  let events: { topic: string; subscription: string } | undefined;
  if (opts.events) {
    const o = opts.events === true ? {} : opts.events;
    events = { topic: o.topic ?? DEFAULT_EVENTS_TOPIC, subscription: o.subscription ?? DEFAULT_EVENTS_SUBSCRIPTION };
    pubsub = await startPubsubEmulator({ host, port: o.port });
    try {
      pubsub.createTopic(events.topic);
      pubsub.createSubscription(events.subscription, events.topic);
    } catch (e) {
      await pubsub.close();
      throw e;
    }
  }

  const publish = (messages: { data: string | Buffer; attributes?: Record<string, string> }[]): string[] => {
    if (!pubsub || !events) return [];
    const ids: string[] = [];
    for (let i = 0; i < messages.length; i += PUBLISH_BATCH) ids.push(...pubsub.publish(events.topic, messages.slice(i, i + PUBLISH_BATCH)));
    return ids;
  };

  const setInventory = (input: unknown): string[] => {
    const next = parseGcpInventory(input);
    const changes = inventoryChanges(inventory, next);
    // Served first, published second: whoever reacts to the event lists the new state.
    inventory = next;
    state.projects = serveInventory(next);
    const now = Date.now();
    publish(changes.flatMap((ch) => auditEntries(ch, now).map(sinkMessage)));
    const lines = changes.map(describeChange);
    if (lines.length > 0) opts.onChange?.(lines);
    return lines;
  };

  const publishRaw = (data: string | Buffer, attributes?: Record<string, string>): string => {
    if (!pubsub) throw new Error('the GCP fake was started without events: nothing to publish to');
    return publish([{ data, attributes }])[0] as string;
  };

  const admin: AdminHandler = async (method, path, body) => {
    const error = (status: number, message: string) => ({ status, body: { error: { code: status, message } } });
    if (path === '/_admin/inventory') {
      if (method !== 'PUT') return error(405, 'PUT the inventory (JSON or YAML)');
      let doc: unknown;
      try {
        doc = load(body);
      } catch (e) {
        return error(400, `not JSON or YAML: ${(e as Error).message.split('\n')[0]}`);
      }
      try {
        return { status: 200, body: { changes: setInventory(doc) } };
      } catch (e) {
        if (e instanceof GcpInventoryError) return { status: 400, body: { error: { code: 400, message: e.message, issues: e.issues } } };
        throw e;
      }
    }
    if (path === '/_admin/pubsub/publish') {
      if (method !== 'POST') return error(405, 'POST the raw message data');
      if (!pubsub) return error(409, 'the GCP fake was started without events');
      try {
        return { status: 200, body: { messageIds: [publishRaw(body)] } };
      } catch (e) {
        return error(400, (e as Error).message);
      }
    }
    return error(404, `no admin route ${path} (PUT /_admin/inventory, POST /_admin/pubsub/publish)`);
  };
  state.admin = admin;

  let watch: InventoryWatch | undefined;
  if (opts.inventoryFile) {
    watch = watchInventoryFile(
      opts.inventoryFile,
      // An invalid gcp section throws: watchFile hands that to onError, and the old inventory stays.
      (inv) => {
        setInventory(inv);
      },
      (err) => opts.onError?.(err),
    );
  }

  // handle() answers every failure itself; the catch only guards against a bug there taking the process down.
  const server = createServer((req, res) => void handle(state, req, res).catch(() => res.destroy()));
  let port: number;
  try {
    port = await listen(server, host, opts.port ?? 0);
  } catch (e) {
    watch?.close();
    await pubsub?.close();
    throw e;
  }
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    requestCount: () => state.requests,
    listRequests: (list) => (list ? state.listRequests[list] : state.listRequests.addresses + state.listRequests.instances + state.listRequests.forwardingRules),
    setInventory,
    publishRaw,
    pubsubHost: pubsub?.host,
    events,
    pubsub,
    close: async () => {
      watch?.close();
      closing.abort();
      await Promise.all([close(server), pubsub?.close()]);
    },
  };
}
