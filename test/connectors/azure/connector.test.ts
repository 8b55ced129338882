import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector, ScanResult, Scope } from '../../../connectors/connector.ts';
import { configSchema, create, type Config } from '../../../connectors/azure/index.ts';
import { startAzureFake, type AzureFake } from '../../../src/emulators/azure/index.ts';
import { loadInventoryFile, type Inventory } from '../../../src/emulators/inventory.ts';

// inventory → fake (https, ARM JSON) → @azure/arm-network + @azure/arm-resources-subscriptions → connector.

const WEB = '6b1f3c2e-8d4a-4b7e-9f10-2a3b4c5d6e7f';
const DATA = '0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f';
const SANDBOX = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const TOKEN_ENV = 'AZURE_FAKE_TOKEN_TEST';
const TOKEN = 'fake-arm-token-0123456789';

let inventory: Inventory;
let fake: AzureFake;
let dir: string;
let caFile: string;

beforeAll(async () => {
  inventory = await loadInventoryFile(join(import.meta.dirname, '../../fixtures/inventory-azure.yaml'));
  fake = await startAzureFake({ inventory, token: TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'azure-connector-test-'));
  caFile = join(dir, 'fake-ca.pem');
  writeFileSync(caFile, fake.caPem);
});

afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function connector(over: Partial<Config> = {}, env: NodeJS.ProcessEnv = { [TOKEN_ENV]: TOKEN }, endpoint = fake.url): Connector {
  const config = configSchema.parse({
    name: 'az',
    type: 'azure',
    subscriptions: ['*'],
    endpoint,
    caFile: 'fake-ca.pem', // relative: resolved against the config folder
    tokenEnv: TOKEN_ENV,
    ...over,
  });
  return create(config, { configDir: dir, logger: pino({ level: 'silent' }), env });
}

function scopeFor(c: Connector, sub: string): Scope {
  return { id: `${c.name}/azure/${sub}/*`, connector: c.name, vendor: 'azure', account: sub, region: '*' };
}

