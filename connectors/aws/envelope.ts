import type { ChangeHint, ParsedEvent } from '../../src/events/types.ts';

/**
 * EventBridge events (as an EventBridge rule delivers them to SQS, or wrapped by SNS) → which account and
 * region to rediscover. Pure: no I/O, never throws. The hint never carries an address: AWS events are best
 * effort, most carry no IP (a state change, a NAT gateway deletion), and the connector's listing decides.
 *
 * Envelope: https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
 * CloudTrail via EventBridge: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 * CloudTrail record fields: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;

export const CLOUDTRAIL_CALL = 'AWS API Call via CloudTrail';
export const STATE_CHANGE = 'EC2 Instance State-change Notification';

/**
 * CloudTrail calls that can add, remove or move a public address of a region, by event source. Generous
 * on purpose: a needless rediscovery costs a few Describe calls, a missed one waits for the next cycle.
 */
export const ADDRESS_CALLS: Readonly<Record<string, ReadonlySet<string>>> = {
  'ec2.amazonaws.com': new Set([
    // Elastic IPs
    'AllocateAddress',
    'ReleaseAddress',
    'AssociateAddress',
    'DisassociateAddress',
    'MoveAddressToVpc',
    'RestoreAddressToClassic',
    // Instances: auto-assigned public IPv4 comes with a start and goes with a stop or termination
    'RunInstances',
    'TerminateInstances',
    'StartInstances',
    'StopInstances',
    'CreateFleet',
    // Interfaces and their addresses
    'CreateNetworkInterface',
    'DeleteNetworkInterface',
    'AttachNetworkInterface',
    'DetachNetworkInterface',
    'ModifyNetworkInterfaceAttribute',
    'AssignIpv6Addresses',
    'UnassignIpv6Addresses',
    'AssignPrivateIpAddresses',
    'UnassignPrivateIpAddresses',
    // NAT gateways
    'CreateNatGateway',
    'DeleteNatGateway',
    'AssociateNatGatewayAddress',
    'DisassociateNatGatewayAddress',
  ]),
  // ELB v2 and Classic share the event source; subnets and address type change the interfaces' addresses.
  'elasticloadbalancing.amazonaws.com': new Set([
    'CreateLoadBalancer',
    'DeleteLoadBalancer',
    'SetSubnets',
    'SetIpAddressType',
    'EnableAvailabilityZonesForLoadBalancer',
    'DisableAvailabilityZonesForLoadBalancer',
    'AttachLoadBalancerToSubnets',
    'DetachLoadBalancerFromSubnets',
  ]),
};

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A message body as it came off the queue: JSON first, then the envelope. */
export function parseBody(body: string): ParsedEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    return { ok: false, reason: `body is not JSON (${(e as Error).message.slice(0, 80)})` };
  }
  return parseEvent(json);
}

/**
 * One EventBridge event, or an SNS notification whose Message is one (EventBridge → SNS → SQS without raw
 * delivery). A well-formed event that changes no address (a failed call, an unrelated type or call) is
 * ok with no hints; anything that is not an EventBridge event is ok:false with the reason.
 */
export function parseEvent(json: unknown): ParsedEvent {
  try {
    if (!isObject(json)) return { ok: false, reason: `not an EventBridge event: expected a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}` };
    if ('Type' in json && 'TopicArn' in json) return unwrapSns(json);
    return parseEventBridge(json);
  } catch (e) {
    // Nothing above should throw; a parser bug must still not cost the consumer.
    return { ok: false, reason: `unparseable event (${(e as Error).message.slice(0, 80)})` };
  }
}

function unwrapSns(sns: Json): ParsedEvent {
  const type = str(sns.Type);
  if (type === 'SubscriptionConfirmation') {
    return { ok: false, reason: 'SNS subscription confirmation: confirm the subscription of this queue to the topic (the message\'s SubscribeURL), or subscribe it from the queue\'s account' };
  }
  if (type !== 'Notification') return { ok: false, reason: `SNS message of type ${JSON.stringify(String(sns.Type)).slice(0, 40)}, not a Notification` };
  const message = str(sns.Message);
  if (message === undefined) return { ok: false, reason: 'SNS notification without a Message' };
  let inner: unknown;
  try {
    inner = JSON.parse(message);
  } catch {
    return { ok: false, reason: 'SNS notification whose Message is not JSON (only EventBridge events are understood)' };
  }
  if (!isObject(inner)) return { ok: false, reason: 'SNS notification whose Message is not an EventBridge event' };
  const parsed = parseEventBridge(inner);
  return parsed.ok ? parsed : { ok: false, reason: `SNS notification: ${parsed.reason}` };
}

