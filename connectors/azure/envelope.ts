import type { ChangeHint, ParsedEvent } from '../../src/events/types.ts';

/**
 * Azure Resource Manager events as Event Grid delivers them from a `Microsoft.Resources.Subscriptions`
 * system topic, in either delivery schema of the event subscription:
 *
 * - EventGridSchema: `{id, topic, subject, eventType, eventTime, data, dataVersion, metadataVersion}`
 *   (https://learn.microsoft.com/azure/event-grid/event-schema-subscriptions);
 * - CloudEventSchemaV1_0: `{specversion: "1.0", id, source, subject, type, time, data}`, with `source` the
 *   topic and `type` the event type (https://learn.microsoft.com/azure/event-grid/cloud-event-schema).
 *
 * `data` is ResourceWriteSuccessEventData and its siblings
 * (https://learn.microsoft.com/javascript/api/@azure/eventgrid/resourcewritesuccesseventdata):
 * `operationName`, `resourceUri`, `resourceProvider`, `status`, `subscriptionId`, `tenantId`, and the
 * caller's `claims` and `httpRequest`, which are never copied into a hint (they name people and their IPs).
 * An ARM event carries no IP address and no region: the hint is the subscription, which is the azure
 * connector's scope, and the resource only for the logs.
 */

const RESOURCES = 'microsoft.resources.';
/** Event Grid's ARM events that follow a change that happened; *Failure and *Cancel changed nothing. */
const SUCCESS = new Set(['microsoft.resources.resourcewritesuccess', 'microsoft.resources.resourcedeletesuccess', 'microsoft.resources.resourceactionsuccess']);

/**
 * Resource types whose changes can add, remove or re-home a public address the connector lists
 * (`publicIPAddresses.listAll`): the address itself; the NIC or load balancer frontend that binds it (a
 * Dynamic address is allocated when bound and running); a VM, whose deallocation releases a Dynamic
 * address and whose start allocates a new one. NAT gateways are left out: a gateway's addresses are
 * publicIPAddresses resources whose own writes arrive, and a gateway change alters no address or location.
 */
const VM = 'microsoft.compute/virtualmachines';
const TYPES = ['microsoft.network/publicipaddresses', 'microsoft.network/networkinterfaces', 'microsoft.network/loadbalancers', VM];

/**
 * Deleting a resource group deletes every address in it; ARM reports that as one delete of the group,
 * not one per resource, so the group's delete is a hint of its own.
 */
const RESOURCE_GROUP = 'microsoft.resources/subscriptions/resourcegroups';

/** VM actions that allocate or release a Dynamic address; restart, capture, runCommand… change none. */
const VM_ACTIONS = new Set(['start', 'deallocate', 'redeploy', 'reapply']);
/** Network actions that only read (list keys, effective routes, DDoS status): the rest may change an address. */
const READ_ONLY_ACTION = /^(list|get|read|effective|ddosprotectionstatus)/i;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SUBSCRIPTION_IN_PATH = /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/|$)/i;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Json, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The envelope, whichever schema it came in: the fields both schemas share, under one set of names. */
interface Envelope {
  id: string;
  type: string;
  topic: string | undefined;
  subject: string | undefined;
  time: string | undefined;
  data: unknown;
}

function envelopeOf(event: Json): Envelope | string {
  const cloudEvent = 'specversion' in event;
  if (cloudEvent && event['specversion'] !== '1.0') return `CloudEvents specversion ${JSON.stringify(event['specversion'])} (only 1.0 is defined)`;
  const id = str(event, 'id');
  const type = str(event, cloudEvent ? 'type' : 'eventType');
  if (id === undefined) return 'no id';
  if (type === undefined) return cloudEvent ? 'no type' : 'no eventType (neither an Event Grid event nor a CloudEvent)';
  let data: unknown = event['data'];
  // A CloudEvent's JSON data may arrive as a JSON string (datacontenttype application/json, producer's choice).
  if (cloudEvent && typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return 'data is a string that is not JSON';
    }
  }
  return { id, type, topic: str(event, cloudEvent ? 'source' : 'topic'), subject: str(event, 'subject'), time: str(event, cloudEvent ? 'time' : 'eventTime'), data };
}

