import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connector, ScanResult, Scope } from '../../../connectors/connector.ts';
import { create, type Config } from '../../../connectors/gcp/index.ts';
import { startGcpFake, type GcpFake } from '../../../src/emulators/gcp/index.ts';
import { loadInventoryFile } from '../../../src/emulators/inventory.ts';

// inventory → fake (real HTTP) → official @google-cloud/compute client → connector → ScanResult.

const FIXTURE = fileURLToPath(new URL('../../fixtures/inventory-gcp.yaml', import.meta.url));
const PROD = 'shop-prod-123';
const STAGING = 'shop-staging-456';
const ANALYTICS = 'analytics-789';

const running: { fake?: GcpFake; connector?: Connector }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.connector?.close?.();
    await r.fake?.close();
  }
});

async function setup(opts: { inventory?: unknown; pageSize?: number; config?: Partial<Config> } = {}) {
  const fake = await startGcpFake({ inventory: opts.inventory ?? (await loadInventoryFile(FIXTURE)), pageSize: opts.pageSize });
  const connector = create(
    { name: 'gcp-main', type: 'gcp', projects: [PROD, STAGING, ANALYTICS], endpoint: fake.url, ...opts.config },
    { configDir: '.', logger: pino({ level: 'silent' }), env: {} },
  );
  running.push({ fake, connector });
  return { fake, connector };
}

async function discoverAll(connector: Connector): Promise<Record<string, ScanResult>> {
  const signal = new AbortController().signal;
  const out: Record<string, ScanResult> = {};
  for (const scope of await connector.listScopes(signal)) out[scope.account] = await connector.discover(scope, signal);
  return out;
}

async function discoverOne(connector: Connector, project: string): Promise<ScanResult> {
  const signal = new AbortController().signal;
  const scope = (await connector.listScopes(signal)).find((s) => s.account === project);
  if (!scope) throw new Error(`no scope for ${project}`);
  return connector.discover(scope, signal);
}

const brief = (r: ScanResult) => r.origins.map((o) => `${o.ip} ${o.region} ${o.source}`).sort();
const briefSkips = (r: ScanResult) => r.skipped.map((s) => `${s.ip} ${s.reason} ${s.source}`).sort();

// What shop-prod-123 holds under the label filter cf-origin=true.
const PROD_TAGGED = [
  '203.0.113.10 us-central1 regions/us-central1/addresses/web-ip',
  '203.0.113.20 europe-west1 regions/europe-west1/addresses/api-ip',
  '2001:db8:10:: europe-west1 regions/europe-west1/addresses/api-ipv6',
  '2001:db8:20:: us-central1 zones/us-central1-a/instances/web-1 (nic0 externalIpv6)',
  '203.0.113.11 us-central1 zones/us-central1-b/instances/web-2 (nic0 natIP)',
  '203.0.113.21 europe-west1 zones/europe-west1-b/instances/web-3 (nic0 natIP)',
  '203.0.113.40 asia-northeast1 zones/asia-northeast1-b/instances/edge-1 (nic0 natIP)',
  '203.0.113.41 asia-northeast1 zones/asia-northeast1-b/instances/edge-1 (nic1 natIP)',
  '203.0.113.50 us-central1 regions/us-central1/forwardingRules/web-nlb (EXTERNAL)',
  '203.0.113.60 europe-west1 regions/europe-west1/forwardingRules/api-alb (EXTERNAL_MANAGED)',
  '2001:db8:30:: europe-west1 regions/europe-west1/forwardingRules/api-alb-v6 (EXTERNAL_MANAGED)',
].sort();

const PROD_SKIPPED = [
  '203.0.113.200 anycast global/addresses/global-web-ip',
  '2001:db8:ffff:: anycast global/addresses/global-web-ipv6',
  '10.128.0.50 not-public regions/us-central1/addresses/db-internal',
  '10.132.0.9 not-public regions/europe-west1/forwardingRules/api-internal (INTERNAL)',
  '10.128.0.60 not-public regions/us-central1/forwardingRules/web-ilb (INTERNAL_MANAGED)',
].sort();