const live = () => new AbortController().signal;
const byIp = (r: ScanResult) => Object.fromEntries(r.origins.map((o) => [o.ip, o.region]));
const src = (sub: string, rg: string, name: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/publicIPAddresses/${name}`;

describe('azure connector through the ARM fake', () => {
  it("lists every running subscription for subscriptions: ['*'], one scope each covering all regions", async () => {
    const scopes = await connector().listScopes(live());
    expect(scopes).toEqual(
      [DATA, WEB, SANDBOX].sort().map((s) => ({ id: `az/azure/${s}/*`, connector: 'az', vendor: 'azure', account: s, region: '*' })),
    );
  });

  it('discovers the exact origin set, canonical IPv6, with anycast, unallocated and non-public skipped with reasons', async () => {
    const c = connector();
    const before = fake.requestCount();
    const r = await c.discover(scopeFor(c, WEB), live());
    // 13 addresses at 5 a page: the connector followed nextLink to the third page.
    expect(fake.requestCount() - before).toBe(3);
    expect(r.status).toBe('complete');
    expect(r.error).toBeUndefined();
    expect(byIp(r)).toEqual({
      '203.0.113.10': 'eastus',
      '2001:db8:10::10': 'eastus',
      '203.0.113.11': 'eastus',
      '203.0.113.12': 'eastus',
      '203.0.113.13': 'eastus',
      '198.51.100.20': 'westeurope',
      '2001:db8:20::20': 'westeurope',
      '192.0.2.40': 'japaneast',
      '192.0.2.50': 'uksouth',
      '203.0.113.14': 'eastus',
    });
    expect(r.origins.every((o) => o.vendor === 'azure' && o.scope === `az/azure/${WEB}/*`)).toBe(true);

    const lb = r.origins.find((o) => o.ip === '203.0.113.10');
    expect(lb).toEqual({
      ip: '203.0.113.10',
      vendor: 'azure',
      region: 'eastus',
      scope: `az/azure/${WEB}/*`,
      source: `${src(WEB, 'web-eastus', 'web-eastus-lb-pip')} (loadBalancers/web-eastus-lb)`,
      tags: { 'cf-origin': 'true', env: 'prod' },
    });
    expect(r.origins.find((o) => o.ip === '203.0.113.13')?.source).toMatch(/\(natGateways\/web-eastus-nat\)$/);
    expect(r.origins.find((o) => o.ip === '203.0.113.14')?.source).toMatch(/\(bastionHosts\/web-eastus-bastion\)$/);

    const skipped = r.skipped.map((s) => ({ ip: s.ip, reason: s.reason, source: s.source }));
    expect(skipped).toEqual(
      expect.arrayContaining([
        { ip: '198.51.100.30', reason: 'anycast', source: `${src(WEB, 'web-global', 'web-global-lb-pip')} (loadBalancers/web-global-lb)` },
        // No address: named by the resource, so a plan's skipped list says which one.
        { ip: 'web-jpe-vm1-pip', reason: 'unassigned', source: `${src(WEB, 'web-japaneast', 'web-jpe-vm1-pip')} (networkInterfaces/web-jpe-vm1-nic)` },
        { ip: '10.20.30.40', reason: 'not-public', source: `${src(WEB, 'web-lab', 'web-lab-pip')} (unattached)` },
      ]),
    );
    expect(r.skipped).toHaveLength(3);
    expect(r.skipped.find((s) => s.reason === 'anycast')?.detail).toMatch(/Global tier/);
    expect(r.skipped.find((s) => s.reason === 'unassigned')?.detail).toMatch(/^web-jpe-vm1-pip \(networkInterfaces\/web-jpe-vm1-nic\) has no address allocated \(Dynamic allocation/);
    expect(r.skipped.every((s) => s.ip !== '')).toBe(true);
    expect(r.skipped.find((s) => s.ip === '10.20.30.40')?.detail).toMatch(/private/);
    expect(r.skipped.every((s) => s.scope === `az/azure/${WEB}/*`)).toBe(true);
  });

  it('keeps only resources carrying the configured tags (tag names case-insensitive, as in Azure)', async () => {
    const c = connector({ tags: { 'cf-origin': 'true' } });
    const web = await c.discover(scopeFor(c, WEB), live());
    expect(web.status).toBe('complete');
    expect(Object.keys(byIp(web)).sort()).toEqual(
      ['192.0.2.40', '192.0.2.50', '198.51.100.20', '2001:db8:10::10', '2001:db8:20::20', '203.0.113.10', '203.0.113.11', '203.0.113.13'].sort(),
    );
    // Untagged resources are not origins of this connector, so they are not "skipped" either.
    expect(web.skipped.map((s) => s.ip).sort()).toEqual(['10.20.30.40', '198.51.100.30', 'web-jpe-vm1-pip']);

    const data = await c.discover(scopeFor(c, DATA), live());
    expect(byIp(data)).toEqual({ '192.0.2.60': 'westus3', '2001:db8:60::60': 'westus3' });
  });

  it('filters on location with wildcards', async () => {
    const c = connector({ regions: ['east*', 'uksouth'] });
    const r = await c.discover(scopeFor(c, WEB), live());
    expect(new Set(r.origins.map((o) => o.region))).toEqual(new Set(['eastus', 'uksouth']));
    expect(r.origins).toHaveLength(7);
    // eastus2 holds the Global tier frontend and the lab address: still skipped with their reasons.
    expect(r.skipped.map((s) => s.reason).sort()).toEqual(['anycast', 'not-public']);
  });

  it('fails the subscription that answers 403 alone, with ARM code, status and message, while others complete', async () => {
    const c = connector();
    const scopes = await c.listScopes(live());
    const results = await Promise.all(scopes.map(async (s) => [s.account, await c.discover(s, live())] as const));
    const by = Object.fromEntries(results);
    expect(by[WEB]?.status).toBe('complete');
    expect(by[DATA]?.status).toBe('complete');
    expect(by[SANDBOX]).toEqual({
      status: 'failed',
      origins: [],
      skipped: [],
      error: expect.stringMatching(
        new RegExp(`^subscription ${SANDBOX}: listing public IP addresses failed: AuthorizationFailed \\(HTTP 403\\): The client 'origin-region-sync' .*Microsoft.Network/publicIPAddresses/read`),
      ),
    });
  });

  it('uses configured subscription ids without listing subscriptions, lowercased into stable scope ids', async () => {
    const c = connector({ subscriptions: [WEB.toUpperCase(), DATA] });
    const before = fake.requestCount();
    const scopes = await c.listScopes(live());
    expect(fake.requestCount()).toBe(before);
    expect(scopes.map((s) => s.id)).toEqual([`az/azure/${WEB}/*`, `az/azure/${DATA}/*`]);
  });

  it('fails a scope with a clear error when the token variable is missing, and never echoes the token', async () => {
    const missing = connector({}, {});
    const r1 = await missing.discover(scopeFor(missing, DATA), live());
    expect(r1.status).toBe('failed');
    expect(r1.error).toContain(`environment variable ${TOKEN_ENV} (tokenEnv) is not set`);

    const wrongToken = 'wrong-token-abcdefghijkl';
    const wrong = connector({}, { [TOKEN_ENV]: wrongToken });
    const r2 = await wrong.discover(scopeFor(wrong, DATA), live());
    expect(r2.status).toBe('failed');
    expect(r2.error).toContain('InvalidAuthenticationToken (HTTP 401)');
    expect(JSON.stringify(r2)).not.toContain(wrongToken);
    await expect(wrong.listScopes(live())).rejects.toThrow(/listing subscriptions failed: InvalidAuthenticationToken \(HTTP 401\)/);
  });

  it('refuses the fake without its CA: the SDK verifies TLS as in production', async () => {
    const config = configSchema.parse({ name: 'az', type: 'azure', subscriptions: [DATA], endpoint: fake.url, tokenEnv: TOKEN_ENV });
    const c = create(config, { configDir: dir, logger: pino({ level: 'silent' }), env: { [TOKEN_ENV]: TOKEN } });
    const r = await c.discover(scopeFor(c, DATA), live());
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/certificate/i);
  });

  it('reports an unreadable caFile at creation, naming the file', () => {
    expect(() => connector({ caFile: 'no-such.pem' })).toThrow(/cannot read caFile .*no-such\.pem: ENOENT/);
  });

  it('fails on an unreachable endpoint without hanging (retries off for a fake)', async () => {
    const closed = await startAzureFake({ inventory });
    const url = closed.url;
    await closed.close();
    const c = connector({}, { [TOKEN_ENV]: TOKEN }, url);
    const r = await c.discover(scopeFor(c, DATA), live());
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/ECONNREFUSED/);
  });
});

describe('azure connector: paging, partial scans, faults', () => {
  const SUB = 'aaaaaaaa-0000-4000-8000-000000000001';
  const many = Array.from({ length: 11 }, (_, i) => ({ name: `pip-${i}`, resourceGroup: 'rg', location: 'northeurope', ipAddress: `198.51.100.${i + 1}` }));

  it('follows every page of the subscription list (three pages and more)', async () => {
    const f = await startAzureFake({ inventory, pageSize: 1 });
    try {
      const ca = join(dir, 'ca-pages.pem');
      writeFileSync(ca, f.caPem);
      const c = connector({ caFile: ca }, { [TOKEN_ENV]: TOKEN }, f.url);
      const scopes = await c.listScopes(live());
      // Four subscriptions, one a page: four requests, and the Disabled one left out.
      expect(f.requestCount()).toBe(4);
      expect(scopes.map((s) => s.account).sort()).toEqual([DATA, WEB, SANDBOX].sort());
      const r = await c.discover(scopeFor(c, WEB), live());
      expect(f.requestCount()).toBe(4 + 13);
      expect(r.origins).toHaveLength(10);
    } finally {
      await f.close();
    }
  });

  it('returns partial with what the first pages held when a later page fails', async () => {
    const f = await startAzureFake({
      inventory: { subscriptions: { [SUB]: { publicIPAddresses: many, fault: { status: 500, fromPage: 3 } } } },
      pageSize: 4,
    });
    try {
      const ca = join(dir, 'ca-partial.pem');
      writeFileSync(ca, f.caPem);
      const c = connector({ caFile: ca, subscriptions: [SUB] }, { [TOKEN_ENV]: TOKEN }, f.url);
      const r = await c.discover(scopeFor(c, SUB), live());
      expect(r.status).toBe('partial');
      expect(r.origins.map((o) => o.ip)).toEqual(Array.from({ length: 8 }, (_, i) => `198.51.100.${i + 1}`));
      expect(r.error).toBe(
        `subscription ${SUB}: listing public IP addresses failed after 2 page(s): InternalServerError (HTTP 500): Injected fault InternalServerError (HTTP 500) from the inventory.`,
      );
    } finally {
      await f.close();
    }
  });

  it('honours the abort signal while a slow subscription answers', async () => {
    const f = await startAzureFake({ inventory: { subscriptions: { [SUB]: { publicIPAddresses: many, fault: { delayMs: 10_000 } } } } });
    try {
      const ca = join(dir, 'ca-slow.pem');
      writeFileSync(ca, f.caPem);
      const c = connector({ caFile: ca, subscriptions: [SUB] }, { [TOKEN_ENV]: TOKEN }, f.url);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 200);
      const t0 = Date.now();
      const r = await c.discover(scopeFor(c, SUB), ac.signal);
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/aborted/i);
    } finally {
      await f.close();
    }
  });

  it('honours the abort signal on a later page too (the SDK passes it to the first page only)', async () => {
    const f = await startAzureFake({
      inventory: { subscriptions: { [SUB]: { publicIPAddresses: many, fault: { delayMs: 10_000, fromPage: 2 } } } },
      pageSize: 4,
    });
    try {
      const ca = join(dir, 'ca-slow2.pem');
      writeFileSync(ca, f.caPem);
      const c = connector({ caFile: ca, subscriptions: [SUB] }, { [TOKEN_ENV]: TOKEN }, f.url);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      const t0 = Date.now();
      const r = await c.discover(scopeFor(c, SUB), ac.signal);
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(r.status).toBe('partial');
      expect(r.origins).toHaveLength(4);
      expect(r.error).toMatch(/after 1 page\(s\): aborted/);
    } finally {
      await f.close();
    }
  });

  it('runs at most `concurrency` subscription listings at once', async () => {
    const subs = ['bbbbbbbb-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-000000000003'];
    const f = await startAzureFake({
      inventory: { subscriptions: Object.fromEntries(subs.map((s) => [s, { publicIPAddresses: many.slice(0, 2), fault: { delayMs: 400 } }])) },
    });
    try {
      const ca = join(dir, 'ca-conc.pem');
      writeFileSync(ca, f.caPem);
      const run = async (concurrency: number) => {
        const c = connector({ caFile: ca, subscriptions: subs, concurrency }, { [TOKEN_ENV]: TOKEN }, f.url);
        const t0 = Date.now();
        const rs = await Promise.all(subs.map((s) => c.discover(scopeFor(c, s), live())));
        expect(rs.map((r) => r.status)).toEqual(['complete', 'complete', 'complete']);
        return Date.now() - t0;
      };
      // One at a time: three slow answers back to back.
      expect(await run(1)).toBeGreaterThanOrEqual(3 * 400 - 20);
      expect(await run(3)).toBeLessThan(3 * 400);
    } finally {
      await f.close();
    }
  });

  it('throws from listScopes when the subscription list itself fails', async () => {
    const f = await startAzureFake({
      inventory: { subscriptionsFault: { code: 'AuthorizationFailed' }, subscriptions: { [SUB]: {} } },
    });
    try {
      const ca = join(dir, 'ca-listfail.pem');
      writeFileSync(ca, f.caPem);
      const c = connector({ caFile: ca }, { [TOKEN_ENV]: TOKEN }, f.url);
      await expect(c.listScopes(live())).rejects.toThrow('azure connector az: listing subscriptions failed: AuthorizationFailed (HTTP 403)');
    } finally {
      await f.close();
    }
  });

  it('throws from listScopes when no active subscription is visible, rather than returning no scopes', async () => {
    const f = await startAzureFake({ inventory: { subscriptions: { [SUB]: { state: 'Disabled' } } } });
    try {
      const ca = join(dir, 'ca-none.pem');
      writeFileSync(ca, f.caPem);
      const c = connector({ caFile: ca }, { [TOKEN_ENV]: TOKEN }, f.url);
      await expect(c.listScopes(live())).rejects.toThrow('the credential sees no active subscription');
    } finally {
      await f.close();
    }
  });

  it('fails a scope of another connector instead of listing it', async () => {
    const c = connector();
    const r = await c.discover({ ...scopeFor(c, DATA), connector: 'other' }, live());
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/does not belong/);
  });
});
