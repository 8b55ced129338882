import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector, ScanResult, Scope } from '../../../connectors/connector.ts';
import { configSchema, create } from '../../../connectors/aws/index.ts';
import { startAwsFake, type AwsFake } from '../../../src/emulators/aws/index.ts';
import { loadInventoryFile, type Inventory } from '../../../src/emulators/inventory.ts';

// inventory file → AWS fake → @aws-sdk/client-ec2 (+ STS through @aws-sdk/credential-providers) → connector → ScanResult.

const FIXTURE = fileURLToPath(new URL('../../fixtures/inventory-aws.yaml', import.meta.url));
const ENV = { ORS_TEST_AWS_KEY: 'AKIDFAKEEXAMPLE0001', ORS_TEST_AWS_SECRET: 'fake-secret-value-0001' };
const CREDENTIALS = { accessKeyIdEnv: 'ORS_TEST_AWS_KEY', secretAccessKeyEnv: 'ORS_TEST_AWS_SECRET' };
const ROLES = [
  { roleArn: 'arn:aws:iam::111122223333:role/origin-region-sync' },
  { roleArn: 'arn:aws:iam::444455556666:role/origin-region-sync', externalId: 'ors-demo-7f3a' },
];

function connector(fake: AwsFake, extra: Record<string, unknown> = {}): Connector {
  const config = configSchema.parse({ name: 'aws-test', type: 'aws', endpoint: fake.url, credentials: CREDENTIALS, ...extra });
  return create(config, { configDir: '.', logger: pino({ level: 'silent' }), env: ENV });
}

async function discoverAll(c: Connector): Promise<Map<string, ScanResult>> {
  const signal = new AbortController().signal;
  const scopes = await c.listScopes(signal);
  const out = new Map<string, ScanResult>();
  for (const s of scopes) out.set(`${s.account}/${s.region}`, await c.discover(s, signal));
  return out;
}

const ips = (r: ScanResult | undefined) => (r?.origins ?? []).map((o) => o.ip).sort();