function parseEventBridge(ev: Json): ParsedEvent {
  const id = str(ev.id);
  const detailType = str(ev['detail-type']);
  const source = str(ev.source);
  if (id === undefined || detailType === undefined || source === undefined || !('detail' in ev)) {
    const missing = (['id', 'detail-type', 'source', 'detail'] as const).filter((k) => (k === 'detail' ? !('detail' in ev) : str(ev[k]) === undefined));
    return { ok: false, reason: `not an EventBridge event: missing ${missing.join(', ')}` };
  }
  if (!isObject(ev.detail)) return { ok: false, reason: 'EventBridge event whose detail is not an object' };
  const detail = ev.detail;
  const t = Date.parse(str(ev.time) ?? str(detail.eventTime) ?? '');
  const base = { ok: true as const, id, ...(Number.isFinite(t) ? { time: t } : {}) };

  if (detailType === STATE_CHANGE && source === 'aws.ec2') {
    const instance = str(detail['instance-id']);
    const state = str(detail.state);
    if (instance === undefined || state === undefined) return { ok: false, reason: 'EC2 state-change notification without detail.instance-id or detail.state' };
    return { ...base, hints: [hint(ev, detail, instance, `instance ${state}`)] };
  }
  if (detailType !== CLOUDTRAIL_CALL) return { ...base, hints: [] };

  const eventSource = str(detail.eventSource);
  const eventName = str(detail.eventName);
  if (eventSource === undefined || eventName === undefined) return { ok: false, reason: 'CloudTrail event without detail.eventSource or detail.eventName' };
  // A call that failed changed nothing; a read-only one never does.
  if (detail.errorCode !== undefined || detail.readOnly === true) return { ...base, hints: [] };
  if (!ADDRESS_CALLS[eventSource]?.has(eventName)) return { ...base, hints: [] };
  return { ...base, hints: [hint(ev, detail, resourceOf(ev, detail), eventName)] };
}

function hint(ev: Json, detail: Json, resource: string | undefined, action: string): ChangeHint {
  const identity = isObject(detail.userIdentity) ? detail.userIdentity : {};
  // The envelope's account is the resource's account even when a central bus forwarded the event;
  // recipientAccountId says the same in CloudTrail; the caller's own account is the last resort.
  const account = [ev.account, detail.recipientAccountId, identity.accountId].map(str).find((a) => a !== undefined && ACCOUNT.test(a));
  const region = [detail.awsRegion, ev.region].map(str).find((r) => r !== undefined && REGION.test(r));
  return {
    vendor: 'aws',
    ...(account ? { account } : {}),
    ...(region ? { region } : {}),
    ...(resource ? { resource } : {}),
    action,
  };
}

const RESOURCE_ID = /^(eipalloc|eipassoc|i|eni|nat|eni-attach)-[0-9a-f]{8,17}$|^arn:aws[a-z-]*:elasticloadbalancing:/;
const NAME_KEYS = ['loadBalancerName', 'name', 'publicIp'];

/**
 * For logs only: the ids the event names (allocation, instance, interface, NAT gateway, load balancer),
 * found wherever the call puts them. EventBridge's `resources` comes first; CloudTrail leaves it empty
 * for most calls, so the request and response are walked, bounded.
 */
function resourceOf(ev: Json, detail: Json): string | undefined {
  const found: string[] = [];
  const add = (s: string) => {
    if (!found.includes(s)) found.push(s);
  };
  if (Array.isArray(ev.resources)) for (const r of ev.resources) if (typeof r === 'string' && r !== '') add(r);
  let budget = 500;
  const walk = (v: unknown, depth: number): void => {
    if (budget-- <= 0 || depth > 8 || found.length >= 6) return;
    if (typeof v === 'string') {
      if (RESOURCE_ID.test(v)) add(v);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (isObject(v)) {
      for (const x of Object.values(v)) walk(x, depth + 1);
    }
  };
  walk(detail.responseElements, 0);
  walk(detail.requestParameters, 0);
  if (found.length === 0) {
    for (const part of [detail.requestParameters, detail.responseElements]) {
      if (!isObject(part)) continue;
      const name = NAME_KEYS.map((k) => str(part[k])).find((n) => n !== undefined);
      if (name) {
        add(name);
        break;
      }
    }
  }
  if (found.length === 0) return undefined;
  return found.length <= 3 ? found.join(',') : `${found.slice(0, 3).join(',')} (+${found.length - 3})`;
}
