import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBody, parseEvent } from '../../connectors/aws/envelope.ts';

// EventBridge envelopes as AWS delivers them (shapes from the EventBridge, CloudTrail and EC2 user guides),
// parsed into hints: which account and region to rediscover. Never an address.

const cloudTrail = (detail: Record<string, unknown>, envelope: Record<string, unknown> = {}) => ({
  version: '0',
  id: '6f6a5b1e-2f0c-4b0e-9c1d-0a1b2c3d4e5f',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2025-03-04T10:20:30Z',
  region: 'eu-west-1',
  resources: [],
  detail: {
    eventVersion: '1.09',
    userIdentity: { type: 'AssumedRole', accountId: '111122223333', arn: 'arn:aws:sts::111122223333:assumed-role/deploy/ci' },
    eventTime: '2025-03-04T10:20:29Z',
    eventSource: 'ec2.amazonaws.com',
    awsRegion: 'eu-west-1',
    readOnly: false,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    ...detail,
  },
  ...envelope,
});

const ALLOCATE = cloudTrail({
  eventName: 'AllocateAddress',
  requestParameters: { domain: 'vpc' },
  responseElements: { requestId: 'r', publicIp: '203.0.113.9', domain: 'vpc', allocationId: 'eipalloc-0a1b2c3d4e5f60999', networkBorderGroup: 'eu-west-1' },
});

