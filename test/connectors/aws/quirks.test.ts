import { DescribeAddressesCommand, DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connector, ScanResult } from '../../../connectors/connector.ts';
import { configSchema, create } from '../../../connectors/aws/index.ts';
import { startAwsFake, type AwsFake } from '../../../src/emulators/aws/index.ts';
import { mustCanonicalIp } from '../../../src/model/index.ts';

// The connector against EC2 implementations other than AWS's own (and AWS's documented limits): filters
// an endpoint does not implement, empty elements for absent members, regions listed though not opted in,
// IPv6 in any spelling, and the 200-filter-value limit.

const ENV = { K: 'AKIDFAKEEXAMPLE0004', S: 'fake-secret-value-0004' };
const ACCOUNT = '135792468024';
const fakes: AwsFake[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(aws: Record<string, unknown>, pageSize?: number): Promise<AwsFake> {
  const f = await startAwsFake({ inventory: { aws }, ...(pageSize ? { pageSize } : {}) });
  fakes.push(f);
  return f;
}

interface LogLine {
  level: number;
  msg: string;
  scope?: string;
  region?: string;
  filter?: string;
}

function connector(f: AwsFake, extra: Record<string, unknown> = {}): { c: Connector; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s) as LogLine) });
  const config = configSchema.parse({ name: 'quirks', type: 'aws', endpoint: f.url, accountId: ACCOUNT, credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' }, ...extra });
  return { c: create(config, { configDir: '.', logger, env: ENV }), logs };
}

async function scanAll(c: Connector): Promise<Record<string, ScanResult>> {
  const signal = new AbortController().signal;
  const out: Record<string, ScanResult> = {};
  for (const s of await c.listScopes(signal)) out[s.region] = await c.discover(s, signal);
  return out;
}

/** A region with one of each: an Elastic IP, an instance with an auto-assigned IPv4 and an IPv6 (odd spelling), an IPv6-only NLB interface. */
function region(net: number, instances = 1) {
  return {
    addresses: [{ publicIp: `203.0.${net}.1`, tags: { 'cf-origin': 'true' } }],
    networkInterfaces: [
      {
        networkInterfaceId: `eni-${net}ff`,
        interfaceType: 'network_load_balancer',
        ipv6Addresses: [`2001:0DB8:00${net}:0000:0000:0001:0000:00FF`],
        tags: { 'cf-origin': 'true' },
      },
      // Private only: listed, but nothing to map (and its instance's tags are never asked for).
      { networkInterfaceId: `eni-${net}ee`, privateIpAddress: '10.0.0.9', attachment: { instanceId: `i-${net}ee` } },
    ],
    instances: Array.from({ length: instances }, (_, i) => ({
      instanceId: `i-${net}${i.toString(16).padStart(5, '0')}`,
      tags: { 'cf-origin': 'true' },
      networkInterfaces: [
        {
          networkInterfaceId: `eni-${net}${i.toString(16).padStart(5, '0')}`,
          association: { publicIp: `198.${net}.${i >> 8}.${i & 255}` },
          ipv6Addresses: [{ ipv6Address: `2001:DB8:${net}:0:0:0:${(i >> 8).toString(16)}:${(i & 255).toString(16).toUpperCase()}`, isPrimaryIpv6: true }],
        },
      ],
    })),
  };
}

const expected = (net: number, instances = 1) =>
  [
    `203.0.${net}.1`,
    `2001:db8:${net}::1:0:ff`,
    // Written in upper case with every zero group: reported in RFC 5952 form.
    ...Array.from({ length: instances }, (_, i) => [`198.${net}.${i >> 8}.${i & 255}`, mustCanonicalIp(`2001:db8:${net}:0:0:0:${(i >> 8).toString(16)}:${(i & 255).toString(16)}`)]).flat(),
  ].sort();

const ips = (r: ScanResult | undefined) => (r?.origins ?? []).map((o) => o.ip).sort();

describe('aws connector against other EC2 implementations', () => {
  it('finds Elastic IPs, interface IPv4 and IPv6 when the endpoint implements none of the filters, logging once per scope', async () => {
    const f = await fake({
      accounts: { [ACCOUNT]: { regions: { 'us-east-1': region(51), 'eu-west-1': region(52, 3) } } },
      // The filters a third-party EC2 server answered with HTTP 500.
      quirks: { unsupportedFilters: ['association.public-ip', 'ipv6-addresses.ipv6-address', 'resource-id', 'resource-type'] },
    });
    const { c, logs } = connector(f, { tags: { 'cf-origin': 'true' } });
    const r = await scanAll(c);
    expect(r['us-east-1']).toMatchObject({ status: 'complete', skipped: [] });
    expect(r['us-east-1']?.error).toBeUndefined();
    expect(ips(r['us-east-1'])).toEqual(expected(51));
    expect(r['eu-west-1']?.status).toBe('complete');
    expect(ips(r['eu-west-1'])).toEqual(expected(52, 3));
    // The instance tags came through the unfiltered DescribeTags: the include filter kept the instances.
    expect(r['eu-west-1']?.origins.find((o) => o.ip === '198.52.0.2')?.tags).toEqual({ 'cf-origin': 'true' });
    const dropped = logs.filter((l) => l.filter !== undefined);
    expect(dropped.map((l) => [l.level, l.scope, l.filter])).toEqual([
      [40, 'quirks/aws/135792468024/eu-west-1', 'resource-id'],
      [40, 'quirks/aws/135792468024/us-east-1', 'resource-id'],
    ]);
    expect(dropped[0]?.msg).toMatch(/refused a filter/);
  });

  it('completes a region with 450 tagged instances: instance tags asked at most 200 filter values per request', async () => {
    const f = await fake({ accounts: { [ACCOUNT]: { regions: { 'eu-west-1': region(60, 450) } } } }, 1000);
    const { c, logs } = connector(f, { tags: { 'cf-origin': 'true' } });
    const r = await scanAll(c);
    expect(r['eu-west-1']?.error).toBeUndefined();
    expect(r['eu-west-1']?.status).toBe('complete');
    expect(r['eu-west-1']?.origins).toHaveLength(2 + 900);
    expect(logs.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('reads empty elements for absent members as absent (no blank addresses, paging ends on an empty token)', async () => {
    const inv = { 'us-east-1': region(53, 7), 'us-west-2': { addresses: [{ publicIp: '203.0.113.9' }] } };
    const plain = await scanAll(connector(await fake({ accounts: { [ACCOUNT]: { regions: inv } } })).c);
    const f = await fake({ accounts: { [ACCOUNT]: { regions: inv } }, quirks: { emptyFields: true } });
    const r = await scanAll(connector(f).c);
    expect(Object.keys(r).sort()).toEqual(['us-east-1', 'us-west-2']);
    for (const name of ['us-east-1', 'us-west-2']) {
      expect(r[name]?.status).toBe('complete');
      expect(r[name]?.skipped).toEqual([]);
      expect(ips(r[name])).toEqual(ips(plain[name]));
    }
    expect(ips(r['us-east-1'])).toEqual(expected(53, 7));
    // The empty elements were really sent: an unassociated Elastic IP's <instanceId></instanceId> reads as ''.
    const c = new EC2Client({ region: 'us-west-2', endpoint: f.url, credentials: { accessKeyId: 'AKIDX', secretAccessKey: 'x' }, maxAttempts: 1 });
    expect((await c.send(new DescribeAddressesCommand({}))).Addresses?.[0]?.InstanceId).toBe('');
    expect(r['us-west-2']?.origins[0]?.source).toMatch(/unassociated/);
  });

  it('stops paging an endpoint that hands back the token it was given, and ends that scope partial instead of looping', { timeout: 30_000 }, async () => {
    const f = await fake({ accounts: { [ACCOUNT]: { regions: { 'us-east-1': region(56, 30) } } }, quirks: { repeatsNextToken: true } }, 5);
    const r = await scanAll(connector(f).c);
    // Partial, as any listing that breaks off: nothing in the scope is deleted on its account.
    expect(r['us-east-1']?.status).toBe('partial');
    expect(r['us-east-1']?.error).toMatch(/^DescribeNetworkInterfaces: the same NextToken came back twice/);
    // Two pages asked for, not thousands.
    expect(f.requestCount()).toBeLessThan(10);
  });

  it('does not scan regions listed as not opted in, and says so for a configured one', async () => {
    const f = await fake({
      accounts: { [ACCOUNT]: { regions: { 'us-east-1': region(54) }, disabledRegions: ['af-south-1', 'me-south-1'] } },
      quirks: { listsDisabledRegions: true },
    });
    const { c, logs } = connector(f, { regions: ['af-south-1', 'us-*', 'me-*'] });
    const scopes = await c.listScopes(new AbortController().signal);
    expect(scopes.map((s) => s.region)).toEqual(['us-east-1']);
    const warned = logs.filter((l) => l.level === 40);
    expect(warned.map((l) => l.msg)).toEqual(['configured region is not opted in (opt-in-status not-opted-in): enable it in the account to scan it; skipped']);
    expect(warned[0]).toMatchObject({ region: 'af-south-1' });
  });
});

describe('aws fake enforces EC2 request limits', () => {
  it('refuses more than 200 filter values in one request (FilterLimitExceeded, HTTP 400), and MaxResults on unpaginated calls', async () => {
    const f = await fake({ accounts: { [ACCOUNT]: { regions: { 'us-east-1': {} } } } });
    const c = new EC2Client({ region: 'us-east-1', endpoint: f.url, credentials: { accessKeyId: 'AKIDX', secretAccessKey: 'x' }, maxAttempts: 1 });
    const ids = Array.from({ length: 200 }, (_, i) => `i-${i.toString(16).padStart(8, '0')}`);
    await expect(c.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: ids }] }))).resolves.toMatchObject({ Tags: [] });
    await expect(
      c.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['instance'] }, { Name: 'resource-id', Values: ids }] })),
    ).rejects.toMatchObject({ name: 'FilterLimitExceeded', $metadata: { httpStatusCode: 400 } });
    await expect(c.send(new DescribeTagsCommand({ MaxResults: 4 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const res = await fetch(f.url, {
      method: 'POST',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDX/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0' },
      body: 'Action=DescribeAddresses&Version=2016-11-15&MaxResults=5',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>UnknownParameter</Code>');
  });
});
