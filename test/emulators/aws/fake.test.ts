import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DescribeAddressesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRegionsCommand,
  DescribeTagsCommand,
  EC2Client,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAwsInventory } from '../../../src/emulators/aws/inventory.ts';
import { awsInventoryJsonSchema } from '../../../src/emulators/aws/schema.ts';
import { startAwsFake, type AwsFake } from '../../../src/emulators/aws/index.ts';
import { loadInventoryFile } from '../../../src/emulators/inventory.ts';

// The fake on its own: the wire protocol as @aws-sdk/client-ec2 sees it, and malformed requests.

const FIXTURE = fileURLToPath(new URL('../../fixtures/inventory-aws.yaml', import.meta.url));
const CREDS = { accessKeyId: 'AKIDFAKEEXAMPLE0003', secretAccessKey: 'fake' };

function ec2(fake: AwsFake, region: string): EC2Client {
  return new EC2Client({ region, endpoint: fake.url, credentials: CREDS, maxAttempts: 1 });
}

/** A request as the SDK would send it, minus a valid signature (the fake reads only the scope). */
async function raw(fake: AwsFake, body: string, opts: { region?: string; service?: string; auth?: string | null; method?: string; key?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const auth =
    opts.auth === undefined
      ? `AWS4-HMAC-SHA256 Credential=${opts.key ?? 'AKIDFAKE'}/20250101/${opts.region ?? 'us-east-1'}/${opts.service ?? 'ec2'}/aws4_request, SignedHeaders=host, Signature=0`
      : opts.auth;
  if (auth !== null) headers.authorization = auth;
  const res = await fetch(fake.url, { method: opts.method ?? 'POST', headers, ...(opts.method === 'GET' ? {} : { body }) });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

const code = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];

describe('aws fake', () => {
  let fake: AwsFake;
  beforeAll(async () => {
    fake = await startAwsFake({ inventory: await loadInventoryFile(FIXTURE) });
  });
  afterAll(() => fake.close());

  it('lists enabled regions, and disabled opt-in ones only with AllRegions', async () => {
    const c = ec2(fake, 'us-east-1');
    const enabled = await c.send(new DescribeRegionsCommand({}));
    expect(enabled.Regions?.map((r) => [r.RegionName, r.OptInStatus])).toEqual([
      ['ap-southeast-2', 'opt-in-not-required'],
      ['eu-central-1', 'opt-in-not-required'],
      ['eu-west-1', 'opt-in-not-required'],
      ['us-east-1', 'opt-in-not-required'],
    ]);
    const all = await c.send(new DescribeRegionsCommand({ AllRegions: true, Filters: [{ Name: 'opt-in-status', Values: ['not-opted-in'] }] }));
    expect(all.Regions?.map((r) => r.RegionName)).toEqual(['af-south-1', 'me-south-1']);
    // A call into a region the account has not enabled is refused as AWS does.
    await expect(ec2(fake, 'af-south-1').send(new DescribeAddressesCommand({}))).rejects.toMatchObject({ name: 'AuthFailure', $metadata: { httpStatusCode: 401 } });
  });

  it('honours the filters the connector uses, with wildcards, and tag filters', async () => {
    const c = ec2(fake, 'us-east-1');
    const nlb = await c.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: ['ELB net/*'] }] }));
    expect(nlb.NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual(['eni-0b1c2d3e4f5a60101', 'eni-0b1c2d3e4f5a60102']);
    expect(nlb.NetworkInterfaces?.[0]).toMatchObject({ InterfaceType: 'network_load_balancer', RequesterId: 'amazon-elb', RequesterManaged: true, Association: { PublicIp: '198.51.100.111' } });
    const v6 = await c.send(new DescribeNetworkInterfacesCommand({ MaxResults: 1000, Filters: [{ Name: 'ipv6-addresses.ipv6-address', Values: ['*'] }] }));
    // Served as written (the connector canonicalizes): the region's own interfaces, then the instances'.
    expect(v6.NetworkInterfaces?.map((n) => n.Ipv6Addresses?.[0]?.Ipv6Address)).toEqual(['2001:db8:a1:0:0:0:0:106', 'fd00:ec2:a1::107', '2001:DB8:A1:0:0:0:0:100', '2001:0db8:00a1:0000:0000:0000:0000:0103']);
    // An instance's interface is listed attached to it; the secondary IP's association is there too.
    const web2 = await c.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: ['i-0a1b2c3d4e5f60002'] }] }));
    expect(web2.NetworkInterfaces?.[0]).toMatchObject({
      Attachment: { InstanceId: 'i-0a1b2c3d4e5f60002', DeviceIndex: 0, Status: 'attached' },
      PrivateIpAddresses: [
        { PrivateIpAddress: '10.0.1.20', Primary: true, Association: { PublicIp: '198.51.100.102' } },
        { PrivateIpAddress: '10.0.1.21', Primary: false, Association: { PublicIp: '203.0.113.102' } },
      ],
    });
    const tagged = await c.send(new DescribeAddressesCommand({ Filters: [{ Name: 'tag:cf-origin', Values: ['true'] }] }));
    expect(tagged.Addresses?.map((a) => [a.PublicIp, a.AllocationId, a.Domain, a.NetworkBorderGroup])).toEqual([['203.0.113.101', 'eipalloc-0a1b2c3d4e5f60101', 'vpc', 'us-east-1']]);
    await expect(c.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: "The filter 'no-such-filter' is invalid",
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('pages DescribeInstances by NextToken, one reservation per instance, with what the SDK reads', async () => {
    const c = ec2(fake, 'us-east-1');
    const pages = [];
    for await (const p of paginateDescribeInstances({ client: c, pageSize: 5 }, {})) pages.push(p);
    expect(pages.map((p) => p.Reservations?.length)).toEqual([5, 2]);
    const instances = pages.flatMap((p) => p.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    expect(instances[0]).toMatchObject({
      InstanceId: 'i-0a1b2c3d4e5f60001',
      InstanceType: 'm7g.large',
      State: { Code: 16, Name: 'running' },
      PublicIpAddress: '203.0.113.100',
      Ipv6Address: '2001:DB8:A1:0:0:0:0:100',
      Placement: { AvailabilityZone: 'us-east-1a' },
    });
    expect(instances.find((i) => i.InstanceId === 'i-0a1b2c3d4e5f60007')).toMatchObject({ State: { Code: 80, Name: 'stopped' } });
    expect(instances[0]?.Tags).toEqual(expect.arrayContaining([{ Key: 'cf-origin', Value: 'true' }]));
  });

  it('lists tags by resource with DescribeTags', async () => {
    const out = await ec2(fake, 'us-east-1').send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: ['i-0a1b2c3d4e5f60001', 'eni-0b1c2d3e4f5a60106'] }] }),
    );
    expect(out.Tags?.map((t) => [t.ResourceId, t.ResourceType, t.Key, t.Value])).toEqual([
      ['i-0a1b2c3d4e5f60001', 'instance', 'Name', 'web-1'],
      ['i-0a1b2c3d4e5f60001', 'instance', 'cf-origin', 'true'],
      ['i-0a1b2c3d4e5f60001', 'instance', 'team', 'web'],
      ['eni-0b1c2d3e4f5a60106', 'network-interface', 'cf-origin', 'true'],
      ['eni-0b1c2d3e4f5a60106', 'network-interface', 'Name', 'v6-only'],
    ]);
  });

  it('answers faults from the inventory in the EC2 error shape', async () => {
    const denied = await raw(fake, 'Action=DescribeAddresses&Version=2016-11-15', { region: 'ap-southeast-2' });
    expect(denied.status).toBe(403);
    expect(denied.type).toMatch(/^text\/xml/);
    expect(denied.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>UnauthorizedOperation<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/);
    // Only the named action fails in eu-central-1.
    expect((await raw(fake, 'Action=DescribeTags&Version=2016-11-15', { region: 'eu-central-1' })).status).toBe(503);
    expect((await raw(fake, 'Action=DescribeAddresses&Version=2016-11-15', { region: 'eu-central-1' })).status).toBe(200);
  });

  it('answers malformed requests with a 4xx in the vendor\'s error shape, and keeps serving', async () => {
    const cases: Array<[Parameters<typeof raw>[1], Parameters<typeof raw>[2], number, string]> = [
      ['Action=DescribeRegions', { auth: null }, 401, 'MissingAuthenticationToken'],
      ['Action=DescribeRegions', { auth: 'Bearer abc' }, 401, 'MissingAuthenticationToken'],
      ['Action=DescribeRegions', { service: 'iam' }, 400, 'IncompleteSignature'],
      ['Version=2016-11-15', {}, 400, 'MissingAction'],
      ['Action=RunInstances&Version=2016-11-15', {}, 400, 'InvalidAction'],
      ['Action=DescribeNetworkInterfaces&MaxResults=1001', {}, 400, 'InvalidParameterValue'],
      ['Action=DescribeNetworkInterfaces&MaxResults=abc', {}, 400, 'InvalidParameterValue'],
      ['Action=DescribeNetworkInterfaces&NextToken=not-a-token', {}, 400, 'InvalidPaginationToken'],
      ['Action=DescribeNetworkInterfaces&Filter.1.Value.1=x', {}, 400, 'InvalidParameterValue'],
      ['Action=DescribeNetworkInterfaces&Filter.1.Name=status', {}, 400, 'InvalidParameterValue'],
      ['Action=DescribeNetworkInterfaces&NetworkInterfaceId.1=eni-missing', {}, 400, 'InvalidNetworkInterfaceID.NotFound'],
      ['Action=DescribeRegions&AllRegions=maybe', {}, 400, 'InvalidParameterValue'],
      ['Action=DescribeRegions', { key: 'ASIA111122223333ABCD' }, 401, 'AuthFailure'], // temporary key without its session token
      ['\u0000\u0001%%%&&&=', {}, 400, 'MissingAction'],
      ['Action=DescribeRegions', { method: 'PUT' }, 405, 'UnsupportedHttpVerb'],
    ];
    for (const [body, opts, status, want] of cases) {
      const r = await raw(fake, body, opts);
      expect([body, r.status, code(r.text)]).toEqual([body, status, want]);
      expect(r.text).toContain('<Response><Errors><Error>');
    }
    const big = await raw(fake, `Action=DescribeRegions&Pad=${'x'.repeat(1024 * 1024 + 10)}`);
    expect([big.status, code(big.text)]).toEqual([413, 'RequestEntityTooLarge']);
    expect((await raw(fake, 'Action=DescribeRegions&Version=2016-11-15')).status).toBe(200);
  });

  it('refuses a NextToken replayed with other filters', async () => {
    const first = await raw(fake, 'Action=DescribeNetworkInterfaces&Filter.1.Name=association.public-ip&Filter.1.Value.1=*');
    const token = /<nextToken>([^<]+)<\/nextToken>/.exec(first.text)?.[1];
    expect(token).toBeDefined();
    const ok = await raw(fake, `Action=DescribeNetworkInterfaces&Filter.1.Name=association.public-ip&Filter.1.Value.1=*&NextToken=${token}`);
    expect(ok.status).toBe(200);
    const other = await raw(fake, `Action=DescribeNetworkInterfaces&Filter.1.Name=ipv6-addresses.ipv6-address&Filter.1.Value.1=*&NextToken=${token}`);
    expect([other.status, code(other.text)]).toEqual([400, 'InvalidPaginationToken']);
  });

  it('speaks STS: AssumeRole checks the trust (role, external id); GetCallerIdentity names the account', async () => {
    const sts = (body: string, key?: string) => raw(fake, `${body}&Version=2011-06-15`, { service: 'sts', ...(key ? { key } : {}) });
    const denied = await sts('Action=AssumeRole&RoleArn=arn:aws:iam::444455556666:role/origin-region-sync&RoleSessionName=ors&ExternalId=wrong');
    expect(denied.status).toBe(403);
    expect(denied.text).toMatch(/^<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>AccessDenied<\/Code>/);
    expect((await sts('Action=AssumeRole&RoleArn=arn:aws:iam::444455556666:role/other&RoleSessionName=ok&ExternalId=ors-demo-7f3a')).status).toBe(403);
    expect((await sts('Action=AssumeRole&RoleArn=arn:aws:iam::999999999999:role/x&RoleSessionName=ok')).status).toBe(403);
    expect(code((await sts('Action=AssumeRole&RoleSessionName=ok')).text)).toBe('ValidationError');
    expect(code((await sts('Action=AssumeRole&RoleArn=arn:aws:iam::111122223333:role/x&RoleSessionName=a b')).text)).toBe('ValidationError');
    expect(code((await sts('Action=GetSessionToken')).text)).toBe('InvalidAction');

    const ok = await sts('Action=AssumeRole&RoleArn=arn:aws:iam::444455556666:role/origin-region-sync&RoleSessionName=ors&ExternalId=ors-demo-7f3a');
    expect(ok.status).toBe(200);
    const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(ok.text)?.[1] ?? '';
    expect(key).toMatch(/^ASIA444455556666/);
    expect(ok.text).toContain('<Arn>arn:aws:sts::444455556666:assumed-role/origin-region-sync/ors</Arn>');
    expect(ok.text).toMatch(/<Expiration>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/Expiration>/);

    const me = await sts('Action=GetCallerIdentity');
    expect(me.text).toContain('<Account>111122223333</Account>'); // defaultAccount
    const assumed = await fetch(fake.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=${key}/20250101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0`,
        'x-amz-security-token': 'token',
      },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(await assumed.text()).toContain('<Account>444455556666</Account>');
  });
});

describe('aws fake inventory', () => {
  const acct = (regions: unknown, extra: Record<string, unknown> = {}) => ({ aws: { accounts: { '123456789012': { regions, ...extra } } } });

  it('names the path of every problem', () => {
    const bad = {
      aws: {
        accounts: {
          '1234': { regions: {} },
          '123456789012': {
            roleArn: 'arn:aws:iam::999999999999:role/x',
            regions: {
              'Mars-1': {},
              'us-east-1': {
                networkInterfaces: [{ networkInterfaceId: 'eni-1', association: { publicIp: '2001:db8::1' } }, { networkInterfaceId: 'eni-1' }],
                instances: [{ instanceId: 'vm-1' }],
                addresses: [{ publicIp: '203.0.113.1', colour: 'blue' }],
              },
            },
          },
        },
      },
    };
    let message = '';
    try {
      parseAwsInventory(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n').slice(1).map((l) => l.trim()).sort()).toEqual(
      [
        'aws.accounts.1234: "1234" is not an account id (12 digits)',
        'aws.accounts.123456789012.regions.Mars-1: "Mars-1" is not an AWS region name',
        'aws.accounts.123456789012.regions.us-east-1.networkInterfaces[0].association.publicIp: not an IPv4 address',
        'aws.accounts.123456789012.regions.us-east-1.instances[0].instanceId: must look like i-0123abcd',
        'aws.accounts.123456789012.regions.us-east-1.addresses[0]: Unrecognized key: "colour"',
      ].sort(),
    );
    expect(() => parseAwsInventory(acct({ 'us-east-1': { networkInterfaces: [{ networkInterfaceId: 'eni-1' }, { networkInterfaceId: 'eni-1' }] } }))).toThrow(
      /aws\.accounts\.123456789012\.regions\.us-east-1\.networkInterfaces\[1\]\.networkInterfaceId: network interface eni-1 is listed twice/,
    );
    expect(() => parseAwsInventory(acct({}, { roleArn: 'arn:aws:iam::999999999999:role/x' }))).toThrow(/roleArn: role belongs to account 999999999999/);
    expect(() => parseAwsInventory({ gcp: {} })).toThrow(/no aws section/);
  });

  it('accepts the whole inventory or the aws section alone', async () => {
    const section = { accounts: { '123456789012': { regions: { 'us-east-1': {} } } } };
    expect(parseAwsInventory(section)).toEqual(parseAwsInventory({ aws: section, gcp: { projects: {} } }));
    const f = await startAwsFake({ inventory: section });
    await f.close();
    await expect(startAwsFake({ inventory: { aws: { accounts: [] } } })).rejects.toThrow(/invalid aws inventory/);
    await expect(startAwsFake({ inventory: section, pageSize: 0 })).rejects.toThrow(/pageSize/);
  });

  it('keeps inventory.schema.json in step with the zod schema', () => {
    const committed: unknown = JSON.parse(readFileSync(fileURLToPath(new URL('../../../src/emulators/aws/inventory.schema.json', import.meta.url)), 'utf8'));
    expect(committed).toEqual(awsInventoryJsonSchema());
  });

  it('stops promptly with a slow request in flight, and counts requests', async () => {
    const f = await startAwsFake({ inventory: acct({ 'us-east-1': { delayMs: 60_000 } }) });
    const pending = fetch(f.url, {
      method: 'POST',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0' },
      body: 'Action=DescribeRegions',
    }).then(
      (r) => r.status,
      () => 'closed',
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(f.requestCount()).toBe(1);
    const t0 = Date.now();
    await f.close();
    expect(Date.now() - t0).toBeLessThan(900); // not the 1 s fallback of http.close
    expect(await pending).toBeDefined();
  });
});
