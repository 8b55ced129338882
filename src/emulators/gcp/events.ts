import { randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { GcpAddress, GcpForwardingRule, GcpInstance, GcpInventory, GcpProject } from './inventory.ts';
import { API_BASE, stableId } from './resources.ts';

/*
 * The GCP fake's event side: a change to its inventory becomes what Compute Engine would write to the
 * project's Admin Activity audit log, and a Logging sink would export to Pub/Sub: one LogEntry when the
 * operation is accepted (`operation.first`, with the request and the pending operation) and one when it
 * is done (`operation.last`). Shapes: https://cloud.google.com/compute/docs/logging/audit-logging ,
 * LogEntry https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry ; monitored resource types
 * and labels (gce_reserved_address: project_id, reserved_address_id, location; gce_instance: project_id,
 * instance_id, zone; gce_forwarding_rule: project_id, forwarding_rule_id, region) as Cloud Logging lists them.
 */

export const DEFAULT_EVENTS_TOPIC = 'projects/ors-fake/topics/ors-events';
export const DEFAULT_EVENTS_SUBSCRIPTION = 'projects/ors-fake/subscriptions/ors-events';

type Collection = 'addresses' | 'globalAddresses' | 'instances' | 'forwardingRules' | 'globalForwardingRules';

/** One compute API call that would have produced the difference. */
export interface ComputeChange {
  project: string;
  collection: Collection;
  verb: string;
  name: string;
  /** Region name, zone name (instances) or "global". */
  location: string;
}

const RESOURCE_TYPE: Record<Collection, string> = {
  addresses: 'gce_reserved_address',
  globalAddresses: 'gce_reserved_address',
  instances: 'gce_instance',
  forwardingRules: 'gce_forwarding_rule',
  globalForwardingRules: 'gce_forwarding_rule',
};

// The IAM permission each call is checked against (authorizationInfo), as compute names them.
const PERMISSION_VERB: Record<string, string> = { insert: 'create', bulkInsert: 'create', updateNetworkInterface: 'updateNetwork' };

/** The calls that turn `before` into `after`, project by project, in a stable order. */
export function inventoryChanges(before: GcpInventory, after: GcpInventory): ComputeChange[] {
  const out: ComputeChange[] = [];
  const projects = [...new Set([...Object.keys(before.projects), ...Object.keys(after.projects)])].sort();
  const empty: GcpProject = { addresses: [], instances: [], forwardingRules: [] };
  for (const project of projects) {
    const b = before.projects[project] ?? empty;
    const a = after.projects[project] ?? empty;
    out.push(...addressChanges(project, b.addresses, a.addresses));
    out.push(...instanceChanges(project, b.instances, a.instances));
    out.push(...ruleChanges(project, b.forwardingRules, a.forwardingRules));
  }
  return out;
}

function byKey<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  return new Map(items.map((i) => [key(i), i]));
}

/** Items present in only one of the two, and those in both that differ. */
function compare<T extends { name: string }>(before: readonly T[], after: readonly T[], location: (t: T) => string) {
  const key = (t: T) => `${location(t)}/${t.name}`;
  const b = byKey(before, key);
  const a = byKey(after, key);
  return {
    removed: [...b.values()].filter((t) => !a.has(key(t))),
    added: [...a.values()].filter((t) => !b.has(key(t))),
    changed: [...a.values()].flatMap((t) => {
      const old = b.get(key(t));
      return old && !isDeepStrictEqual(old, t) ? [[old, t] as const] : [];
    }),
  };
}

const without = <T extends object>(t: T, ...keys: string[]) => Object.fromEntries(Object.entries(t).filter(([k]) => !keys.includes(k)));

function addressChanges(project: string, before: GcpAddress[], after: GcpAddress[]): ComputeChange[] {
  const c = (a: GcpAddress, verb: string): ComputeChange => ({
    project,
    collection: a.region === 'global' ? 'globalAddresses' : 'addresses',
    verb,
    name: a.name,
    location: a.region,
  });
  const { removed, added, changed } = compare(before, after, (a) => a.region);
  return [
    ...removed.map((a) => c(a, 'delete')),
    ...added.map((a) => c(a, 'insert')),
    // A reserved address's IP cannot change in place: a different one is a release and a new reservation.
    ...changed.flatMap(([old, now]) =>
      isDeepStrictEqual(without(old, 'labels'), without(now, 'labels')) ? [c(now, 'setLabels')] : [c(old, 'delete'), c(now, 'insert')],
    ),
  ];
}