describe('gcp connector through the compute fake', () => {
  it('lists one scope per configured project, covering every region', async () => {
    const { connector } = await setup();
    const scopes: Scope[] = await connector.listScopes(new AbortController().signal);
    expect(scopes).toEqual([PROD, STAGING, ANALYTICS].map((p) => ({ id: `gcp-main/gcp/${p}/*`, connector: 'gcp-main', vendor: 'gcp', account: p, region: '*' })));
  });

  it('finds exactly the labelled public addresses, canonical, each once, with skips and their reasons', async () => {
    const { connector } = await setup({ config: { tags: { 'cf-origin': 'true' } } });
    const r = await discoverOne(connector, PROD);
    expect(r.status).toBe('complete');
    expect(r.error).toBeUndefined();
    expect(brief(r)).toEqual(PROD_TAGGED);
    // web-ip is also web-1's natIP: one origin, reported as the address resource (addresses are read first).
    expect(r.origins.filter((o) => o.ip === '203.0.113.10')).toHaveLength(1);
    expect(r.origins.every((o) => o.vendor === 'gcp' && o.scope === `gcp-main/gcp/${PROD}/*`)).toBe(true);
    expect(r.origins.find((o) => o.ip === '203.0.113.40')?.tags).toEqual({ 'cf-origin': 'true', team: 'edge' });
    // The global address and the global forwarding rule on it are one anycast skip.
    expect(briefSkips(r)).toEqual(PROD_SKIPPED);
    expect(r.skipped.find((s) => s.ip === '203.0.113.200')?.detail).toMatch(/anycast/);
    expect(r.skipped.find((s) => s.ip === '10.128.0.50')?.detail).toMatch(/addressType INTERNAL/);
  });

  it('without a label filter also keeps the unlabelled resources', async () => {
    const { connector } = await setup();
    const r = await discoverOne(connector, PROD);
    expect(r.status).toBe('complete');
    expect(brief(r)).toEqual(
      [
        ...PROD_TAGGED,
        '198.51.100.7 asia-northeast1 regions/asia-northeast1/addresses/spare-ip',
        '198.51.100.30 us-east1 zones/us-east1-c/instances/batch-1 (nic0 natIP)',
        '198.51.100.60 us-east1 regions/us-east1/forwardingRules/legacy-nlb (EXTERNAL)',
      ].sort(),
    );
  });

  it('follows every page of every aggregated list', async () => {
    // 7 items per list at 2 per page: 4 pages each, and every page must be asked for.
    const small = await setup({ pageSize: 2, config: { projects: [PROD], tags: { 'cf-origin': 'true' } } });
    const r = await discoverOne(small.connector, PROD);
    expect(brief(r)).toEqual(PROD_TAGGED);
    expect(small.fake.requestCount()).toBe(12);

    const big = await setup({ pageSize: 500, config: { projects: [PROD], tags: { 'cf-origin': 'true' } } });
    expect(brief(await discoverOne(big.connector, PROD))).toEqual(PROD_TAGGED);
    expect(big.fake.requestCount()).toBe(3);
  });

  it('fails only the project that refuses, and makes an UNREACHABLE region a partial scan', async () => {
    const { connector } = await setup({ config: { tags: { 'cf-origin': 'true' } } });
    const all = await discoverAll(connector);
    expect(all[PROD]?.status).toBe('complete');

    const analytics = all[ANALYTICS] as ScanResult;
    expect(analytics.status).toBe('failed');
    expect(analytics.origins).toEqual([]);
    expect(analytics.error).toContain('HTTP 403 PERMISSION_DENIED');
    expect(analytics.error).toContain("Required 'compute.addresses.list' permission for 'projects/analytics-789'");

    // asia-east1 is unreachable: what was read is real, but absence there means nothing.
    const staging = all[STAGING] as ScanResult;
    expect(staging.status).toBe('partial');
    expect(brief(staging)).toEqual([
      '203.0.113.120 europe-west1 regions/europe-west1/addresses/stg-web-ip',
      '203.0.113.121 europe-west1 zones/europe-west1-b/instances/stg-web-1 (nic0 natIP)',
    ]);
    expect(staging.error).toContain('regions/asia-east1 UNREACHABLE');
    expect(staging.error).toContain('zones/asia-east1-a UNREACHABLE');
  });

  it('keeps only the configured regions; an unreachable region outside them does not matter', async () => {
    const { connector } = await setup({ config: { tags: { 'cf-origin': 'true' }, regions: ['europe-*'] } });
    const all = await discoverAll(connector);
    const prod = all[PROD] as ScanResult;
    expect(brief(prod)).toEqual(PROD_TAGGED.filter((l) => l.includes(' europe-west1 ')));
    // Global items are never in a region: still reported, so the plan shows them.
    expect(briefSkips(prod)).toEqual(PROD_SKIPPED.filter((l) => l.includes('anycast') || l.includes('europe-west1')));
    expect(all[STAGING]?.status).toBe('complete');
    expect(all[STAGING]?.origins.map((o) => o.ip).sort()).toEqual(['203.0.113.120', '203.0.113.121']);
  });

  it('a list failing after its first page makes the scan partial and keeps what was read', async () => {
    const inventory = {
      gcp: {
        projects: {
          'flaky-proj-1': {
            addresses: [{ name: 'a1', region: 'us-east1', address: '203.0.113.1' }],
            instances: ['b', 'c', 'd', 'e'].map((z, n) => ({
              name: `vm-${z}`,
              zone: `us-east1-${z}`,
              networkInterfaces: [{ accessConfigs: [{ natIP: `203.0.113.${100 + n}` }] }],
            })),
            faults: { error: { status: 503, lists: ['instances'], afterPages: 1 } },
          },
        },
      },
    };
    const { connector, fake } = await setup({ inventory, pageSize: 2, config: { projects: ['flaky-proj-1'] } });
    const r = await discoverOne(connector, 'flaky-proj-1');
    expect(r.status).toBe('partial');
    expect(r.origins.map((o) => o.ip).sort()).toEqual(['203.0.113.1', '203.0.113.100', '203.0.113.101']);
    expect(r.error).toMatch(/^aggregated instances: HTTP 503 UNAVAILABLE: /);
    // With an endpoint set the SDK does not retry: addresses 1, forwarding rules 1, instances 2 (page 2 failed once).
    expect(fake.requestCount()).toBe(4);
  });

  it('fails a project the fake does not know (404), and one whose lists all answer 5xx', async () => {
    const inventory = { gcp: { projects: { 'down-proj-1': { faults: { error: { status: 500 } } } } } };
    const { connector } = await setup({ inventory, config: { projects: ['down-proj-1', 'missing-proj-1'] } });
    const all = await discoverAll(connector);
    expect(all['down-proj-1']).toMatchObject({ status: 'failed', origins: [] });
    expect(all['down-proj-1']?.error).toContain('HTTP 500');
    expect(all['missing-proj-1']).toMatchObject({ status: 'failed', origins: [] });
    expect(all['missing-proj-1']?.error).toContain("HTTP 404 NOT_FOUND: The resource 'projects/missing-proj-1' was not found");
  });

  it('honours the abort signal while the API is slow', async () => {
    const inventory = { gcp: { projects: { 'slow-proj-1': { faults: { delayMs: 20_000 } } } } };
    const { connector } = await setup({ inventory, config: { projects: ['slow-proj-1'] } });
    const ac = new AbortController();
    const [scope] = await connector.listScopes(ac.signal);
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    const r = await connector.discover(scope as Scope, ac.signal);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r).toMatchObject({ status: 'failed', origins: [] });
    expect(r.error).toMatch(/aborted/);
  });

  it('gives the same answer with one list at a time', async () => {
    const { connector } = await setup({ config: { tags: { 'cf-origin': 'true' }, concurrency: 1 } });
    const r = await discoverOne(connector, PROD);
    expect(brief(r)).toEqual(PROD_TAGGED);
    expect(briefSkips(r)).toEqual(PROD_SKIPPED);
  });

  it('refuses a scope that is not its own without calling the API', async () => {
    const { connector, fake } = await setup();
    const r = await connector.discover({ id: 'other/gcp/elsewhere-1/*', connector: 'other', vendor: 'gcp', account: 'elsewhere-1', region: '*' }, new AbortController().signal);
    expect(r.status).toBe('failed');
    expect(r.error).toContain('not one of connector gcp-main');
    expect(fake.requestCount()).toBe(0);
  });
});
