import type { ChangeHint, ParsedEvent } from '../../src/events/types.ts';
import { PROJECT_ID } from './config.ts';
import { zoneRegion } from './locations.ts';

/*
 * A Cloud Audit Log entry of compute.googleapis.com, as a Logging sink publishes it to Pub/Sub (the
 * message data is the LogEntry JSON), or as Eventarc delivers it (a CloudEvent whose `data` is that
 * LogEntry). Shapes: https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry and
 * https://cloud.google.com/logging/docs/reference/audit/auditlog/rest/Shared.Types/AuditLog ; which
 * compute methods are audited: https://cloud.google.com/compute/docs/logging/audit-logging .
 */

const AUDIT_LOG = 'type.googleapis.com/google.cloud.audit.AuditLog';
const COMPUTE = 'compute.googleapis.com';
// Eventarc: a direct audit-log trigger, or a trigger on the sink's topic (the LogEntry is then base64 in data.message.data).
const CE_AUDIT = 'google.cloud.audit.log.v1.written';
const CE_PUBSUB = 'google.cloud.pubsub.topic.v1.messagePublished';

const ADDRESS_VERBS = new Set(['insert', 'delete', 'setLabels', 'move']);
const RULE_VERBS = new Set(['insert', 'delete', 'setTarget', 'setLabels', 'patch']);

/**
 * The compute methods that can change which public IPs a project has, where, or whether a connector's
 * label filter selects them. Anything else compute logs (firewalls, disks, get/list in data-access logs)
 * is a well-formed event that changes nothing we discover.
 */
const RELEVANT: Readonly<Record<string, ReadonlySet<string>>> = {
  addresses: ADDRESS_VERBS,
  globalAddresses: ADDRESS_VERBS,
  instances: new Set([
    'insert',
    'bulkInsert',
    'delete',
    'start',
    'startWithEncryptionKey',
    'stop',
    'suspend',
    'resume',
    'addAccessConfig',
    'deleteAccessConfig',
    'updateAccessConfig',
    'updateNetworkInterface',
    'setLabels',
  ]),
  regionInstances: new Set(['bulkInsert']),
  forwardingRules: RULE_VERBS,
  globalForwardingRules: RULE_VERBS,
};

// `v1.compute.addresses.insert`, `beta.compute…`, `alpha.compute…`, and the unversioned `compute.…` older entries carry.
const METHOD = /^(?:(?:v\d+|beta|alpha)\.)?compute\.([A-Za-z]+)\.([A-Za-z]+)$/;
const REGION = /^[a-z]+-[a-z]+\d+$/;
const MAX_FIELD = 300;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const bounded = (s: string): string => (s.length > MAX_FIELD ? `${s.slice(0, MAX_FIELD)}…` : s);

/**
 * A compute audit log entry → the project (and region) whose scopes should be rediscovered now.
 * Accepts the LogEntry itself (object or JSON text), or a CloudEvent (structured mode) carrying it.
 * Never throws: anything that is not a LogEntry comes back `ok: false` with the reason.
 */
export function parseEvent(json: unknown): ParsedEvent {
  try {
    return parse(json);
  } catch (e) {
    // Defensive only: parse() checks every field it reads.
    return { ok: false, reason: `unreadable event: ${(e as Error).message.slice(0, 200)}` };
  }
}

function parse(input: unknown): ParsedEvent {
  let value = input;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const text = value.toString();
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'not JSON' };
    }
  }
  if (!isObject(value)) return { ok: false, reason: 'not a JSON object' };
  if ('specversion' in value) return fromCloudEvent(value);
  return fromLogEntry(value);
}

function fromCloudEvent(ce: Json): ParsedEvent {
  const type = str(ce.type);
  let data: unknown = ce.data;
  if (data === undefined && typeof ce.data_base64 === 'string') data = Buffer.from(ce.data_base64, 'base64').toString('utf8');
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return { ok: false, reason: `CloudEvent ${type ?? '(no type)'}: data is not JSON` };
    }
  }
  if (!isObject(data)) return { ok: false, reason: `CloudEvent ${type ?? '(no type)'}: no data object` };
  if (type === CE_PUBSUB) {
    const message = data.message;
    if (!isObject(message) || typeof message.data !== 'string') return { ok: false, reason: 'Pub/Sub CloudEvent without message.data' };
    return parse(Buffer.from(message.data, 'base64').toString('utf8'));
  }
  if (type !== CE_AUDIT) return { ok: false, reason: `CloudEvent type ${bounded(type ?? '(none)')} is not an audit log event` };
  return fromLogEntry(data, str(ce.id));
}