describe('aws envelope: CloudTrail calls', () => {
  it('an AllocateAddress names account, region, the allocation and the call, with the event time', () => {
    expect(parseEvent(ALLOCATE)).toEqual({
      ok: true,
      id: '6f6a5b1e-2f0c-4b0e-9c1d-0a1b2c3d4e5f',
      time: Date.parse('2025-03-04T10:20:30Z'),
      hints: [{ vendor: 'aws', account: '111122223333', region: 'eu-west-1', resource: 'eipalloc-0a1b2c3d4e5f60999', action: 'AllocateAddress' }],
    });
  });

  it.each([
    ['ReleaseAddress', { allocationId: 'eipalloc-0a1b2c3d4e5f60999' }, null, 'eipalloc-0a1b2c3d4e5f60999'],
    ['AssociateAddress', { allocationId: 'eipalloc-0a1b2c3d4e5f60999', instanceId: 'i-0a1b2c3d4e5f60001' }, { associationId: 'eipassoc-0a1b2c3d4e5f60999' }, 'eipassoc-0a1b2c3d4e5f60999,eipalloc-0a1b2c3d4e5f60999,i-0a1b2c3d4e5f60001'],
    ['DisassociateAddress', { associationId: 'eipassoc-0a1b2c3d4e5f60999' }, { _return: true }, 'eipassoc-0a1b2c3d4e5f60999'],
    ['RunInstances', { instancesSet: { items: [{ imageId: 'ami-1', minCount: 1, maxCount: 1 }] } }, { instancesSet: { items: [{ instanceId: 'i-0a1b2c3d4e5f60010' }] } }, 'i-0a1b2c3d4e5f60010'],
    ['TerminateInstances', { instancesSet: { items: [{ instanceId: 'i-0a1b2c3d4e5f60010' }] } }, null, 'i-0a1b2c3d4e5f60010'],
    ['StartInstances', { instancesSet: { items: [{ instanceId: 'i-0a1b2c3d4e5f60010' }] } }, null, 'i-0a1b2c3d4e5f60010'],
    ['StopInstances', { instancesSet: { items: [{ instanceId: 'i-0a1b2c3d4e5f60010' }] }, force: false }, null, 'i-0a1b2c3d4e5f60010'],
    ['AssignIpv6Addresses', { AssignIpv6AddressesRequest: { NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001', Ipv6AddressCount: 1 } }, null, 'eni-0a1b2c3d4e5f60001'],
    ['UnassignIpv6Addresses', { UnassignIpv6AddressesRequest: { NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001' } }, null, 'eni-0a1b2c3d4e5f60001'],
    ['CreateNatGateway', { CreateNatGatewayRequest: { SubnetId: 'subnet-1' } }, { CreateNatGatewayResponse: { natGateway: { natGatewayId: 'nat-0a1b2c3d4e5f60001' } } }, 'nat-0a1b2c3d4e5f60001'],
    ['DeleteNatGateway', { DeleteNatGatewayRequest: { NatGatewayId: 'nat-0a1b2c3d4e5f60001' } }, null, 'nat-0a1b2c3d4e5f60001'],
    ['ModifyNetworkInterfaceAttribute', { networkInterfaceId: 'eni-0a1b2c3d4e5f60001', associatePublicIpAddress: true }, null, 'eni-0a1b2c3d4e5f60001'],
  ])('%s is a hint for its account and region', (eventName, requestParameters, responseElements, resource) => {
    const parsed = parseEvent(cloudTrail({ eventName, requestParameters, responseElements }));
    expect(parsed).toMatchObject({ ok: true, hints: [{ vendor: 'aws', account: '111122223333', region: 'eu-west-1', resource, action: eventName }] });
  });

  it('elasticloadbalancing CreateLoadBalancer and DeleteLoadBalancer name the load balancer', () => {
    const arn = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/api/50dc6c495c0c9188';
    const create = cloudTrail(
      { eventSource: 'elasticloadbalancing.amazonaws.com', eventName: 'CreateLoadBalancer', requestParameters: { name: 'api', type: 'network' }, responseElements: { loadBalancers: [{ loadBalancerArn: arn }] } },
      { source: 'aws.elasticloadbalancing' },
    );
    expect(parseEvent(create)).toMatchObject({ ok: true, hints: [{ region: 'eu-west-1', resource: arn, action: 'CreateLoadBalancer' }] });
    const classic = cloudTrail(
      { eventSource: 'elasticloadbalancing.amazonaws.com', eventName: 'DeleteLoadBalancer', requestParameters: { loadBalancerName: 'legacy-web' }, responseElements: null },
      { source: 'aws.elasticloadbalancing' },
    );
    expect(parseEvent(classic)).toMatchObject({ ok: true, hints: [{ resource: 'legacy-web', action: 'DeleteLoadBalancer' }] });
  });

  it('a call that failed (errorCode) changes nothing: ok, no hints', () => {
    const failed = cloudTrail({ eventName: 'AllocateAddress', errorCode: 'AddressLimitExceeded', errorMessage: 'The maximum number of addresses has been reached.', responseElements: null });
    expect(parseEvent(failed)).toEqual({ ok: true, id: failed.id, time: Date.parse(failed.time), hints: [] });
  });

  it('calls that cannot move an address, read-only calls and other services are ok with no hints', () => {
    expect(parseEvent(cloudTrail({ eventName: 'CreateTags' }))).toMatchObject({ ok: true, hints: [] });
    expect(parseEvent(cloudTrail({ eventName: 'DescribeInstances', readOnly: true }))).toMatchObject({ ok: true, hints: [] });
    expect(parseEvent(cloudTrail({ eventSource: 's3.amazonaws.com', eventName: 'CreateLoadBalancer' }, { source: 'aws.s3' }))).toMatchObject({ ok: true, hints: [] });
    expect(parseEvent({ ...ALLOCATE, 'detail-type': 'EC2 Spot Instance Interruption Warning', detail: { 'instance-id': 'i-1' } })).toMatchObject({ ok: true, hints: [] });
  });

  it('the region is the call\'s awsRegion, the account the envelope\'s; each falls back when absent or not an id', () => {
    // A central bus keeps the source account and region in the envelope; CloudTrail's own fields agree.
    const forwarded = cloudTrail({ eventName: 'ReleaseAddress', awsRegion: 'ap-southeast-2' }, { region: 'us-east-1' });
    expect(parseEvent(forwarded)).toMatchObject({ hints: [{ account: '111122223333', region: 'ap-southeast-2' }] });
    const { account: _, ...noAccount } = cloudTrail({ eventName: 'ReleaseAddress', recipientAccountId: '444455556666' });
    expect(parseEvent(noAccount)).toMatchObject({ hints: [{ account: '444455556666' }] });
    const caller = cloudTrail({ eventName: 'ReleaseAddress', recipientAccountId: undefined }, { account: 'not-an-id' });
    expect(parseEvent(caller)).toMatchObject({ hints: [{ account: '111122223333' }] });
    // Nothing usable: the hint widens to every account and region of the vendor rather than guessing.
    const bare = cloudTrail({ eventName: 'ReleaseAddress', awsRegion: 'Moon', recipientAccountId: undefined, userIdentity: {} }, { account: undefined, region: '' });
    const parsed = parseEvent(bare);
    expect(parsed).toMatchObject({ ok: true, hints: [{ vendor: 'aws', action: 'ReleaseAddress' }] });
    expect(parsed.ok && parsed.hints[0]).not.toHaveProperty('account');
    expect(parsed.ok && parsed.hints[0]).not.toHaveProperty('region');
  });
});

describe('aws envelope: state changes and SNS', () => {
  const STATE = {
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '123456789012',
    time: '2021-11-11T21:29:54Z',
    region: 'us-east-1',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
    detail: { 'instance-id': 'i-abcd1111', state: 'running' },
  };

  it('an instance state change carries no address; the hint says which instance and state', () => {
    expect(parseEvent(STATE)).toEqual({
      ok: true,
      id: STATE.id,
      time: Date.parse(STATE.time),
      hints: [{ vendor: 'aws', account: '123456789012', region: 'us-east-1', resource: 'i-abcd1111', action: 'instance running' }],
    });
    expect(parseEvent({ ...STATE, detail: { state: 'running' } })).toMatchObject({ ok: false, reason: expect.stringContaining('instance-id') });
  });

  it('unwraps an EventBridge event that SNS delivered (raw message delivery off)', () => {
    const sns = {
      Type: 'Notification',
      MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:ec2-events',
      Message: JSON.stringify(STATE),
      Timestamp: '2021-11-11T21:29:55.000Z',
      SignatureVersion: '1',
    };
    expect(parseEvent(sns)).toEqual(parseEvent(STATE));
    expect(parseEvent({ ...sns, Message: 'plain text alarm' })).toMatchObject({ ok: false, reason: expect.stringContaining('not JSON') });
    expect(parseEvent({ ...sns, Message: JSON.stringify({ hello: 1 }) })).toMatchObject({ ok: false, reason: expect.stringMatching(/^SNS notification: not an EventBridge event/) });
    expect(parseEvent({ ...sns, Type: 'SubscriptionConfirmation', SubscribeURL: 'https://sns.example/confirm?Token=secret' })).toMatchObject({
      ok: false,
      reason: expect.not.stringContaining('secret'),
    });
  });
});

describe('aws envelope: malformed input', () => {
  it.each([
    ['an array', [ALLOCATE], /expected a JSON object, got an array/],
    ['null', null, /got null/],
    ['a number', 42, /got number/],
    ['an object without the envelope', { hello: 'world' }, /missing id, detail-type, source, detail/],
    ['an envelope without detail', { ...ALLOCATE, detail: undefined }, /missing detail|detail is not an object/],
    ['a CloudTrail event without eventName', cloudTrail({ eventName: undefined }), /without detail.eventSource or detail.eventName/],
  ])('%s is ok:false with a reason', (_what, input, reason) => {
    const parsed = parseEvent(input);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });

  it('parseBody refuses text that is not JSON, with a short reason', () => {
    const parsed = parseBody('<xml>not json</xml>');
    expect(parsed).toMatchObject({ ok: false, reason: expect.stringMatching(/^body is not JSON/) });
    expect(!parsed.ok && parsed.reason.length).toBeLessThan(120);
    expect(parseBody(JSON.stringify(ALLOCATE))).toEqual(parseEvent(ALLOCATE));
  });

  it('never throws, whatever the JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const parsed = parseEvent(v);
        expect(typeof parsed.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
    // Envelope-shaped values with arbitrary members, too.
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), (detail, resources) => {
        parseEvent({ ...ALLOCATE, resources, detail: { ...ALLOCATE.detail, ...detail } });
        parseEvent({ ...ALLOCATE, detail: { ...detail, eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances' } });
      }),
      { numRuns: 300 },
    );
  });
});
