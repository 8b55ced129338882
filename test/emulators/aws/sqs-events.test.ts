import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEvent } from '../../../connectors/aws/envelope.ts';
import { inventoryEvents, type EventBridgeEvent } from '../../../src/emulators/aws/events.ts';
import { startAwsFake, type AwsFake } from '../../../src/emulators/aws/index.ts';
import { parseAwsInventory } from '../../../src/emulators/aws/inventory.ts';

// Inventory changes → the EventBridge events AWS would deliver, and how the fake queues them.

const A = '111122223333';
const B = '444455556666';
type Region = Record<string, unknown>;
const inv = (regions: Record<string, Region>, more: Record<string, Record<string, Region>> = {}) =>
  parseAwsInventory({
    accounts: {
      [A]: { regions },
      ...Object.fromEntries(Object.entries(more).map(([id, r]) => [id, { regions: r }])),
    },
  });

/** "source/detail-type-or-eventName" for each event, in order. */
const names = (events: EventBridgeEvent[]) =>
  events.map((e) => (e['detail-type'] === 'AWS API Call via CloudTrail' ? String(e.detail.eventName) : `state:${String(e.detail.state)}`));

const web = (over: Record<string, unknown> = {}, eni: Record<string, unknown> = {}) => ({
  instanceId: 'i-0a1b2c3d4e5f60001',
  networkInterfaces: [{ networkInterfaceId: 'eni-0a1b2c3d4e5f60001', privateIpAddress: '10.0.1.10', association: { publicIp: '198.51.100.101' }, ...eni }],
  ...over,
});

