import type { IncomingHttpHeaders } from 'node:http';
import { HTTP, ValidationError, type CloudEvent, type CloudEventV1 } from 'cloudevents';
import type { EventMeta, ParsedEvent } from './types.ts';
import {
  CHANGE_TYPE,
  changeHints,
  EVENT_GRID_VALIDATION,
  eventBridgeFromCe,
  eventGridFromCe,
  excerpt,
  isEventBridge,
  isEventGrid,
  isLogEntry,
  isObject,
  isOciEvent,
  isPubSubPush,
  ociFromCe,
  pubSubData,
  viaParser,
  type CeView,
  type EnvelopeParsers,
  type Json,
} from './webhook-envelopes.ts';

/** One event of a request, parsed (or why not), with what the sink logs about it. */
export interface Received {
  parsed: ParsedEvent;
  meta: EventMeta;
}

/** What a POST body asks of us. */
export type Delivery =
  | { kind: 'events'; events: Received[] }
  /** Event Grid's synchronous handshake: answer `{validationResponse: code}`. */
  | { kind: 'event-grid-validation'; code: string }
  /** OCI Notifications' HTTPS subscription confirmation: the URL to GET (when it is Oracle's). */
  | { kind: 'ons-confirmation'; url: string }
  /** Nothing in it can be read as events at all. 415 for an event format we do not speak (CloudEvents HTTP Web Hooks §2). */
  | { kind: 'malformed'; reason: string; status: 400 | 415 };

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const malformed = (reason: string, status: 400 | 415 = 400): Delivery => ({ kind: 'malformed', reason, status });

/** The media type without its parameters, lower case: `application/cloudevents+json; charset=UTF-8` → `application/cloudevents+json`. */
export const mediaType = (h: string | undefined) => (h ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * Reads a POST body into events. Order matters: OCI's confirmation is told by a header whatever the body;
 * CloudEvents by content type (structured, batched) or by `ce-id` + `ce-specversion` (binary), parsed by
 * the cloudevents SDK; everything else is JSON sniffed for a vendor's own envelope.
 */
export function readDelivery(headers: IncomingHttpHeaders, text: string, parsers: EnvelopeParsers): Delivery {
  const onsUrl = first(headers['x-oci-ns-confirmationurl']);
  if (onsUrl) return { kind: 'ons-confirmation', url: onsUrl };

  const type = mediaType(first(headers['content-type']));
  if (type === 'application/cloudevents-batch+json') return ceBatch(text, parsers);
  if (type === 'application/cloudevents+json') return ceStructuredText(text, parsers);
  if (type.startsWith('application/cloudevents')) return malformed(`unsupported CloudEvents format ${type} (only JSON: application/cloudevents+json, application/cloudevents-batch+json)`, 415);
  if (first(headers['ce-id']) !== undefined && first(headers['ce-specversion']) !== undefined) return { kind: 'events', events: [ceBinary(headers, text, parsers)] };

  if (text.trim() === '') return malformed('empty body');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return malformed('body is not JSON (and not a binary-mode CloudEvent: no ce-id and ce-specversion headers)');
  }
  return native(json, headers, parsers);
}

// ---- Vendor envelopes posted as plain JSON -----------------------------------------------------------

function native(json: unknown, headers: IncomingHttpHeaders, parsers: EnvelopeParsers): Delivery {
  if (Array.isArray(json)) {
    if (json.length === 0) return malformed('empty JSON array: no events');
    // Event Grid sends the validation event alone, in an array, before any delivery.
    const validation = json.find((e) => isObject(e) && e.eventType === EVENT_GRID_VALIDATION);
    if (validation !== undefined) return eventGridValidation(validation as Json);
    return { kind: 'events', events: json.map((e) => one(e, parsers)) };
  }
  if (isObject(json)) {
    if (typeof json.ConfirmationURL === 'string') return { kind: 'ons-confirmation', url: json.ConfirmationURL };
    if (json.eventType === EVENT_GRID_VALIDATION) return eventGridValidation(json);
    const received = one(json, parsers);
    // An ONS message carries its id and time in headers; the body is the bare OCI event.
    const onsId = first(headers['x-oci-ns-messageid']);
    const onsTime = Date.parse(first(headers['x-oci-ns-timestamp']) ?? '');
    if (onsId && received.meta.messageId === undefined) received.meta.messageId = onsId;
    if (Number.isFinite(onsTime) && received.meta.sentAt === undefined) received.meta.sentAt = onsTime;
    return { kind: 'events', events: [received] };
  }
  return { kind: 'events', events: [{ parsed: { ok: false, reason: `body is JSON ${json === null ? 'null' : typeof json}, not an event` }, meta: { raw: excerpt(json) } }] };
}

