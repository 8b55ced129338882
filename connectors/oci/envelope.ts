import type { ChangeHint, ParsedEvent } from '../../src/events/types.ts';
import { ociRegionFromSegment } from '../../src/model/index.ts';

/**
 * OCI Events envelopes (CloudEvents 0.1 as OCI Events sends them, and the CloudEvents 1.0 form of the
 * same fields), reduced to a hint. Reference:
 * https://docs.oracle.com/iaas/Content/Events/Reference/eventenvelopereference.htm
 *
 *   {"eventType":"com.oraclecloud.virtualnetwork.createpublicip","cloudEventsVersion":"0.1",
 *    "eventTypeVersion":"2.0","source":"virtualNetwork","eventTime":"2024-05-01T10:00:00Z",
 *    "contentType":"application/json","eventID":"…","extensions":{"compartmentId":"ocid1.compartment…"},
 *    "data":{"compartmentId":"…","compartmentName":"…","resourceName":"…","resourceId":"ocid1.publicip.oc1.iad.…",
 *            "availabilityDomain":"…","freeformTags":{},"definedTags":{},"additionalDetails":{}}}
 *
 * What an OCI event cannot tell: the IP address (the connector's listing finds it), and the tenancy (the
 * envelope carries compartments only, so the hint matches every OCI tenancy configured). The region is
 * read from the resource's OCID.
 */

/**
 * Event types after which the public addresses the connector lists may differ: public IPs (reserved and
 * ephemeral), the regional ephemeral IP a NAT gateway gets, and instances whose VNICs carry ephemeral IPv4
 * and IPv6 addresses. `.begin` events are left out: the address appears or goes at `.end`.
 */
const RELEVANT = new Set([
  'com.oraclecloud.virtualnetwork.createpublicip',
  'com.oraclecloud.virtualnetwork.updatepublicip',
  'com.oraclecloud.virtualnetwork.deletepublicip',
  'com.oraclecloud.virtualnetwork.changepublicipcompartment',
  'com.oraclecloud.natgateway.createnatgateway',
  'com.oraclecloud.natgateway.deletenatgateway',
  'com.oraclecloud.natgateway.changenatgatewaycompartment',
  'com.oraclecloud.computeapi.launchinstance.end',
  'com.oraclecloud.computeapi.terminateinstance.end',
]);

/**
 * Networking types about public IPs or IPv6 addresses that are not in the list above (a type OCI adds
 * later, or one its documentation does not list yet) still choose the region to rediscover: a hint too
 * many costs one scan, a hint too few waits for the next full cycle.
 */
const NETWORKING_ADDRESS = /^com\.oraclecloud\.virtualnetwork\.[a-z]*(publicip|ipv6)[a-z]*(\.end)?$/;

/** Envelope fields are short; anything longer is not an OCI event and must not reach a log whole. */
const MAX_FIELD = 512;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function text(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' && v.length <= MAX_FIELD ? v : undefined;
}

/** `ocid1.<type>.<realm>.<region>.<unique>`: the region segment is empty for global resources. */
function regionOfOcid(ocid: string | undefined): string | undefined {
  if (ocid === undefined) return undefined;
  const parts = ocid.split('.');
  if (parts.length < 5 || parts[0] !== 'ocid1' || !parts[3]) return undefined;
  return ociRegionFromSegment(parts[3]);
}

/** `Uocm:PHX-AD-1` (region key) or `Uocm:US-ASHBURN-AD-1` / `kIdk:EU-FRANKFURT-1-AD-1` (region name). */
function regionOfAvailabilityDomain(ad: string | undefined): string | undefined {
  const m = ad === undefined ? null : /^(?:[^:]*:)?([A-Za-z0-9-]+?)-AD-\d+$/.exec(ad);
  if (!m?.[1]) return undefined;
  const name = m[1].toLowerCase();
  return ociRegionFromSegment(name) ?? ociRegionFromSegment(`${name}-1`);
}

function relevant(eventType: string): boolean {
  return RELEVANT.has(eventType) || NETWORKING_ADDRESS.test(eventType);
}

export function parseEvent(json: unknown): ParsedEvent {
  if (!isObj(json)) return { ok: false, reason: 'not a JSON object' };
  let eventType: string | undefined;
  let id: string | undefined;
  let time: string | undefined;
  if (json['cloudEventsVersion'] !== undefined) {
    eventType = text(json, 'eventType');
    id = text(json, 'eventID');
    time = text(json, 'eventTime');
    if (!eventType || !id) return { ok: false, reason: 'CloudEvents 0.1 envelope without eventType or eventID' };
  } else if (json['specversion'] !== undefined) {
    if (json['specversion'] !== '1.0') return { ok: false, reason: `unsupported CloudEvents specversion ${JSON.stringify(json['specversion']).slice(0, 20)}` };
    eventType = text(json, 'type');
    id = text(json, 'id');
    time = text(json, 'time');
    if (!eventType || !id) return { ok: false, reason: 'CloudEvents 1.0 envelope without type or id' };
  } else {
    return { ok: false, reason: 'not an OCI event envelope (neither cloudEventsVersion nor specversion)' };
  }
  const data = json['data'];
  if (data !== undefined && data !== null && !isObj(data)) return { ok: false, reason: 'data is not an object' };
  const parsedTime = time === undefined ? NaN : Date.parse(time);
  const base = { ok: true as const, id, ...(Number.isNaN(parsedTime) ? {} : { time: parsedTime }) };
  if (!relevant(eventType)) return { ...base, hints: [] };

  const d: Obj = isObj(data) ? data : {};
  const resourceId = text(d, 'resourceId');
  const region = regionOfOcid(resourceId) ?? regionOfAvailabilityDomain(text(d, 'availabilityDomain'));
  const resource = resourceId ?? text(d, 'resourceName');
  const hint: ChangeHint = {
    vendor: 'oci',
    ...(region !== undefined ? { region } : {}),
    ...(resource !== undefined ? { resource } : {}),
    action: eventType.replace(/^com\.oraclecloud\./, ''),
  };
  return { ...base, hints: [hint] };
}
