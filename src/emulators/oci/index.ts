import { createServer } from 'node:http';
import { close, listen } from '../../http/listen.ts';
import type { Inventory } from '../inventory.ts';
import { watchInventoryFile, type InventoryWatch } from '../inventory-watch.ts';
import { inventoryEvents } from './events.ts';
import { loadOciInventory } from './inventory.ts';
import { createHandler } from './server.ts';
import { OciStreaming, type StreamingOptions } from './streaming.ts';

export { loadOciInventory, OciInventoryError, ociInventorySchema, fingerprintOf } from './inventory.ts';
export { writeOciTestCredentials, type OciTestCredentials } from './credentials.ts';
export { inventoryEvents, type OciEvent } from './events.ts';
export { OciStreaming, STREAMING_OPERATIONS, type StreamingFault, type StreamingOperation, type StreamingOptions } from './streaming.ts';

export interface OciFake {
  /** Base URL; a client's endpoint is `${url}/<region>` (the connector's `endpoint: <url>/{region}`). */
  url: string;
  /** The Streaming messages endpoint (an `oci-streaming` StreamClient's `endpoint`): the base URL. */
  messagesEndpoint: string;
  /** The stream inventory changes are published to, as OCI Events rules with a Streaming action would. */
  streamId: string;
  streaming: OciStreaming;
  /** Replaces the inventory (whole, or its oci section) and publishes one event per difference; returns how many. */
  setInventory(inventory: unknown): number;
  close(): Promise<void>;
  requestCount(): number;
  /** Requests of one listing operation (`listPublicIps`…) so far. */
  operationCount(op: string): number;
  /** Most requests ever in progress at once (tests check a client's concurrency bound with it). */
  maxInFlight(): number;
}

export interface OciFakeOptions {
  inventory: unknown;
  host?: string;
  port?: number;
  pageSize?: number;
  /** Watched for edits: each new content is set as the inventory (a file that does not load is reported to onInventoryError, and the fake keeps what it had). */
  inventoryFile?: string;
  onInventoryError?: (err: Error) => void;
  /** The events stream (default ocid1.stream.oc1.<home region key>.fakeorsevents) and Streaming's limits. */
  events?: StreamingOptions & { streamId?: string };
}

/**
 * Starts the OCI API fake: `/<region>/20160918/…` JSON over http, seeded from the inventory's oci section
 * (the whole inventory object or the section alone), and OCI Streaming's messages API at `/20180418/…`
 * with one stream that receives an OCI Events envelope for each change of the inventory. Throws
 * OciInventoryError, naming the path, on a bad inventory. Small pages by default (5) so every client
 * follows `opc-next-page`.
 */
export async function startOciFake(opts: OciFakeOptions): Promise<OciFake> {
  const state = { world: loadOciInventory(opts.inventory) };
  const pageSize = opts.pageSize ?? 5;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new RangeError('pageSize must be an integer from 1 to 1000');
  const streaming = new OciStreaming(opts.events);
  const homeKey = state.world.regions.get(state.world.homeRegion)?.key ?? 'iad';
  const streamId = opts.events?.streamId ?? `ocid1.stream.oc1.${homeKey}.fakeorsevents`;
  streaming.createStream(streamId, 'ors-events');

  const setInventory = (inventory: unknown): number => {
    const next = loadOciInventory(inventory);
    const events = inventoryEvents(state.world, next);
    state.world = next;
    // Keyed by resource, as a producer would: the events of one resource stay in order on one partition.
    if (events.length > 0) streaming.put(streamId, events.map((e) => ({ key: Buffer.from(e.data.resourceId), value: Buffer.from(JSON.stringify(e)) })));
    return events.length;
  };

  const handler = createHandler(state, pageSize, { streaming, setInventory });
  const server = createServer((req, res) => void handler.handle(req, res));
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, host, opts.port ?? 0);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  const onError = opts.onInventoryError ?? ((err: Error) => process.stderr.write(`oci fake: inventory not reloaded: ${err.message}\n`));
  const watch: InventoryWatch | undefined =
    opts.inventoryFile === undefined
      ? undefined
      : watchInventoryFile(
          opts.inventoryFile,
          (inventory: Inventory) => {
            setInventory(inventory);
          },
          onError,
        );
  return {
    url,
    messagesEndpoint: url,
    streamId,
    streaming,
    setInventory,
    close: async () => {
      watch?.close();
      await close(server);
    },
    requestCount: handler.requestCount,
    operationCount: handler.operationCount,
    maxInFlight: handler.maxInFlight,
  };
}