/** `Microsoft.Network/publicIPAddresses/write` → type `microsoft.network/publicipaddresses`, verb `write`. */
function splitOperation(operation: string): { type: string; verb: string } {
  const parts = operation.toLowerCase().split('/');
  if (parts.at(-1) === 'action' && parts.length >= 3) return { type: parts.slice(0, -2).join('/'), verb: `${parts.at(-2) ?? ''}/action` };
  return { type: parts.slice(0, -1).join('/'), verb: parts.at(-1) ?? '' };
}

/** `/subscriptions/…/providers/Microsoft.Network/publicIPAddresses/pip1` → `microsoft.network/publicipaddresses`. */
function typeOfResource(uri: string): string | undefined {
  const m = /\/providers\/([^/]+)\/([^/]+)/i.exec(uri);
  return m ? `${m[1]}/${m[2]}`.toLowerCase() : undefined;
}

function changesAddresses(type: string, verb: string): boolean {
  if (type === RESOURCE_GROUP) return verb === 'delete';
  const known = TYPES.find((t) => type === t || type.startsWith(`${t}/`));
  if (known === undefined) return false;
  const action = verb.endsWith('/action') ? verb.slice(0, -'/action'.length) : undefined;
  // A VM's children (extensions, run commands) hold no address; a load balancer's frontends and a NIC's
  // IP configurations are where addresses are bound.
  if (known === VM) return type === VM && (action === undefined ? verb === 'write' || verb === 'delete' : VM_ACTIONS.has(action));
  if (action === undefined) return verb === 'write' || verb === 'delete';
  return !READ_ONLY_ACTION.test(action);
}

function subscriptionOf(data: Json, ...paths: Array<string | undefined>): string | undefined {
  const fromData = str(data, 'subscriptionId');
  if (fromData !== undefined && GUID.test(fromData)) return fromData.toLowerCase();
  for (const p of paths) {
    const m = p === undefined ? null : SUBSCRIPTION_IN_PATH.exec(p);
    if (m?.[1]) return m[1].toLowerCase();
  }
  return undefined;
}

/** Parses one Event Grid event (EventGridSchema or CloudEvents 1.0). Never throws. */
export function parseEvent(json: unknown): ParsedEvent {
  if (Array.isArray(json)) return { ok: false, reason: `an array of ${json.length} event(s); one event per message is expected (Event Grid writes one per queue message)` };
  if (!isObject(json)) return { ok: false, reason: `not an event object (${json === null ? 'null' : typeof json})` };
  const env = envelopeOf(json);
  if (typeof env === 'string') return { ok: false, reason: env };
  let time: number | undefined;
  if (env.time !== undefined) {
    time = Date.parse(env.time);
    if (Number.isNaN(time)) return { ok: false, reason: `time ${JSON.stringify(env.time.slice(0, 40))} is not a timestamp` };
  }
  const base = { ok: true as const, id: env.id, ...(time === undefined ? {} : { time }) };
  const type = env.type.toLowerCase();
  // Another topic's event (a storage account's, a validation handshake…) is well formed, but not ours.
  if (!type.startsWith(RESOURCES)) return { ...base, hints: [] };
  if (!isObject(env.data)) return { ok: false, reason: `${env.type} without a data object` };
  const data = env.data;
  if (!SUCCESS.has(type)) return { ...base, hints: [] };
  const status = str(data, 'status');
  if (status !== undefined && status.toLowerCase() !== 'succeeded') return { ...base, hints: [] };

  const resourceUri = str(data, 'resourceUri') ?? env.subject;
  const operation = str(data, 'operationName');
  let resourceType: string | undefined;
  let verb: string;
  if (operation !== undefined) {
    ({ type: resourceType, verb } = splitOperation(operation));
  } else {
    // No operationName (a producer that leaves it out): the event type says which kind of change it was.
    resourceType = resourceUri === undefined ? undefined : typeOfResource(resourceUri);
    verb = type.endsWith('deletesuccess') ? 'delete' : type.endsWith('writesuccess') ? 'write' : '';
  }
  if (resourceType === undefined || !changesAddresses(resourceType, verb)) return { ...base, hints: [] };

  const account = subscriptionOf(data, env.topic, resourceUri, env.subject);
  if (account === undefined) return { ok: false, reason: `${env.type} for ${operation ?? resourceType} names no subscription (data.subscriptionId, topic, subject)` };
  const hint: ChangeHint = { vendor: 'azure', account };
  if (resourceUri !== undefined) hint.resource = resourceUri;
  hint.action = operation ?? `${resourceType}/${verb}`;
  return { ...base, hints: [hint] };
}