describe('aws fake: inventory changes as EventBridge events', () => {
  it('no change, or a change of tags only, sends nothing', () => {
    const before = inv({ 'us-east-1': { instances: [web()] } });
    expect(inventoryEvents(before, before)).toEqual([]);
    expect(inventoryEvents(before, inv({ 'us-east-1': { instances: [web({ tags: { Name: 'web' } })] } }))).toEqual([]);
  });

  it('Elastic IPs: allocate, associate, move, disassociate, release', () => {
    const empty = inv({ 'us-east-1': {} });
    const spare = inv({ 'us-east-1': { addresses: [{ publicIp: '203.0.113.9' }] } });
    const onWeb = inv({ 'us-east-1': { addresses: [{ publicIp: '203.0.113.9', instanceId: 'i-0a1b2c3d4e5f60001', networkInterfaceId: 'eni-0a1b2c3d4e5f60001' }] } });
    const onOther = inv({ 'us-east-1': { addresses: [{ publicIp: '203.0.113.9', instanceId: 'i-0a1b2c3d4e5f60002' }] } });
    expect(names(inventoryEvents(empty, spare))).toEqual(['AllocateAddress']);
    expect(names(inventoryEvents(empty, onWeb))).toEqual(['AllocateAddress', 'AssociateAddress']);
    expect(names(inventoryEvents(spare, onWeb))).toEqual(['AssociateAddress']);
    expect(names(inventoryEvents(onWeb, onOther))).toEqual(['DisassociateAddress', 'AssociateAddress']);
    expect(names(inventoryEvents(onWeb, spare))).toEqual(['DisassociateAddress']);
    expect(names(inventoryEvents(onWeb, empty))).toEqual(['DisassociateAddress', 'ReleaseAddress']);
    const [allocate] = inventoryEvents(empty, spare);
    expect(allocate).toMatchObject({
      version: '0',
      source: 'aws.ec2',
      account: A,
      region: 'us-east-1',
      detail: {
        eventSource: 'ec2.amazonaws.com',
        awsRegion: 'us-east-1',
        recipientAccountId: A,
        responseElements: { publicIp: '203.0.113.9', allocationId: 'eipalloc-cb007109', domain: 'vpc', networkBorderGroup: 'us-east-1' },
      },
    });
    expect(allocate?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('instances: launch, stop, start and terminate are the calls plus their state-change notifications', () => {
    const none = inv({ 'eu-west-1': {} });
    const running = inv({ 'eu-west-1': { instances: [web()] } });
    // A stopped instance loses its auto-assigned address: that is the stop's doing, not a call of its own.
    const stopped = inv({ 'eu-west-1': { instances: [web({ state: 'stopped' }, { association: undefined })] } });
    expect(names(inventoryEvents(none, running))).toEqual(['RunInstances', 'state:pending', 'state:running']);
    expect(names(inventoryEvents(running, stopped))).toEqual(['StopInstances', 'state:stopping', 'state:stopped']);
    expect(names(inventoryEvents(stopped, running))).toEqual(['StartInstances', 'state:pending', 'state:running']);
    expect(names(inventoryEvents(running, none))).toEqual(['TerminateInstances', 'state:shutting-down', 'state:terminated']);
    const [, pending] = inventoryEvents(none, running);
    expect(pending).toMatchObject({
      'detail-type': 'EC2 Instance State-change Notification',
      resources: [`arn:aws:ec2:eu-west-1:${A}:instance/i-0a1b2c3d4e5f60001`],
      detail: { 'instance-id': 'i-0a1b2c3d4e5f60001', state: 'pending' },
    });
  });

  it('interface addresses: IPv6 assigned and unassigned, a public IPv4 added to a running instance', () => {
    const before = inv({ 'eu-west-1': { instances: [web({}, { ipv6Addresses: ['2001:db8:a1::1'] })] } });
    const after = inv({ 'eu-west-1': { instances: [web({}, { ipv6Addresses: ['2001:db8:a1::2'], privateIpAddresses: [{ privateIpAddress: '10.0.1.11', association: { publicIp: '198.51.100.111' } }] })] } });
    expect(names(inventoryEvents(before, after))).toEqual(['ModifyNetworkInterfaceAttribute', 'AssignIpv6Addresses', 'UnassignIpv6Addresses']);
    // The same IPv6 address spelled differently is no change.
    expect(inventoryEvents(before, inv({ 'eu-west-1': { instances: [web({}, { ipv6Addresses: ['2001:DB8:A1::1'] })] } }))).toEqual([]);
  });

  it('NAT gateways and load balancers are their own calls, one per load balancer however many interfaces', () => {
    const nat = { networkInterfaceId: 'eni-0c1c2d3e4f5a60001', interfaceType: 'nat_gateway', description: 'Interface for NAT Gateway nat-0c1c2d3e4f5a60001', association: { publicIp: '198.51.100.120' } };
    const nlb = (n: number, ip: string) => ({
      networkInterfaceId: `eni-0b1c2d3e4f5a6010${n}`,
      interfaceType: 'network_load_balancer',
      description: 'ELB net/api-nlb/50dc6c495c0c9188',
      requesterId: 'amazon-elb',
      association: { publicIp: ip },
    });
    const empty = inv({ 'us-east-1': {} });
    const both = inv({ 'us-east-1': { networkInterfaces: [nat, nlb(1, '198.51.100.111'), nlb(2, '198.51.100.112')] } });
    const events = inventoryEvents(empty, both);
    expect(names(events)).toEqual(['CreateNatGateway', 'CreateLoadBalancer']);
    expect(events[0]?.detail.responseElements).toMatchObject({ CreateNatGatewayResponse: { natGateway: { natGatewayId: 'nat-0c1c2d3e4f5a60001' } } });
    expect(events[1]).toMatchObject({
      source: 'aws.elasticloadbalancing',
      detail: { eventSource: 'elasticloadbalancing.amazonaws.com', requestParameters: { name: 'api-nlb', type: 'network' } },
    });
    const oneAz = inv({ 'us-east-1': { networkInterfaces: [nat, nlb(1, '198.51.100.111')] } });
    expect(names(inventoryEvents(both, oneAz))).toEqual(['SetSubnets']);
    expect(names(inventoryEvents(both, empty))).toEqual(['DeleteNatGateway', 'DeleteLoadBalancer']);
  });

  it('every event names its own account and region, and the parser turns each into a hint for them', () => {
    const before = inv({ 'us-east-1': { addresses: [{ publicIp: '203.0.113.1' }] } });
    const after = inv({ 'us-east-1': {}, 'ap-southeast-2': { instances: [web()] } }, { [B]: { 'us-west-2': { addresses: [{ publicIp: '203.0.113.2' }] } } });
    const events = inventoryEvents(before, after);
    expect(events.map((e) => `${e.account}/${e.region}`)).toEqual([
      `${A}/us-east-1`,
      `${A}/ap-southeast-2`,
      `${A}/ap-southeast-2`,
      `${A}/ap-southeast-2`,
      `${B}/us-west-2`,
    ]);
    for (const e of events) {
      const parsed = parseEvent(JSON.parse(JSON.stringify(e)));
      expect(parsed).toMatchObject({ ok: true, id: e.id, hints: [{ vendor: 'aws', account: e.account, region: e.region }] });
    }
  });
});

describe('aws fake: events queue', () => {
  let fake: AwsFake | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const receiveAll = async (f: AwsFake, waitSeconds = 0) => {
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: f.url, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: f.eventsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }));
      return (out.Messages ?? []).map((m) => m.Body ?? '');
    } finally {
      sqs.destroy();
    }
  };

  it('PUT /_admin/inventory swaps what EC2 serves and queues the events; a bad inventory changes nothing', async () => {
    const seen: EventBridgeEvent[] = [];
    fake = await startAwsFake({ inventory: inv({ 'us-east-1': {} }), events: { queue: 'ors-events' }, onEvent: (e) => seen.push(e) });
    expect(fake.eventsQueueUrl).toBe(`${fake.url}/${A}/ors-events`);
    const put = (body: string) => fetch(`${fake!.url}/_admin/inventory`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
    const ok = await put(JSON.stringify({ aws: { accounts: { [A]: { regions: { 'us-east-1': { addresses: [{ publicIp: '203.0.113.7' }] } } } } } }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ events: 1 });
    const bodies = await receiveAll(fake);
    expect(bodies.map((b) => JSON.parse(b).detail.eventName)).toEqual(['AllocateAddress']);
    expect(seen.map((e) => e.detail.eventName)).toEqual(['AllocateAddress']);
    const bad = await put(JSON.stringify({ aws: { accounts: { [A]: { regions: { 'us-east-1': { addresses: [{ publicIp: 'not-an-ip' }] } } } } } }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('aws.accounts.111122223333.regions.us-east-1.addresses[0].publicIp: not an IPv4 address');
    expect((await put('{nope')).status).toBe(400);
    const raw = await fetch(`${fake.url}/_admin/events/raw`, { method: 'POST', body: 'garbage <xml/>' });
    expect(raw.status).toBe(200);
    expect(await receiveAll(fake)).toEqual(['garbage <xml/>']);
  });

  it('a watched inventory file: each saved edit becomes events within moments; a broken file is reported and ignored', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ors-aws-events-'));
    const file = join(dir, 'inventory.yaml');
    const yaml = (ip: string) => `aws:\n  accounts:\n    '${A}':\n      regions:\n        eu-west-1:\n          addresses:\n            - publicIp: ${ip}\n`;
    await writeFile(file, yaml('203.0.113.20'));
    const errors: Error[] = [];
    fake = await startAwsFake({ inventory: inv({ 'eu-west-1': { addresses: [{ publicIp: '203.0.113.20' }] } }), inventoryFile: file, events: { queue: 'ors-events' }, onInventoryError: (e) => errors.push(e) });
    await new Promise((r) => setTimeout(r, 150));
    // Saved the way editors do: a new file renamed over the old one.
    await writeFile(`${file}.tmp`, yaml('203.0.113.21'));
    await rename(`${file}.tmp`, file);
    const bodies = await receiveAll(fake, 5);
    expect(bodies.map((b) => JSON.parse(b).detail.eventName).sort()).toEqual(['AllocateAddress', 'ReleaseAddress']);
    await writeFile(file, 'aws: [unclosed');
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(errors.length).toBeGreaterThan(0);
    expect(await receiveAll(fake)).toEqual([]);
  });
});