const STOPPED = new Set(['STOPPING', 'STOPPED', 'TERMINATED']);
const SUSPENDED = new Set(['SUSPENDING', 'SUSPENDED']);

function instanceChanges(project: string, before: GcpInstance[], after: GcpInstance[]): ComputeChange[] {
  const c = (i: GcpInstance, verb: string): ComputeChange => ({ project, collection: 'instances', verb, name: i.name, location: i.zone });
  const { removed, added, changed } = compare(before, after, (i) => i.zone);
  const out: ComputeChange[] = [...removed.map((i) => c(i, 'delete')), ...added.map((i) => c(i, 'insert'))];
  for (const [old, now] of changed) {
    const verbs: string[] = [];
    const was = old.status ?? 'RUNNING';
    const is = now.status ?? 'RUNNING';
    if (was !== is) {
      if (STOPPED.has(is)) verbs.push('stop');
      else if (SUSPENDED.has(is)) verbs.push('suspend');
      else if (SUSPENDED.has(was)) verbs.push('resume');
      else verbs.push('start');
    }
    verbs.push(...nicVerbs(old, now));
    if (!isDeepStrictEqual(old.labels ?? {}, now.labels ?? {})) verbs.push('setLabels');
    if (verbs.length === 0) verbs.push('update'); // anything else instances.update can change
    out.push(...verbs.map((v) => c(now, v)));
  }
  return out;
}

/** External IPv4 moves through access configs; anything else about a NIC (IPv6 included) through updateNetworkInterface. */
function nicVerbs(old: GcpInstance, now: GcpInstance): string[] {
  const a = old.networkInterfaces ?? [];
  const b = now.networkInterfaces ?? [];
  const verbs: string[] = [];
  for (let n = 0; n < Math.max(a.length, b.length); n++) {
    const x = a[n];
    const y = b[n];
    if (!x || !y) {
      verbs.push('updateNetworkInterface');
      continue;
    }
    const nat = (nic: typeof x) => (nic.accessConfigs ?? []).map((ac) => ac.natIP ?? null);
    const [before, after] = [nat(x), nat(y)];
    if (!isDeepStrictEqual(x.accessConfigs ?? [], y.accessConfigs ?? [])) {
      if (before.length === 0) verbs.push('addAccessConfig');
      else if (after.length === 0) verbs.push('deleteAccessConfig');
      else if (!isDeepStrictEqual(before, after)) verbs.push('deleteAccessConfig', 'addAccessConfig');
      else verbs.push('updateAccessConfig');
    }
    if (!isDeepStrictEqual(without(x, 'accessConfigs'), without(y, 'accessConfigs'))) verbs.push('updateNetworkInterface');
  }
  return verbs;
}

function ruleChanges(project: string, before: GcpForwardingRule[], after: GcpForwardingRule[]): ComputeChange[] {
  const c = (r: GcpForwardingRule, verb: string): ComputeChange => ({
    project,
    collection: r.region === 'global' ? 'globalForwardingRules' : 'forwardingRules',
    verb,
    name: r.name,
    location: r.region,
  });
  const { removed, added, changed } = compare(before, after, (r) => r.region);
  const out: ComputeChange[] = [...removed.map((r) => c(r, 'delete')), ...added.map((r) => c(r, 'insert'))];
  for (const [old, now] of changed) {
    // The frontend address and scheme are fixed at creation: changing them is a new rule.
    if (old.IPAddress !== now.IPAddress || old.loadBalancingScheme !== now.loadBalancingScheme || old.ipVersion !== now.ipVersion) {
      out.push(c(old, 'delete'), c(now, 'insert'));
      continue;
    }
    const rest = (r: GcpForwardingRule) => without(r, 'labels', 'target');
    if (old.target !== now.target) out.push(c(now, 'setTarget'));
    if (!isDeepStrictEqual(old.labels ?? {}, now.labels ?? {})) out.push(c(now, 'setLabels'));
    if (!isDeepStrictEqual(rest(old), rest(now))) out.push(c(now, 'patch'));
  }
  return out;
}

function resourceName(ch: ComputeChange): string {
  const base = `projects/${ch.project}`;
  switch (ch.collection) {
    case 'instances':
      return `${base}/zones/${ch.location}/instances/${ch.name}`;
    case 'globalAddresses':
      return `${base}/global/addresses/${ch.name}`;
    case 'globalForwardingRules':
      return `${base}/global/forwardingRules/${ch.name}`;
    default:
      return `${base}/regions/${ch.location}/${ch.collection}/${ch.name}`;
  }
}