function eventGridValidation(e: Json): Delivery {
  const code = isObject(e.data) ? str(e.data.validationCode) : undefined;
  return code ? { kind: 'event-grid-validation', code } : malformed('Event Grid validation event without data.validationCode');
}

/** One element: whatever envelope it is, to its vendor's parser. */
function one(e: unknown, parsers: EnvelopeParsers): Received {
  const raw = excerpt(e);
  if (!isObject(e)) return { parsed: { ok: false, reason: 'event is not a JSON object' }, meta: { raw } };
  if ('specversion' in e) return ceStructured(e, parsers); // a CloudEvent sent as application/json: be lenient
  if (isPubSubPush(e)) return pubSubPush(e, parsers);
  const as = (vendor: 'aws' | 'azure' | 'gcp' | 'oci', id: unknown): Received => ({
    parsed: viaParser(vendor, parsers, e),
    meta: { ...(str(id) ? { messageId: str(id) } : {}), raw },
  });
  if (isEventBridge(e)) return as('aws', e.id);
  if (isOciEvent(e)) return as('oci', e.eventID);
  if (isEventGrid(e)) return as('azure', e.id);
  if (isLogEntry(e)) return as('gcp', e.insertId);
  return { parsed: { ok: false, reason: 'unknown event shape (not a CloudEvent, EventBridge, Event Grid, OCI event, Pub/Sub push or LogEntry)' }, meta: { raw } };
}

function pubSubPush(e: Json, parsers: EnvelopeParsers): Received {
  const d = pubSubData(e);
  const raw = excerpt(e);
  if (!d.ok) return { parsed: { ok: false, reason: d.reason }, meta: { raw } };
  const meta: EventMeta = { raw: excerpt(d.json), ...(d.messageId ? { messageId: d.messageId } : {}), ...(d.sentAt !== undefined ? { sentAt: d.sentAt } : {}) };
  return { parsed: viaParser('gcp', parsers, d.json), meta };
}

// ---- CloudEvents 1.0 through the SDK -----------------------------------------------------------------

const STRUCTURED = { 'content-type': 'application/cloudevents+json' };

function ceStructuredText(text: string, parsers: EnvelopeParsers): Delivery {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return malformed('structured CloudEvent body is not JSON');
  }
  if (!isObject(json)) return malformed('a structured CloudEvent is a JSON object (a list goes as application/cloudevents-batch+json)');
  return { kind: 'events', events: [ceStructured(json, parsers)] };
}

// One unreadable event in a batch must not refuse the others, so each element goes through the SDK on its own
// (its batch parser would throw for the whole array).
function ceBatch(text: string, parsers: EnvelopeParsers): Delivery {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return malformed('CloudEvents batch body is not JSON');
  }
  if (!Array.isArray(json)) return malformed('a CloudEvents batch is a JSON array');
  if (json.length === 0) return malformed('empty CloudEvents batch');
  return { kind: 'events', events: json.map((e) => (isObject(e) ? ceStructured(e, parsers) : { parsed: { ok: false, reason: 'batch element is not a JSON object' }, meta: { raw: excerpt(e) } })) };
}

function ceStructured(e: Json, parsers: EnvelopeParsers): Received {
  const raw = excerpt(e);
  // The SDK fills a missing id and time with a fresh uuid and "now": a sender's missing id is an error, and
  // "now" is not when the change happened.
  if (!str(e.id)) return { parsed: { ok: false, reason: 'CloudEvent without id' }, meta: { raw } };
  const ev = sdk(() => HTTP.toEvent({ headers: STRUCTURED, body: e }));
  if (typeof ev === 'string') return { parsed: { ok: false, reason: ev }, meta: { raw, messageId: str(e.id)! } };
  return fromCloudEvent(ev, str(e.time), parsers, raw);
}

