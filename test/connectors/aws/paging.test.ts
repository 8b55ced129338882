import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connector, ScanResult } from '../../../connectors/connector.ts';
import { configSchema, create } from '../../../connectors/aws/index.ts';
import { startAwsFake, type AwsFake } from '../../../src/emulators/aws/index.ts';
import { mustCanonicalIp } from '../../../src/model/index.ts';

// Paging, faults and slowness, on inventories generated here so the numbers are easy to follow.

const ENV = { K: 'AKIDFAKEEXAMPLE0002', S: 'fake-secret-value-0002' };
const ACCOUNT = '210987654321';
const fakes: AwsFake[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(regions: Record<string, unknown>, pageSize?: number): Promise<AwsFake> {
  const f = await startAwsFake({ inventory: { aws: { accounts: { [ACCOUNT]: { regions } } } }, ...(pageSize ? { pageSize } : {}) });
  fakes.push(f);
  return f;
}

function connector(f: AwsFake, extra: Record<string, unknown> = {}): Connector {
  const config = configSchema.parse({
    name: 'paging',
    type: 'aws',
    endpoint: f.url,
    accountId: ACCOUNT,
    credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' },
    ...extra,
  });
  return create(config, { configDir: '.', logger: pino({ level: 'silent' }), env: ENV });
}

async function scanAll(c: Connector): Promise<Record<string, ScanResult>> {
  const signal = new AbortController().signal;
  const out: Record<string, ScanResult> = {};
  await Promise.all((await c.listScopes(signal)).map(async (s) => (out[s.region] = await c.discover(s, signal))));
  return out;
}

/** n instances (tagged Name + `tags`), each with one interface holding a public IPv4 and an IPv6 address. */
function instances(n: number, net: number, tags: Record<string, string> = {}) {
  return Array.from({ length: n }, (_, i) => ({
    instanceId: `i-${net.toString(16)}${i.toString(16).padStart(6, '0')}`,
    tags: { Name: `host-${net}-${i}`, ...tags },
    networkInterfaces: [
      {
        networkInterfaceId: `eni-${net.toString(16)}${i.toString(16).padStart(6, '0')}`,
        association: { publicIp: `198.${net}.${i >> 8}.${i & 255}` },
        ipv6Addresses: [`2001:db8:${net}::${i.toString(16)}`],
      },
    ],
  }));
}

const unassociatedEips = (n: number) => Array.from({ length: n }, (_, i) => ({ publicIp: `203.0.113.${i + 1}` }));

describe('aws connector paging', () => {
  it('follows every page of every paginated call (three or more pages each at the default page size of 5)', async () => {
    const f = await fake({ 'us-east-1': { instances: instances(23, 51), addresses: unassociatedEips(4) } });
    const r = await scanAll(connector(f));
    expect(r['us-east-1']?.status).toBe('complete');
    const want = [
      ...Array.from({ length: 23 }, (_, i) => `198.51.0.${i}`),
      ...Array.from({ length: 23 }, (_, i) => mustCanonicalIp(`2001:db8:51::${i.toString(16)}`)),
      ...Array.from({ length: 4 }, (_, i) => `203.0.113.${i + 1}`),
    ];
    expect(r['us-east-1']?.origins.map((o) => o.ip).sort()).toEqual(want.sort());
    // DescribeRegions 1 + DescribeAddresses 1 + 5 pages each of: interfaces (one unfiltered listing), instance tags (23 rows).
    expect(f.requestCount()).toBe(1 + 1 + 5 + 5);
  });

  it('asks for MaxResults 1000: one page per call when the server allows it', async () => {
    const f = await fake({ 'us-east-1': { instances: instances(23, 51) } }, 1000);
    const r = await scanAll(connector(f));
    expect(r['us-east-1']?.origins).toHaveLength(46);
    expect(f.requestCount()).toBe(1 + 1 + 1 + 1);
  });

  it('asks instance tags 200 ids at a time, and the include filter sees them', async () => {
    const f = await fake({ 'eu-west-1': { instances: [...instances(450, 60, { 'cf-origin': 'true' }), ...instances(10, 61)] } }, 1000);
    const r = await scanAll(connector(f, { tags: { 'cf-origin': 'true' } }));
    expect(r['eu-west-1']?.status).toBe('complete');
    expect(r['eu-west-1']?.origins).toHaveLength(900);
    expect(r['eu-west-1']?.origins.every((o) => o.tags['cf-origin'] === 'true')).toBe(true);
    // DescribeRegions, DescribeAddresses, the interface listing, DescribeTags for 460 ids = 3 requests of at
    // most 200 filter values (EC2's limit, which the fake enforces: 200 ids + resource-type was refused).
    expect(f.requestCount()).toBe(1 + 1 + 1 + 3);
  });

  it('is partial when a later page fails, keeping what the earlier pages found', async () => {
    const f = await fake({
      'us-east-1': {
        instances: instances(12, 52),
        addresses: unassociatedEips(2),
        faults: [{ action: 'DescribeNetworkInterfaces', page: 2, code: 'InternalError' }],
      },
      'us-west-2': { instances: instances(12, 53) },
    });
    const r = await scanAll(connector(f));
    expect(r['us-east-1']?.status).toBe('partial');
    expect(r['us-east-1']?.error).toBe('DescribeNetworkInterfaces: InternalError: An internal error has occurred (HTTP 500)');
    // Page 1 of the interface listing (5 interfaces, IPv4 and IPv6) and both Elastic IPs.
    expect(r['us-east-1']?.origins).toHaveLength(5 + 5 + 2);
    expect(r['us-west-2']?.status).toBe('complete');
    expect(r['us-west-2']?.origins).toHaveLength(24);
  });

  it('stops at an abort while a later page is in flight: the scope ends aborted and no further page is asked', async () => {
    const f = await fake({ 'us-east-1': { delayMs: 300, instances: instances(12, 57) } });
    const c = connector(f);
    const [scope] = await c.listScopes(new AbortController().signal);
    if (!scope) throw new Error('no scope');
    const ac = new AbortController();
    const listed = () => f.actionCount('DescribeNetworkInterfaces');
    const result = c.discover(scope, ac.signal);
    // The fake counts a request when it arrives, then holds it 300 ms: abort once page 2 has been asked.
    while (listed() < 2) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    expect(await result).toEqual({ status: 'failed', origins: [], skipped: [], error: 'aborted' });
    await new Promise((r) => setTimeout(r, 400));
    expect(listed()).toBe(2);
  });

  it('fails a slow region on the request timeout while the others complete', async () => {
    const f = await fake({ 'eu-north-1': { delayMs: 3000, instances: instances(2, 54) }, 'eu-south-1': { instances: instances(2, 55) } });
    const t0 = Date.now();
    const r = await scanAll(connector(f, { requestTimeoutMs: 300, regions: ['eu-*'] }));
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(r['eu-north-1']?.status).toBe('failed');
    expect(r['eu-north-1']?.error).toMatch(/timeout|timed out/i);
    expect(r['eu-south-1']).toMatchObject({ status: 'complete' });
    expect(r['eu-south-1']?.origins).toHaveLength(4);
  });

  it('reports a 5xx on every call as a failed scope', async () => {
    const f = await fake({ 'ca-central-1': { faults: [{ code: 'Unavailable', status: 503 }], instances: instances(1, 56) }, 'sa-east-1': {} });
    const r = await scanAll(connector(f, { regions: ['ca-central-1', 'sa-east-1'] }));
    expect(r['ca-central-1']).toMatchObject({ status: 'failed', origins: [], error: expect.stringContaining('Unavailable') });
    expect(r['sa-east-1']).toEqual({ status: 'complete', origins: [], skipped: [] });
  });
});

describe('scopes in flight', () => {
  const eni = (n: number) => ({ networkInterfaceId: `eni-${n}`, privateIpAddress: `10.0.0.${n}`, association: { publicIp: `198.51.100.${n}` } });

  it('reads at most `concurrency` scopes at once, however many discovers are started; one waiting for its turn leaves when aborted', async () => {
    const f = await fake({ 'us-east-1': { delayMs: 300, networkInterfaces: [eni(1)] }, 'eu-west-1': { networkInterfaces: [eni(2)] } });
    const c = connector(f, { concurrency: 1, regions: ['us-east-1', 'eu-west-1'] });
    const scopes = await c.listScopes(new AbortController().signal);
    const slow = scopes.find((s) => s.region === 'us-east-1');
    const fast = scopes.find((s) => s.region === 'eu-west-1');
    if (!slow || !fast) throw new Error('scopes missing');
    const before = f.actionCount('DescribeNetworkInterfaces');
    const first = c.discover(slow, new AbortController().signal);
    const waiting = new AbortController();
    const second = c.discover(fast, waiting.signal);
    await new Promise((r) => setTimeout(r, 100));
    waiting.abort();
    expect(await second).toEqual({ status: 'failed', origins: [], skipped: [], error: 'aborted' });
    expect((await first).origins.map((o) => o.ip)).toEqual(['198.51.100.1']);
    // The slow scope's listing only: the waiting scope never called EC2.
    expect(f.actionCount('DescribeNetworkInterfaces') - before).toBe(1);
    expect((await c.discover(fast, new AbortController().signal)).origins.map((o) => o.ip)).toEqual(['198.51.100.2']);
  });
});
