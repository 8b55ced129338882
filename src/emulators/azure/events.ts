import { randomUUID } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import type { AzureInventory, InventoryPublicIp } from './inventory.ts';
import { DEFAULT_TENANT, publicIpId, publicIpToWire } from './wire.ts';

/**
 * The fake's Event Grid: each change between two inventories becomes the event ARM raises on a
 * `Microsoft.Resources.Subscriptions` system topic (https://learn.microsoft.com/azure/event-grid/event-schema-subscriptions),
 * written to a Storage queue the way Event Grid's Storage Queue handler writes it: one event per message,
 * Base64-encoded JSON (azure-sdk-for-js#6805, MicrosoftDocs/azure-docs#102923). Like ARM's, the events
 * carry no IP address and no region.
 */

export type DeliverySchema = 'EventGridSchema' | 'CloudEventSchemaV1_0';

export interface AzureEventsOptions {
  /** Connection string of the storage account (Azurite's, from startAzurite). */
  connectionString: string;
  /** Queue the events go to; created at start when missing. */
  queue: string;
  /** The event subscription's delivery schema (default EventGridSchema, Event Grid's default). */
  schema?: DeliverySchema;
  /** `plain` writes the JSON as is, as some non-Event Grid producers do (default base64, as Event Grid does). */
  encoding?: 'base64' | 'plain';
}

/** An Event Grid event in EventGridSchema; CloudEvents are made from it at send time. */
export interface EventGridEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: Record<string, unknown>;
  dataVersion: string;
  metadataVersion: string;
}

/** The API version ARM names in httpRequest.url for a Microsoft.Network write (what @azure/arm-network v39 sends). */
const NETWORK_API_VERSION = '2026-01-01';

type Change = { kind: 'write' | 'delete'; subscriptionId: string; tenantId: string; ip: Pick<InventoryPublicIp, 'resourceGroup' | 'name'> };

interface Indexed {
  id: string;
  tenantId: string;
  ips: Map<string, InventoryPublicIp>;
}

function index(inv: AzureInventory): Map<string, Indexed> {
  const out = new Map<string, Indexed>();
  for (const [id, sub] of Object.entries(inv.subscriptions)) {
    const ips = new Map<string, InventoryPublicIp>();
    // ARM ids are case-insensitive: a rename that only changes case is the same resource.
    for (const p of sub.publicIPAddresses ?? []) ips.set(`${p.resourceGroup}/${p.name}`.toLowerCase(), p);
    out.set(id.toLowerCase(), { id, tenantId: sub.tenantId ?? inv.tenantId ?? DEFAULT_TENANT, ips });
  }
  return out;
}

/** What ARM would have done to go from `before` to `after`: deletes first, then creates and updates. */
export function inventoryChanges(before: AzureInventory, after: AzureInventory): Change[] {
  const a = index(before);
  const b = index(after);
  const deletes: Change[] = [];
  const writes: Change[] = [];
  for (const [key, old] of a) {
    const now = b.get(key);
    for (const [ipKey, p] of old.ips) {
      if (!now?.ips.has(ipKey)) deletes.push({ kind: 'delete', subscriptionId: old.id, tenantId: old.tenantId, ip: p });
    }
  }
  for (const [key, now] of b) {
    const old = a.get(key);
    for (const [ipKey, p] of now.ips) {
      const prior = old?.ips.get(ipKey);
      // Compared as ARM would serve them: a change the SDK cannot see is no change.
      if (prior === undefined || JSON.stringify(publicIpToWire(now.id, prior)) !== JSON.stringify(publicIpToWire(now.id, p))) {
        writes.push({ kind: 'write', subscriptionId: now.id, tenantId: now.tenantId, ip: p });
      }
    }
  }
  return [...deletes, ...writes];
}

/** The ResourceWriteSuccess / ResourceDeleteSuccess event ARM raises for one change. */
export function armEventFor(change: Change, armBase: string, now = new Date()): EventGridEvent {
  const resourceUri = publicIpId(change.subscriptionId, change.ip);
  const operationName = `Microsoft.Network/publicIPAddresses/${change.kind}`;
  const tenant = change.tenantId;
  return {
    id: randomUUID(),
    topic: `/subscriptions/${change.subscriptionId}`,
    subject: resourceUri,
    eventType: change.kind === 'write' ? 'Microsoft.Resources.ResourceWriteSuccess' : 'Microsoft.Resources.ResourceDeleteSuccess',
    eventTime: now.toISOString(),
    data: {
      authorization: { scope: resourceUri, action: operationName, evidence: { role: 'Network Contributor', principalType: 'ServicePrincipal' } },
      // The caller's token claims, as ARM copies them in; a consumer must never need (or log) them.
      claims: {
        aud: 'https://management.azure.com/',
        iss: `https://sts.windows.net/${tenant}/`,
        appid: '00000000-0000-0000-0000-00000000fa4e',
        ipaddr: '127.0.0.1',
        'http://schemas.microsoft.com/identity/claims/tenantid': tenant,
      },
      correlationId: randomUUID(),
      httpRequest: {
        clientRequestId: randomUUID(),
        clientIpAddress: '127.0.0.1',
        method: change.kind === 'write' ? 'PUT' : 'DELETE',
        url: `${armBase}${resourceUri}?api-version=${NETWORK_API_VERSION}`,
      },
      resourceProvider: 'Microsoft.Network',
      resourceUri,
      operationName,
      status: 'Succeeded',
      subscriptionId: change.subscriptionId,
      tenantId: tenant,
    },
    dataVersion: '2',
    metadataVersion: '1',
  };
}

/** The same event in the CloudEvents 1.0 schema Event Grid delivers when the subscription asks for it. */
export function toCloudEvent(e: EventGridEvent): Record<string, unknown> {
  return { specversion: '1.0', id: e.id, source: e.topic, subject: e.subject, type: e.eventType, time: e.eventTime, data: e.data };
}

/** The inventory changed, but its events did not all reach the queue (the queue service is down). */
export class EventDeliveryError extends Error {}

const SEND_CONCURRENCY = 16;

export interface EventQueue {
  send(events: readonly EventGridEvent[]): Promise<void>;
  sent(): number;
}

/** Opens the destination queue (created when missing) with the official SDK. */
export async function openEventQueue(opts: AzureEventsOptions): Promise<EventQueue> {
  const client = new QueueClient(opts.connectionString, opts.queue, { retryOptions: { maxTries: 2, retryDelayInMs: 200 } });
  await client.createIfNotExists();
  let count = 0;
  return {
    async send(events) {
      // Several at a time, as Event Grid delivers (it promises no order,
      // https://learn.microsoft.com/azure/event-grid/delivery-and-retry): a burst reaches the queue as a burst.
      let done = 0;
      let next = 0;
      const worker = async () => {
        while (next < events.length) {
          const e = events[next++]!;
          const json = JSON.stringify(opts.schema === 'CloudEventSchemaV1_0' ? toCloudEvent(e) : e);
          await client.sendMessage(opts.encoding === 'plain' ? json : Buffer.from(json, 'utf8').toString('base64'));
          done++;
          count++;
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, events.length) }, worker));
      } catch (err) {
        throw new EventDeliveryError(`inventory applied, but ${events.length - done} of ${events.length} event(s) did not reach queue ${opts.queue}: ${(err as Error).message.split('\n')[0]}`);
      }
    },
    sent: () => count,
  };
}