function ceBinary(headers: IncomingHttpHeaders, text: string, parsers: EnvelopeParsers): Received {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const value = first(v);
    if (value !== undefined) flat[k] = value;
  }
  // Only the media type decides how data parses: the SDK looks parameters up literally (a charset spelt
  // another way would turn JSON data into a string).
  const type = mediaType(flat['content-type']);
  if (type) flat['content-type'] = type;
  else delete flat['content-type'];
  const raw = excerpt({ id: flat['ce-id'], type: flat['ce-type'], source: flat['ce-source'], data: text });
  const ev = sdk(() => HTTP.toEvent({ headers: flat, body: text }));
  if (typeof ev === 'string') return { parsed: { ok: false, reason: ev }, meta: { raw, messageId: flat['ce-id']! } };
  return fromCloudEvent(ev, flat['ce-time'], parsers, raw);
}

/** The SDK's event, validated against the CloudEvents schema, or why not. */
function sdk(make: () => CloudEventV1<unknown> | CloudEventV1<unknown>[]): CloudEventV1<unknown> | string {
  try {
    const ev = make();
    if (Array.isArray(ev)) return 'a batch where one CloudEvent was expected';
    if (ev.specversion !== '1.0' && ev.specversion !== '0.3') return `unsupported CloudEvents specversion ${JSON.stringify(ev.specversion)}`;
    (ev as CloudEvent<unknown>).validate(); // toEvent builds without validating
    return ev;
  } catch (err) {
    return `not a valid CloudEvent: ${problem(err)}`;
  }
}

function problem(err: unknown): string {
  if (err instanceof ValidationError && Array.isArray(err.errors) && err.errors.length > 0) {
    const e = err.errors[0] as unknown;
    if (isObject(e) && typeof e.message === 'string') return `${str(e.instancePath) ?? 'event'} ${e.message}`.slice(0, 200);
    return String(e).slice(0, 200);
  }
  if (err instanceof SyntaxError) return 'data is not JSON';
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
}

/** The data as JSON: the SDK leaves a string for some content types and bytes for data_base64. */
function dataOf(ev: CloudEventV1<unknown>): unknown {
  let d: unknown = ev.data;
  if (ArrayBuffer.isView(d)) d = Buffer.from(Uint8Array.from(d as unknown as ArrayLike<number>)).toString('utf8');
  if (typeof d === 'string') {
    try {
      return JSON.parse(d) as unknown;
    } catch {
      return d;
    }
  }
  return d;
}

const AUDIT_LOG = 'google.cloud.audit.log.v1.written';
const PUBSUB_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';

/** Routes a CloudEvent by type and source to the parser of the vendor that emits it. */
function fromCloudEvent(ev: CloudEventV1<unknown>, explicitTime: string | undefined, parsers: EnvelopeParsers, raw: string): Received {
  const attrs = ev as unknown as Record<string, unknown>;
  const view: CeView = { id: ev.id, type: ev.type, source: ev.source, subject: ev.subject, time: explicitTime, data: dataOf(ev), ext: (name) => str(attrs[name]) };
  const meta: EventMeta = { messageId: ev.id, raw };
  const time = explicitTime !== undefined && Number.isFinite(Date.parse(explicitTime)) ? Date.parse(explicitTime) : undefined;
  const { type, source } = view;

  if (type === CHANGE_TYPE) return { parsed: changeHints(view, time), meta };
  // Event Grid in CloudEvents schema (Microsoft.Resources.ResourceWriteSuccess, …).
  if (type.startsWith('Microsoft.')) return { parsed: viaParser('azure', parsers, eventGridFromCe(view)), meta };
  // Eventarc: an audit log entry; its data is the LogEntry a Logging sink would publish.
  if (type === AUDIT_LOG) return { parsed: viaParser('gcp', parsers, view.data), meta };
  if (type === PUBSUB_PUBLISHED && isObject(view.data) && isPubSubPush(view.data)) {
    const r = pubSubPush(view.data, parsers);
    return { parsed: r.parsed, meta: { ...r.meta, messageId: r.meta.messageId ?? ev.id } };
  }
  if (source.startsWith('aws.')) return { parsed: viaParser('aws', parsers, eventBridgeFromCe(view)), meta };
  if (type.startsWith('com.oraclecloud.')) return { parsed: viaParser('oci', parsers, ociFromCe(view)), meta };
  return { parsed: { ok: false, reason: `unknown CloudEvent type ${JSON.stringify(type).slice(0, 120)} (source ${JSON.stringify(source).slice(0, 120)})` }, meta };
}