function monitoredResource(ch: ComputeChange, id: string): { type: string; labels: Record<string, string> } {
  const type = RESOURCE_TYPE[ch.collection];
  if (ch.collection === 'instances') return { type, labels: { project_id: ch.project, instance_id: id, zone: ch.location } };
  if (type === 'gce_reserved_address') return { type, labels: { project_id: ch.project, reserved_address_id: id, location: ch.location } };
  return { type, labels: { project_id: ch.project, forwarding_rule_id: id, region: ch.location } };
}

const PRINCIPAL = 'inventory-editor@ors-fake.iam.gserviceaccount.com';

/** The `first` and `last` audit log entries of one compute operation. */
export function auditEntries(ch: ComputeChange, at = Date.now()): [Record<string, unknown>, Record<string, unknown>] {
  const name = resourceName(ch);
  const selfLink = `${API_BASE}/${name}`;
  // Same derivation as the fake's resources: the id a later list shows for this resource.
  const targetId = stableId(selfLink);
  const methodName = `v1.compute.${ch.collection}.${ch.verb}`;
  const opName = `operation-${at}-${randomBytes(6).toString('hex')}-${randomBytes(4).toString('hex')}`;
  const where = ch.collection === 'instances' ? { zone: `${API_BASE}/projects/${ch.project}/zones/${ch.location}` } : ch.location === 'global' ? {} : { region: `${API_BASE}/projects/${ch.project}/regions/${ch.location}` };
  const common = {
    resource: monitoredResource(ch, targetId),
    severity: 'NOTICE',
    logName: `projects/${ch.project}/logs/cloudaudit.googleapis.com%2Factivity`,
  };
  const payload = {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    authenticationInfo: { principalEmail: PRINCIPAL },
    requestMetadata: { callerIp: '192.0.2.10', callerSuppliedUserAgent: 'origin-region-sync gcp fake (inventory edit)' },
    serviceName: 'compute.googleapis.com',
    methodName,
    resourceName: name,
    resourceLocation: { currentLocations: [ch.location] },
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const first = {
    protoPayload: {
      ...payload,
      authorizationInfo: [
        {
          permission: `compute.${ch.collection}.${PERMISSION_VERB[ch.verb] ?? ch.verb}`,
          granted: true,
          resourceAttributes: { service: 'compute', name, type: `compute.${ch.collection.replace(/^global/, '').replace(/^./, (s) => s.toLowerCase())}` },
        },
      ],
      // The request as logged names the resource, never its address (the IP is chosen or released by compute).
      request: { '@type': `type.googleapis.com/compute.${ch.collection}.${ch.verb}`, ...(ch.verb === 'insert' ? { name: ch.name } : {}) },
      response: {
        '@type': 'type.googleapis.com/operation',
        id: stableId(opName),
        name: opName,
        operationType: ch.verb,
        progress: '0',
        status: 'RUNNING',
        targetId,
        targetLink: selfLink,
        user: PRINCIPAL,
        insertTime: iso(at),
        startTime: iso(at),
        selfLink: `${API_BASE}/projects/${ch.project}/${ch.collection === 'instances' ? `zones/${ch.location}` : ch.location === 'global' ? 'global' : `regions/${ch.location}`}/operations/${opName}`,
        ...where,
      },
    },
    insertId: randomBytes(6).toString('base64url').toLowerCase(),
    ...common,
    timestamp: iso(at),
    operation: { id: opName, producer: 'compute.googleapis.com', first: true },
    receiveTimestamp: iso(at + 400),
  };
  const done = at + 20;
  const last = {
    protoPayload: payload,
    insertId: randomBytes(6).toString('base64url').toLowerCase(),
    ...common,
    timestamp: iso(done),
    labels: { 'compute.googleapis.com/root_trigger_id': randomUUID() },
    operation: { id: opName, producer: 'compute.googleapis.com', last: true },
    receiveTimestamp: iso(done + 400),
  };
  return [first, last];
}

/** How a Logging sink publishes an entry: the LogEntry JSON as data, its timestamp as an attribute. */
export function sinkMessage(entry: Record<string, unknown>): { data: string; attributes: Record<string, string> } {
  return { data: JSON.stringify(entry), attributes: { 'logging.googleapis.com/timestamp': String(entry.timestamp) } };
}

/** One line per change, for the fake's log and the demo's watch output. */
export function describeChange(ch: ComputeChange): string {
  return `v1.compute.${ch.collection}.${ch.verb} ${resourceName(ch)}`;
}
