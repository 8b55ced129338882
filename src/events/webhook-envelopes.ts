import { z } from 'zod';
import { VENDORS, type Vendor } from '../model/index.ts';
import type { ChangeHint, ParsedEvent } from './types.ts';

/**
 * The vendors' envelope parsers (connectors/<vendor>/envelope.ts `parseEvent`), injected. Each takes its
 * vendor's native event JSON, exactly as that vendor's queue would deliver it: an EventBridge event, an
 * Event Grid event (EventGridSchema), a Cloud Logging LogEntry, an OCI Events envelope (CloudEvents 0.1).
 * The webhook turns every other wrapping (CloudEvents 1.0, Pub/Sub push) back into that native shape, so a
 * parser never needs to know it was reached over HTTP.
 */
export type EnvelopeParsers = Partial<Record<Vendor, (json: unknown) => ParsedEvent>>;

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const EXCERPT = 2048;

/** A bounded excerpt for EventMeta.raw: the sink logs it for a malformed message, and a body may be a MiB. */
export function excerpt(v: unknown): string {
  let text: string;
  try {
    text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  } catch {
    text = String(v);
  }
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
}

/** A vendor parser's verdict; nothing it throws escapes (a parser bug must not turn into a 500 and a retry loop). */
export function viaParser(vendor: Vendor, parsers: EnvelopeParsers, json: unknown): ParsedEvent {
  const parse = parsers[vendor];
  if (!parse) return { ok: false, reason: `${vendor} events are not understood here (no ${vendor} envelope parser)` };
  try {
    return parse(json);
  } catch (err) {
    return { ok: false, reason: `${vendor} envelope: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300) };
  }
}

// ---- Vendor-native shapes, as each vendor documents its own delivery -------------------------------

/** EventBridge event, as a rule target or an API destination POSTs it: `{version, id, detail-type, source, account, time, region, resources, detail}`. */
export const isEventBridge = (o: Json) => typeof o['detail-type'] === 'string' && typeof o.source === 'string';

/** OCI Events envelope (CloudEvents 0.1: `eventType`, `cloudEventsVersion`, `eventID`, `data`), also the body of an ONS HTTPS message. */
export const isOciEvent = (o: Json) => typeof o.eventType === 'string' && typeof o.cloudEventsVersion === 'string';

/** Event Grid event (EventGridSchema): `{id, topic, subject, eventType, eventTime, data, dataVersion, metadataVersion}`. */
export const isEventGrid = (o: Json) => typeof o.eventType === 'string' && !('cloudEventsVersion' in o) && ('subject' in o || 'topic' in o || 'metadataVersion' in o);

export const EVENT_GRID_VALIDATION = 'Microsoft.EventGrid.SubscriptionValidationEvent';

/** Pub/Sub push, wrapped (the default): `{message: {data: base64, messageId, publishTime, attributes}, subscription}`. */
export const isPubSubPush = (o: Json) => isObject(o.message) && ('data' in o.message || 'messageId' in o.message || 'message_id' in o.message);

/** A Cloud Logging LogEntry as Pub/Sub push delivers it unwrapped (the payload is the message data itself). */
export const isLogEntry = (o: Json) => typeof o.logName === 'string' && (isObject(o.protoPayload) || isObject(o.resource));

/** The JSON a Pub/Sub message carries (a LogEntry from a Logging sink), decoded from the push wrapper. */
export function pubSubData(o: Json): { ok: true; json: unknown; messageId?: string; sentAt?: number } | { ok: false; reason: string } {
  const m = o.message as Json;
  const messageId = str(m.messageId) ?? str(m.message_id);
  const published = Date.parse(str(m.publishTime) ?? str(m.publish_time) ?? '');
  const meta = { ...(messageId ? { messageId } : {}), ...(Number.isFinite(published) ? { sentAt: published } : {}) };
  if (typeof m.data !== 'string' || m.data === '') return { ok: false, reason: 'Pub/Sub push message without data' };
  const text = Buffer.from(m.data, 'base64').toString('utf8');
  try {
    return { ok: true, json: JSON.parse(text) as unknown, ...meta };
  } catch {
    return { ok: false, reason: 'Pub/Sub message data is not base64 of JSON' };
  }
}

// ---- CloudEvents 1.0 back to the native shape --------------------------------------------------------

/** The attributes the routing reads from a CloudEvent (the SDK's CloudEventV1, extensions included). */
export interface CeView {
  id: string;
  type: string;
  source: string;
  subject?: string | undefined;
  time?: string | undefined;
  data: unknown;
  ext: (name: string) => string | undefined;
}

/** Event Grid's documented CloudEvents mapping, reversed: source = topic, type = eventType, time = eventTime (learn.microsoft.com/azure/event-grid/cloud-event-schema). */
export function eventGridFromCe(ce: CeView): Json {
  return {
    id: ce.id,
    topic: ce.source,
    subject: ce.subject ?? '',
    eventType: ce.type,
    eventTime: ce.time,
    data: ce.data,
    dataVersion: ce.ext('dataversion') ?? '',
    metadataVersion: '1',
  };
}

/** An AWS event as CloudEvent: the data is either the whole EventBridge event, or its `detail` (attributes from the CE). */
export function eventBridgeFromCe(ce: CeView): Json {
  if (isObject(ce.data) && isEventBridge(ce.data)) return ce.data;
  return {
    version: '0',
    id: ce.id,
    'detail-type': ce.ext('detailtype') ?? ce.type,
    source: ce.source,
    account: ce.ext('account') ?? '',
    time: ce.time,
    region: ce.ext('region') ?? '',
    resources: [],
    detail: ce.data ?? {},
  };
}

/** An OCI event as CloudEvent 1.0: back to the OCI Events envelope (docs.oracle.com/iaas/Content/Events/Reference/eventenvelopereference.htm). */
export function ociFromCe(ce: CeView): Json {
  if (isObject(ce.data) && isOciEvent(ce.data)) return ce.data;
  const compartmentId = ce.ext('compartmentid') ?? (isObject(ce.data) ? str(ce.data.compartmentId) : undefined);
  return {
    eventType: ce.type,
    cloudEventsVersion: '0.1',
    eventTypeVersion: ce.ext('eventtypeversion') ?? '2.0',
    source: ce.source,
    eventTime: ce.time,
    contentType: 'application/json',
    eventID: ce.id,
    extensions: compartmentId ? { compartmentId } : {},
    data: ce.data,
  };
}

// ---- Our own CloudEvent: a change hint anyone may send -------------------------------------------------

export const CHANGE_TYPE = 'com.origin-region-sync.change';

const text = (max: number) => z.string().min(1).max(max);
// Strict: a misspelt `regoin` must be refused, not read as "every region".
const hintSchema = z.strictObject({
  vendor: z.enum(VENDORS),
  account: text(256).optional(),
  region: text(64).optional(),
  connector: text(128).optional(),
  resource: text(2048).optional(),
  action: text(256).optional(),
});
const hintListSchema = z.array(hintSchema).min(1).max(1000);

/** The data of a `com.origin-region-sync.change` CloudEvent: one ChangeHint or a list of them. */
export function changeHints(ce: CeView, time: number | undefined): ParsedEvent {
  // One schema or the other, not a union: a union's error says only "Invalid input".
  const r = Array.isArray(ce.data) ? hintListSchema.safeParse(ce.data) : hintSchema.safeParse(ce.data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length > 0 ? `data.${issue.path.join('.')}` : 'data';
    return { ok: false, reason: `${CHANGE_TYPE}: ${where}: ${issue.message}`.slice(0, 300) };
  }
  const list: ChangeHint[] = (Array.isArray(r.data) ? r.data : [r.data]).map((h) => ({ ...h }));
  return { ok: true, id: ce.id, ...(time !== undefined ? { time } : {}), hints: list };
}