function fromLogEntry(entry: Json, fallbackId?: string): ParsedEvent {
  const payload = entry.protoPayload;
  const logName = str(entry.logName);
  if (!isObject(payload)) {
    // A log entry of another kind (text or JSON payload) that a broad sink filter let through: not ours to act on.
    if (logName) return { ok: true, id: entryId(entry, fallbackId), time: entryTime(entry), hints: [] };
    return { ok: false, reason: 'not a Cloud Logging LogEntry (no protoPayload, no logName)' };
  }
  const id = entryId(entry, fallbackId);
  const time = entryTime(entry);
  const ignored: ParsedEvent = { ok: true, id, time, hints: [] };
  if (payload['@type'] !== AUDIT_LOG) return ignored;
  if (payload.serviceName !== COMPUTE) return ignored;

  const methodName = str(payload.methodName);
  if (!methodName) return { ok: false, reason: 'compute audit log entry without protoPayload.methodName' };
  const m = METHOD.exec(methodName);
  const verbs = m ? RELEVANT[m[1] as string] : undefined;
  if (!m || !verbs?.has(m[2] as string)) return ignored;

  // A call that failed changed nothing. (Compute logs the error on the operation's last entry.)
  const status = payload.status;
  if (isObject(status) && typeof status.code === 'number' && status.code !== 0) return ignored;
  // Long-running operations log a `first` entry when accepted and a `last` one when done; the resource
  // is only there (or gone) after the last, so rediscovering on the first would find nothing new.
  const operation = entry.operation;
  if (isObject(operation) && operation.first === true && operation.last !== true) return ignored;

  const resourceName = str(payload.resourceName);
  const hint: ChangeHint = { vendor: 'gcp', action: methodName };
  const account = projectOf(entry, resourceName, logName);
  if (account) hint.account = account;
  const region = regionOf(entry, payload, resourceName);
  if (region) hint.region = region;
  if (resourceName) hint.resource = bounded(resourceName);
  return { ok: true, id, time, hints: [hint] };
}

/**
 * The project id. resource.labels.project_id is the id even when resourceName names the project by
 * its number (instances created by a managed instance group are logged as `projects/<number>/…`), and
 * a number would never match a configured project, so a numeric name is left out: the hint then covers
 * every GCP project, which costs a rediscovery but never misses the change.
 */
function projectOf(entry: Json, resourceName: string | undefined, logName: string | undefined): string | undefined {
  const resource = entry.resource;
  const labels = isObject(resource) && isObject(resource.labels) ? resource.labels : {};
  const candidates = [
    str(labels.project_id),
    logName ? /^projects\/([^/]+)\/logs\//.exec(logName)?.[1] : undefined,
    resourceName ? /^projects\/([^/]+)\//.exec(resourceName)?.[1] : undefined,
  ];
  return candidates.find((p): p is string => p !== undefined && PROJECT_ID.test(p));
}

/** The region from the resource's own path, else the monitored resource's labels, else resourceLocation. Global: none. */
function regionOf(entry: Json, payload: Json, resourceName: string | undefined): string | undefined {
  if (resourceName) {
    if (/^projects\/[^/]+\/global\//.test(resourceName)) return undefined;
    const m = /(?:^|\/)(regions|zones)\/([^/]+)\//.exec(resourceName);
    if (m) return asRegion(m[1] === 'zones' ? zoneRegion(m[2] as string) : (m[2] as string));
  }
  const resource = entry.resource;
  const labels = isObject(resource) && isObject(resource.labels) ? resource.labels : {};
  const zone = str(labels.zone);
  if (zone) return asRegion(zoneRegion(zone));
  for (const key of ['region', 'location']) {
    const v = str(labels[key]);
    if (v) return asRegion(v) ?? asRegion(zoneRegion(v));
  }
  const location = payload.resourceLocation;
  const current = isObject(location) && Array.isArray(location.currentLocations) ? str(location.currentLocations[0]) : undefined;
  return current ? (asRegion(current) ?? asRegion(zoneRegion(current))) : undefined;
}

const asRegion = (v: string): string | undefined => (REGION.test(v) ? v : undefined);

/** insertId is unique per log entry; an entry without one (hand-made) still gets a stable id. */
function entryId(entry: Json, fallbackId: string | undefined): string {
  const insertId = str(entry.insertId);
  if (insertId) return bounded(insertId);
  const operation = entry.operation;
  if (isObject(operation) && str(operation.id)) return bounded(`${str(operation.id)}/${operation.last === true ? 'last' : operation.first === true ? 'first' : 'entry'}`);
  if (fallbackId) return bounded(fallbackId);
  const payload = isObject(entry.protoPayload) ? entry.protoPayload : {};
  return bounded([str(entry.timestamp), str(payload.methodName), str(payload.resourceName)].filter(Boolean).join('/') || 'unidentified');
}

function entryTime(entry: Json): number | undefined {
  const t = str(entry.timestamp);
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
