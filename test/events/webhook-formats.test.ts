import { CloudEvent, HTTP } from 'cloudevents';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, startHook, type Hook } from './webhook-helpers.ts';

let hook: Hook | undefined;
afterEach(async () => {
  await hook?.close();
  hook = undefined;
});

const send = async (body: string, headers: Record<string, string>, path = '/events') => {
  const res = await fetch(`${hook!.url}${path}`, { method: 'POST', body, headers: { ...headers, ...bearer() } });
  return { status: res.status, body: (await res.json()) as unknown };
};
/** What a sender using the official CloudEvents SDK puts on the wire. */
const wire = (m: { headers: Record<string, unknown>; body: unknown }) => ({ body: String(m.body), headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, String(v)])) });

const SUB = '6f2f1d6c-0000-4000-8000-00000000aaaa';
const PIP = `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Network/publicIPAddresses/pip-web-1`;
const gridData = { operationName: 'Microsoft.Network/publicIPAddresses/write', resourceUri: PIP, resourceProvider: 'Microsoft.Network', status: 'Succeeded', subscriptionId: SUB, tenantId: 't' };
const gridEvent = (id: string) => ({
  id,
  topic: `/subscriptions/${SUB}`,
  subject: PIP,
  eventType: 'Microsoft.Resources.ResourceWriteSuccess',
  eventTime: '2026-03-01T10:00:00.123Z',
  data: gridData,
  dataVersion: '2',
  metadataVersion: '1',
});

const logEntry = {
  insertId: '-x1y2z3',
  logName: 'projects/shop-prod-123/logs/cloudaudit.googleapis.com%2Factivity',
  resource: { type: 'gce_address', labels: { project_id: 'shop-prod-123', region: 'us-central1', address_id: '42' } },
  timestamp: '2026-03-01T10:00:01Z',
  operation: { id: 'operation-1', producer: 'compute.googleapis.com', last: true },
  protoPayload: { '@type': 'type.googleapis.com/google.cloud.audit.AuditLog', serviceName: 'compute.googleapis.com', methodName: 'v1.compute.addresses.insert', resourceName: 'projects/shop-prod-123/regions/us-central1/addresses/ip-a' },
};

const eventBridge = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2026-03-01T10:00:02Z',
  region: 'eu-west-1',
  resources: [],
  detail: { eventSource: 'ec2.amazonaws.com', eventName: 'AllocateAddress', awsRegion: 'eu-west-1', responseElements: { publicIp: '203.0.113.7', allocationId: 'eipalloc-1' } },
};

const ociEvent = {
  eventType: 'com.oraclecloud.virtualnetwork.createpublicip',
  cloudEventsVersion: '0.1',
  eventTypeVersion: '2.0',
  source: 'virtualNetwork',
  eventTime: '2026-03-01T10:00:03Z',
  contentType: 'application/json',
  eventID: 'unique-oci-1',
  extensions: { compartmentId: 'ocid1.compartment.oc1..aaaa' },
  data: { compartmentId: 'ocid1.compartment.oc1..aaaa', resourceName: 'pip', resourceId: 'ocid1.publicip.oc1.iad.bbbb', availabilityDomain: 'AD1' },
};