describe('aws connector against the fake, fixture inventory', () => {
  let inventory: Inventory;
  let fake: AwsFake;
  beforeAll(async () => {
    inventory = await loadInventoryFile(FIXTURE);
    fake = await startAwsFake({ inventory });
  });
  afterAll(() => fake.close());

  it('lists enabled regions per assumed-role account and finds exactly the public origins', async () => {
    const c = connector(fake, { accounts: ROLES });
    const scopes = await c.listScopes(new AbortController().signal);
    expect(scopes.map((s) => s.id)).toEqual([
      'aws-test/aws/111122223333/ap-southeast-2',
      'aws-test/aws/111122223333/eu-central-1',
      'aws-test/aws/111122223333/eu-west-1',
      'aws-test/aws/111122223333/us-east-1',
      'aws-test/aws/444455556666/us-east-2',
      'aws-test/aws/444455556666/us-west-2',
    ]);
    expect(scopes[0]).toEqual({ id: 'aws-test/aws/111122223333/ap-southeast-2', connector: 'aws-test', vendor: 'aws', account: '111122223333', region: 'ap-southeast-2' });

    const r = await discoverAll(c);
    const use1 = r.get('111122223333/us-east-1');
    expect(use1?.status).toBe('complete');
    expect(ips(use1)).toEqual(
      [
        '198.51.100.102', // auto-assigned on web-2
        '198.51.100.103',
        '198.51.100.104',
        '198.51.100.105',
        '198.51.100.106',
        '198.51.100.111', // NLB, two AZs
        '198.51.100.112',
        '198.51.100.113', // ALB
        '198.51.100.114', // NAT gateway
        '203.0.113.100', // Elastic IP on web-1: once, though both calls list it
        '203.0.113.101', // unassociated Elastic IP
        '203.0.113.102', // Elastic IP on a secondary private IP
        '2001:db8:a1::100', // written 2001:DB8:A1:0:0:0:0:100
        '2001:db8:a1::103', // written 2001:0db8:00a1:0000:0000:0000:0000:0103
        '2001:db8:a1::106', // IPv6-only interface
      ].sort(),
    );
    expect(use1?.origins.every((o) => o.vendor === 'aws' && o.region === 'us-east-1' && o.scope === 'aws-test/aws/111122223333/us-east-1')).toBe(true);
    expect(use1?.skipped.map((s) => [s.ip, s.reason]).sort()).toEqual([
      ['198.51.100.115', 'anycast'],
      ['fd00:ec2:a1::107', 'not-public'],
    ]);
    expect(use1?.skipped.find((s) => s.reason === 'anycast')?.detail).toMatch(/Global Accelerator/);
    expect(use1?.skipped.find((s) => s.reason === 'anycast')?.source).toBe('eni-0b1c2d3e4f5a60105 (global_accelerator_managed)');

    expect(r.get('111122223333/eu-west-1')?.status).toBe('complete');
    expect(ips(r.get('111122223333/eu-west-1'))).toEqual(['2001:db8:a1:1::120', '203.0.113.120', '203.0.113.121'].sort());
    expect(r.get('444455556666/us-west-2')).toMatchObject({ status: 'complete' });
    expect(ips(r.get('444455556666/us-west-2'))).toEqual(['192.0.2.150', '2001:db8:a1:2::150']);
    expect(r.get('444455556666/us-east-2')).toEqual({ status: 'complete', origins: [], skipped: [] });
  });

  it('fails the denied region alone, with the AWS error for every call', async () => {
    const r = await discoverAll(connector(fake, { accounts: ROLES }));
    const denied = r.get('111122223333/ap-southeast-2');
    expect(denied?.status).toBe('failed');
    expect(denied?.origins).toEqual([]);
    expect(denied?.error).toMatch(/^DescribeAddresses, DescribeNetworkInterfaces: UnauthorizedOperation: .*service control policy \(HTTP 403\)$/);
    const others = [...r.entries()].filter(([k]) => k !== '111122223333/ap-southeast-2' && k !== '111122223333/eu-central-1');
    expect(others.map(([, v]) => v.status)).toEqual(others.map(() => 'complete'));
  });

  it('is partial when instance tags cannot be read: the addresses found are kept', async () => {
    const r = await discoverAll(connector(fake, { accounts: ROLES }));
    const fra = r.get('111122223333/eu-central-1');
    expect(fra?.status).toBe('partial');
    expect(ips(fra)).toEqual(['203.0.113.140']);
    expect(fra?.error).toMatch(/^DescribeTags\(instance\): RequestLimitExceeded: .*\(HTTP 503\)$/);
  });

  it('merges an Elastic IP found on an interface: one origin, both sources, instance < interface < address tags', async () => {
    const r = await discoverAll(connector(fake, { accounts: ROLES }));
    const use1 = r.get('111122223333/us-east-1');
    const web1 = use1?.origins.find((o) => o.ip === '203.0.113.100');
    expect(web1?.source).toBe('eni-0a1b2c3d4e5f60001 (interface, i-0a1b2c3d4e5f60001); eipalloc-0a1b2c3d4e5f60100');
    expect(web1?.tags).toEqual({ Name: 'web-1-eip', 'cf-origin': 'true', team: 'web' });
    expect(use1?.origins.find((o) => o.ip === '2001:db8:a1::100')?.tags).toEqual({ Name: 'web-1', 'cf-origin': 'true', team: 'web' });
    expect(use1?.origins.find((o) => o.ip === '198.51.100.102')?.tags).toEqual({ Name: 'web-2-eth0', 'cf-origin': 'true', team: 'web' });
    expect(use1?.origins.find((o) => o.ip === '203.0.113.101')?.source).toBe('eipalloc-0a1b2c3d4e5f60101 (elastic-ip, unassociated)');
    expect(use1?.origins.find((o) => o.ip === '198.51.100.111')?.source).toBe('eni-0b1c2d3e4f5a60101 (network_load_balancer)');
  });

  it('keeps only resources whose own (or their instance\'s) tags match the include filter', async () => {
    const r = await discoverAll(connector(fake, { accounts: ROLES, tags: { 'cf-origin': 'true' } }));
    expect(ips(r.get('111122223333/us-east-1'))).toEqual(
      [
        '198.51.100.102',
        '198.51.100.103',
        '198.51.100.104',
        '198.51.100.106', // the interface is tagged, not the instance
        '198.51.100.113',
        '203.0.113.100',
        '203.0.113.101',
        '203.0.113.102',
        '2001:db8:a1::100',
        '2001:db8:a1::103',
        '2001:db8:a1::106',
      ].sort(),
    );
    // Skips are still reported for tagged resources; untagged ones are simply not origins.
    expect(r.get('111122223333/us-east-1')?.skipped.map((s) => s.reason).sort()).toEqual(['anycast', 'not-public']);
    expect(ips(r.get('444455556666/us-west-2'))).toEqual(['192.0.2.150']);
    // Tags unknown (DescribeTags throttled): nothing matches, and the scan says it is partial.
    expect(r.get('111122223333/eu-central-1')).toMatchObject({ status: 'partial', origins: [] });
  });

  it('uses the default credential chain\'s account from STS GetCallerIdentity, with region wildcards', async () => {
    const before = fake.requestCount();
    const c = connector(fake, { regions: ['us-*', 'eu-west-1', 'sa-east-1'] });
    const scopes = await c.listScopes(new AbortController().signal);
    expect(scopes.map((s) => s.id)).toEqual(['aws-test/aws/111122223333/eu-west-1', 'aws-test/aws/111122223333/us-east-1']);
    expect(fake.requestCount() - before).toBe(2); // GetCallerIdentity + DescribeRegions
    const r = await c.discover(scopes[1] as Scope, new AbortController().signal);
    expect(r.status).toBe('complete');
    expect(r.origins).toHaveLength(15);
  });

  it('takes a configured accountId as the default-chain account without asking STS', async () => {
    const before = fake.requestCount();
    const c = connector(fake, { accountId: '111122223333', regions: ['eu-west-1'] });
    expect((await c.listScopes(new AbortController().signal)).map((s) => s.id)).toEqual(['aws-test/aws/111122223333/eu-west-1']);
    expect(fake.requestCount() - before).toBe(1);
    const foreign: Scope = { id: 'aws-test/aws/999999999999/eu-west-1', connector: 'aws-test', vendor: 'aws', account: '999999999999', region: 'eu-west-1' };
    expect(await c.discover(foreign, new AbortController().signal)).toMatchObject({ status: 'failed', error: expect.stringMatching(/not configured/) });
  });

  it('fails every scope of an account whose role cannot be assumed, and only those', async () => {
    const roles = [ROLES[0], { roleArn: 'arn:aws:iam::444455556666:role/origin-region-sync', externalId: 'wrong-external-id' }];
    const c = connector(fake, { accounts: roles, regions: ['us-west-2', 'us-east-1'] });
    const scopes = await c.listScopes(new AbortController().signal);
    // DescribeRegions could not run for 444455556666: its configured regions are scanned and fail there.
    expect(scopes.map((s) => `${s.account}/${s.region}`)).toEqual(['111122223333/us-east-1', '444455556666/us-east-1', '444455556666/us-west-2']);
    const r = await discoverAll(c);
    expect(r.get('111122223333/us-east-1')?.status).toBe('complete');
    for (const k of ['444455556666/us-east-1', '444455556666/us-west-2']) {
      expect(r.get(k)?.status).toBe('failed');
      expect(r.get(k)?.error).toMatch(/^credentials: AccessDenied: AssumeRole arn:aws:iam::444455556666:role\/origin-region-sync: .*sts:AssumeRole.*\(HTTP 403\)$/);
    }
    const text = JSON.stringify([...r.values()]);
    expect(text).not.toContain(ENV.ORS_TEST_AWS_SECRET);
    expect(text).not.toContain(ENV.ORS_TEST_AWS_KEY);
  });

  it('falls back to the catalogue regions matching a wildcard when DescribeRegions fails', async () => {
    const roles = [{ roleArn: 'arn:aws:iam::444455556666:role/origin-region-sync', externalId: 'wrong' }];
    const scopes = await connector(fake, { accounts: roles, regions: ['us-west-*'] }).listScopes(new AbortController().signal);
    expect(scopes.map((s) => s.region)).toEqual(['us-west-1', 'us-west-2']);
  });

  it('returns failed (never throws) when aborted', async () => {
    const c = connector(fake, { accounts: ROLES });
    const [scope] = await c.listScopes(new AbortController().signal);
    const ac = new AbortController();
    ac.abort();
    expect(await c.discover(scope as Scope, ac.signal)).toEqual({ status: 'failed', origins: [], skipped: [], error: 'aborted' });
    await expect(c.listScopes(ac.signal)).rejects.toThrow();
  });

  it('refuses to start when a named credential variable is unset, naming the variable only', () => {
    const config = configSchema.parse({ name: 'x', type: 'aws', endpoint: fake.url, credentials: { accessKeyIdEnv: 'NOPE_KEY', secretAccessKeyEnv: 'ORS_TEST_AWS_SECRET' } });
    expect(() => create(config, { configDir: '.', logger: pino({ level: 'silent' }), env: ENV })).toThrow(/environment variable NOPE_KEY \(credentials\.accessKeyIdEnv\) is not set/);
  });
});