describe('webhook formats: what the sink gets', () => {
  it('our own change CloudEvent, structured (any charset spelling), with its time and id', async () => {
    hook = await startHook();
    const ce = { specversion: '1.0', id: 'deploy-77', type: 'com.origin-region-sync.change', source: 'https://ci.example/pipelines/77', time: '2026-03-01T09:59:00Z', data: { vendor: 'gcp', account: 'shop-prod-123', region: 'europe-west1', resource: 'lb-frontend', action: 'terraform apply' } };
    const r = await send(JSON.stringify(ce), { 'content-type': 'application/cloudevents+json;charset=UTF-8' });
    expect(r).toEqual({ status: 202, body: { accepted: 1, outcomes: ['enqueued'] } });
    expect(hook.sink.taken).toEqual([
      {
        source: 'hook',
        parsed: { ok: true, id: 'deploy-77', time: Date.parse('2026-03-01T09:59:00Z'), hints: [{ vendor: 'gcp', account: 'shop-prod-123', region: 'europe-west1', resource: 'lb-frontend', action: 'terraform apply' }] },
        meta: { messageId: 'deploy-77', raw: expect.stringContaining('"deploy-77"') as unknown },
      },
    ]);
  });

  it('our own change CloudEvent in binary mode, as the SDK sends it, with a list of hints and no time', async () => {
    hook = await startHook();
    const ev = new CloudEvent({ id: 'tf-1', type: 'com.origin-region-sync.change', source: 'terraform', datacontenttype: 'application/json', data: [{ vendor: 'aws', region: 'us-east-1' }, { vendor: 'oci' }] });
    const { body, headers } = wire(HTTP.binary(ev));
    delete headers['ce-time']; // the SDK stamps "now"; a sender without a clock must not get one invented
    expect(headers['ce-id']).toBe('tf-1');
    expect((await send(body, headers)).status).toBe(202);
    expect(hook.sink.taken[0]!.parsed).toEqual({ ok: true, id: 'tf-1', hints: [{ vendor: 'aws', region: 'us-east-1' }, { vendor: 'oci' }] });
  });

  it('a CloudEvents batch: each event on its own', async () => {
    hook = await startHook();
    const batch = [1, 2].map((i) => new CloudEvent({ id: `b-${i}`, type: 'com.origin-region-sync.change', source: 'ci', data: { vendor: 'azure', account: SUB } }));
    const r = await send(JSON.stringify(batch), { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' });
    expect(r).toEqual({ status: 202, body: { accepted: 2, outcomes: ['enqueued', 'enqueued'] } });
    expect(hook.sink.taken.map((t) => t.meta?.messageId)).toEqual(['b-1', 'b-2']);
  });

  it('Event Grid in CloudEvents schema (Microsoft.Resources.*) reaches the azure parser as the EventGridSchema event it knows', async () => {
    hook = await startHook();
    const ce = { specversion: '1.0', id: 'eg-ce-1', source: `/subscriptions/${SUB}`, subject: PIP, type: 'Microsoft.Resources.ResourceWriteSuccess', time: '2026-03-01T10:00:00.123Z', data: gridData };
    expect((await send(JSON.stringify(ce), { 'content-type': 'application/cloudevents+json; charset=utf-8' })).status).toBe(202);
    expect(hook.sink.taken[0]!.parsed).toEqual({ ok: true, id: 'eg-ce-1', hints: [{ vendor: 'azure', account: SUB, resource: PIP, action: 'Microsoft.Resources.ResourceWriteSuccess' }] });
    expect(hook.sink.taken[0]!.meta?.messageId).toBe('eg-ce-1');
  });

  it('Event Grid schema, batched in one array: every event to the azure parser; an unrelated type is ignored, not malformed', async () => {
    hook = await startHook();
    const other = { ...gridEvent('eg-3'), eventType: 'Microsoft.Storage.BlobCreated' };
    const r = await send(JSON.stringify([gridEvent('eg-1'), gridEvent('eg-2'), other]), { 'content-type': 'application/json', 'aeg-event-type': 'Notification' });
    expect(r).toEqual({ status: 202, body: { accepted: 3, outcomes: ['enqueued', 'enqueued', 'ignored'] } });
    expect(hook.sink.taken.map((t) => t.meta?.messageId)).toEqual(['eg-1', 'eg-2', 'eg-3']);
  });

  it('an Eventarc audit-log CloudEvent (binary mode): its data, the LogEntry, to the gcp parser', async () => {
    hook = await startHook();
    const ev = new CloudEvent({ id: 'arc-1', type: 'google.cloud.audit.log.v1.written', source: '//cloudaudit.googleapis.com/projects/shop-prod-123/logs/activity', subject: 'compute.googleapis.com/projects/shop-prod-123/regions/us-central1/addresses/ip-a', datacontenttype: 'application/json; charset=utf-8', data: logEntry });
    const { body, headers } = wire(HTTP.binary(ev));
    expect((await send(body, headers)).status).toBe(202);
    expect(hook.sink.taken[0]!.parsed).toEqual({ ok: true, id: '-x1y2z3', hints: [{ vendor: 'gcp', account: 'shop-prod-123', region: 'us-central1', action: 'v1.compute.addresses.insert' }] });
  });

  it('Pub/Sub push, wrapped (base64 data, publish time as sentAt) and unwrapped (the LogEntry itself)', async () => {
    hook = await startHook();
    const push = { message: { data: Buffer.from(JSON.stringify(logEntry)).toString('base64'), messageId: '136969346945', message_id: '136969346945', publishTime: '2026-03-01T10:00:04.5Z', attributes: {} }, subscription: 'projects/shop-prod-123/subscriptions/ors-push' };
    expect((await send(JSON.stringify(push), { 'content-type': 'application/json' })).status).toBe(202);
    expect(hook.sink.taken[0]).toMatchObject({ parsed: { ok: true, id: '-x1y2z3' }, meta: { messageId: '136969346945', sentAt: Date.parse('2026-03-01T10:00:04.5Z') } });
    expect(hook.health.events).toEqual(['up', 'lag ok']);
    expect((await send(JSON.stringify(logEntry), { 'content-type': 'application/json', 'x-goog-pubsub-message-id': '2' })).status).toBe(202);
    expect(hook.sink.taken[1]!.parsed).toMatchObject({ ok: true, id: '-x1y2z3' });
    const notJson = { ...push, message: { ...push.message, data: Buffer.from('plain text').toString('base64') } };
    expect(await send(JSON.stringify(notJson), { 'content-type': 'application/json' })).toMatchObject({ status: 400, body: { error: 'Pub/Sub message data is not base64 of JSON' } });
  });

  it('a raw EventBridge event (rule target or API destination) and an AWS CloudEvent whose data is the detail, both to the aws parser as EventBridge events', async () => {
    hook = await startHook();
    expect((await send(JSON.stringify(eventBridge), { 'content-type': 'application/json; charset=utf-8' })).status).toBe(202);
    expect(hook.sink.taken[0]).toMatchObject({ parsed: { ok: true, id: eventBridge.id, hints: [{ vendor: 'aws', account: '111122223333', region: 'eu-west-1', action: 'AWS API Call via CloudTrail/AllocateAddress' }] }, meta: { messageId: eventBridge.id } });

    const ce = new CloudEvent({ id: 'ce-aws-1', type: 'EC2 Instance State-change Notification', source: 'aws.ec2', account: '111122223333', region: 'ap-south-1', data: { 'instance-id': 'i-1', state: 'running' } });
    const { body, headers } = wire(HTTP.structured(ce));
    expect((await send(body, headers)).status).toBe(202);
    expect(hook.sink.taken[1]!.parsed).toEqual({ ok: true, id: 'ce-aws-1', hints: [{ vendor: 'aws', account: '111122223333', region: 'ap-south-1', action: 'EC2 Instance State-change Notification/running' }] });
    // …and one whose data is the whole EventBridge event goes over unchanged.
    const wrapped = new CloudEvent({ id: 'ce-aws-2', type: 'com.amazon.events.event', source: 'aws.ec2', data: eventBridge });
    expect((await send(wire(HTTP.structured(wrapped)).body, { 'content-type': 'application/cloudevents+json' })).status).toBe(202);
    expect(hook.sink.taken[2]!.parsed).toMatchObject({ ok: true, id: eventBridge.id });
  });

  it('an OCI event as an ONS HTTPS message (id and time from its headers), and as a CloudEvent 1.0', async () => {
    hook = await startHook();
    const ons = { 'content-type': 'application/json', 'x-oci-ns-messageid': 'ons-msg-9', 'x-oci-ns-messagetype': 'Notification', 'x-oci-ns-timestamp': '2026-03-01T10:00:05.310+0000' };
    expect((await send(JSON.stringify(ociEvent), ons)).status).toBe(202);
    expect(hook.sink.taken[0]).toEqual({
      source: 'hook',
      parsed: { ok: true, id: 'unique-oci-1', hints: [{ vendor: 'oci', account: 'ocid1.compartment.oc1..aaaa', resource: 'ocid1.publicip.oc1.iad.bbbb', action: 'com.oraclecloud.virtualnetwork.createpublicip' }] },
      meta: { messageId: 'unique-oci-1', sentAt: Date.parse('2026-03-01T10:00:05.310Z'), raw: expect.any(String) as unknown },
    });
    const ce = { specversion: '1.0', id: 'oci-ce-1', type: 'com.oraclecloud.virtualnetwork.deletepublicip', source: 'virtualNetwork', time: '2026-03-01T10:00:06Z', compartmentid: 'ocid1.compartment.oc1..cccc', data: { resourceId: 'ocid1.publicip.oc1.iad.dddd' } };
    expect((await send(JSON.stringify(ce), { 'content-type': 'application/cloudevents+json' })).status).toBe(202);
    expect(hook.sink.taken[1]!.parsed).toEqual({ ok: true, id: 'oci-ce-1', hints: [{ vendor: 'oci', account: 'ocid1.compartment.oc1..cccc', resource: 'ocid1.publicip.oc1.iad.dddd', action: 'com.oraclecloud.virtualnetwork.deletepublicip' }] });
  });

  it('a CloudEvent sent as plain application/json is still read as one', async () => {
    hook = await startHook();
    const ce = { specversion: '1.0', id: 'lenient-1', type: 'com.origin-region-sync.change', source: 'curl', data: { vendor: 'aws' } };
    expect(await send(JSON.stringify(ce), { 'content-type': 'application/json' })).toEqual({ status: 202, body: { accepted: 1, outcomes: ['enqueued'] } });
    expect(await send(JSON.stringify([ce, { ...ce, id: 'lenient-2' }]), { 'content-type': 'application/json' })).toMatchObject({ status: 202, body: { accepted: 2 } });
  });

  it('CloudEvent data_base64 holding JSON is decoded', async () => {
    hook = await startHook();
    const ce = { specversion: '1.0', id: 'b64-1', type: 'com.origin-region-sync.change', source: 'ci', datacontenttype: 'application/json', data_base64: Buffer.from(JSON.stringify({ vendor: 'azure', region: 'westeurope' })).toString('base64') };
    expect((await send(JSON.stringify(ce), { 'content-type': 'application/cloudevents+json' })).status).toBe(202);
    expect(hook.sink.taken[0]!.parsed).toEqual({ ok: true, id: 'b64-1', hints: [{ vendor: 'azure', region: 'westeurope' }] });
  });
});
