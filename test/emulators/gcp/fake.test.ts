import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { GcpInventoryError, parseGcpInventory, startGcpFake, type GcpFake } from '../../../src/emulators/gcp/index.ts';
import { SCHEMA_FILE, renderJsonSchema } from '../../../src/emulators/gcp/schema.ts';
import { loadInventoryFile } from '../../../src/emulators/inventory.ts';

// The compute fake on the wire (plain fetch), without the SDK: page shape, paging, errors, validation.

const FIXTURE = fileURLToPath(new URL('../../fixtures/inventory-gcp.yaml', import.meta.url));

const fakes: GcpFake[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

async function start(inventory: unknown, pageSize?: number): Promise<GcpFake> {
  const fake = await startGcpFake({ inventory, pageSize });
  fakes.push(fake);
  return fake;
}

interface Page {
  items: Record<string, { addresses?: { name: string; address: string; region?: string; selfLink: string }[]; warning?: { code: string; data: { key: string; value: string }[] } }>;
  nextPageToken?: string;
  kind: string;
}

const threeRegions = {
  projects: {
    'paging-proj-1': {
      addresses: [
        { name: 'e1', region: 'europe-west1', address: '203.0.113.1' },
        { name: 'e2', region: 'europe-west1', address: '203.0.113.2' },
        { name: 'e3', region: 'europe-west1', address: '203.0.113.3' },
        { name: 'u1', region: 'us-east1', address: '203.0.113.4', labels: { 'cf-origin': 'true' } },
        { name: 'g1', region: 'global', address: '203.0.113.5' },
      ],
      forwardingRules: [{ name: 'fr', region: 'asia-south1', IPAddress: '203.0.113.9' }],
    },
  },
};

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('gcp compute fake: aggregated lists', () => {
  it('pages across scopes: every scope on every page, one scope split over pages, NO_RESULTS_ON_PAGE elsewhere', async () => {
    const fake = await start(threeRegions, 2);
    const base = `${fake.url}/compute/v1/projects/paging-proj-1/aggregated/addresses`;
    const pages: Page[] = [];
    let token: string | undefined;
    do {
      const { status, body } = await getJson(token ? `${base}?pageToken=${encodeURIComponent(token)}` : base);
      expect(status).toBe(200);
      pages.push(body as unknown as Page);
      token = (body as unknown as Page).nextPageToken;
    } while (token);

    expect(pages).toHaveLength(3);
    const scopes = ['global', 'regions/asia-south1', 'regions/europe-west1', 'regions/us-east1'];
    for (const p of pages) {
      expect(p.kind).toBe('compute#addressAggregatedList');
      expect(Object.keys(p.items).sort()).toEqual(scopes);
    }
    const names = (p: Page, scope: string) => p.items[scope]?.addresses?.map((a) => a.name) ?? p.items[scope]?.warning?.code;
    expect(scopes.map((s) => names(pages[0] as Page, s))).toEqual([['g1'], 'NO_RESULTS_ON_PAGE', ['e1'], 'NO_RESULTS_ON_PAGE']);
    expect(scopes.map((s) => names(pages[1] as Page, s))).toEqual(['NO_RESULTS_ON_PAGE', 'NO_RESULTS_ON_PAGE', ['e2', 'e3'], 'NO_RESULTS_ON_PAGE']);
    expect(scopes.map((s) => names(pages[2] as Page, s))).toEqual(['NO_RESULTS_ON_PAGE', 'NO_RESULTS_ON_PAGE', 'NO_RESULTS_ON_PAGE', ['u1']]);
    expect(pages[0]?.items['regions/asia-south1']?.warning?.data).toEqual([{ key: 'scope', value: 'regions/asia-south1' }]);

    // Items come back as the API returns them: region URL (none on global), selfLink, labels, defaults.
    const u1 = pages[2]?.items['regions/us-east1']?.addresses?.[0] as unknown as Record<string, unknown>;
    expect(u1).toMatchObject({
      kind: 'compute#address',
      name: 'u1',
      address: '203.0.113.4',
      addressType: 'EXTERNAL',
      ipVersion: 'IPV4',
      status: 'RESERVED',
      networkTier: 'PREMIUM',
      labels: { 'cf-origin': 'true' },
      region: 'https://www.googleapis.com/compute/v1/projects/paging-proj-1/regions/us-east1',
      selfLink: 'https://www.googleapis.com/compute/v1/projects/paging-proj-1/regions/us-east1/addresses/u1',
    });
    expect(u1['id']).toMatch(/^\d+$/);
    expect(pages[0]?.items['global']?.addresses?.[0]).not.toHaveProperty('region');
  });

  it('honours a smaller maxResults, caps a larger one at its page size, and 0 means the default', async () => {
    const fake = await start(threeRegions, 4);
    const base = `${fake.url}/compute/v1/projects/paging-proj-1/aggregated/addresses`;
    const count = (p: Page) => Object.values(p.items).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
    expect(count((await getJson(`${base}?maxResults=1`)).body as unknown as Page)).toBe(1);
    expect(count((await getJson(`${base}?maxResults=500`)).body as unknown as Page)).toBe(4);
    expect(count((await getJson(`${base}?maxResults=0`)).body as unknown as Page)).toBe(4);
  });

  it('serves instances by zone and forwarding rules by region, with the fixture as written', async () => {
    const fake = await start(await loadInventoryFile(FIXTURE), 500);
    const inst = (await getJson(`${fake.url}/compute/v1/projects/shop-prod-123/aggregated/instances`)).body as unknown as {
      items: Record<string, { instances?: { name: string; zone: string; networkInterfaces: { name: string; accessConfigs?: { natIP?: string; type: string }[] }[] }[] }>;
    };
    expect(Object.keys(inst.items)).toContain('zones/asia-northeast1-b');
    const edge = inst.items['zones/asia-northeast1-b']?.instances?.[0];
    expect(edge?.zone).toBe('https://www.googleapis.com/compute/v1/projects/shop-prod-123/zones/asia-northeast1-b');
    expect(edge?.networkInterfaces.map((n) => [n.name, n.accessConfigs?.[0]?.natIP, n.accessConfigs?.[0]?.type])).toEqual([
      ['nic0', '203.0.113.40', 'ONE_TO_ONE_NAT'],
      ['nic1', '203.0.113.41', 'ONE_TO_ONE_NAT'],
    ]);
    const frs = (await getJson(`${fake.url}/compute/v1/projects/shop-prod-123/aggregated/forwardingRules`)).body as unknown as {
      kind: string;
      items: Record<string, { forwardingRules?: { name: string; loadBalancingScheme: string }[] }>;
    };
    expect(frs.kind).toBe('compute#forwardingRuleAggregatedList');
    expect(frs.items['global']?.forwardingRules?.map((r) => [r.name, r.loadBalancingScheme])).toEqual([['global-web-https', 'EXTERNAL_MANAGED']]);
  });

  it('withholds an unreachable region behind an UNREACHABLE warning', async () => {
    const fake = await start(await loadInventoryFile(FIXTURE));
    const body = (await getJson(`${fake.url}/compute/v1/projects/shop-staging-456/aggregated/addresses`)).body as unknown as Page;
    expect(body.items['regions/asia-east1']).toEqual({
      warning: { code: 'UNREACHABLE', message: expect.stringContaining('unreachable'), data: [{ key: 'scope', value: 'regions/asia-east1' }] },
    });
    expect(body.items['regions/europe-west1']?.addresses?.map((a) => a.name)).toEqual(['stg-web-ip']);
  });
});

describe('gcp compute fake: errors in the API shape, never a crash', () => {
  const expectError = (r: { status: number; body: Record<string, unknown> }, status: number, reason: string, text: string) => {
    expect(r.status).toBe(status);
    const err = r.body['error'] as { code: number; message: string; errors: { reason: string; domain: string; message: string }[] };
    expect(err.code).toBe(status);
    expect(err.message).toContain(text);
    expect(err.errors[0]).toMatchObject({ reason, domain: 'global' });
  };

  it('answers malformed and unknown requests with 4xx', async () => {
    const fake = await start(await loadInventoryFile(FIXTURE));
    const list = `${fake.url}/compute/v1/projects/shop-prod-123/aggregated/addresses`;
    expectError(await getJson(`${list}?maxResults=abc`), 400, 'invalid', "Invalid value for field 'maxResults'");
    expectError(await getJson(`${list}?maxResults=501`), 400, 'invalid', 'between 0 and 500');
    expectError(await getJson(`${list}?pageToken=garbage!`), 400, 'invalid', "Invalid value for field 'pageToken'");
    expectError(await getJson(`${list}?filter=${encodeURIComponent('name = "x"')}`), 400, 'invalid', 'does not implement filter');
    expectError(await getJson(`${fake.url}/compute/v1/projects/shop-prod-123/aggregated/disks`), 404, 'notFound', 'was not found');
    expectError(await getJson(`${fake.url}/compute/v1/projects/nope-proj/aggregated/addresses`), 404, 'notFound', "The resource 'projects/nope-proj' was not found");
    expectError(await getJson(`${fake.url}/compute/v1/projects/%E0%A4%A/aggregated/addresses`), 400, 'badRequest', 'Malformed project id');
    expectError(await getJson(`${fake.url}/`), 404, 'notFound', 'was not found');
    const post = await fetch(list, { method: 'POST', body: '{}' });
    expectError({ status: post.status, body: (await post.json()) as Record<string, unknown> }, 405, 'httpMethodNotAllowed', 'not allowed');
    const huge = await fetch(list, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(huge.status).toBe(413);

    // A page token is bound to its project and list.
    const two = await start(threeRegions, 1);
    const first = (await getJson(`${two.url}/compute/v1/projects/paging-proj-1/aggregated/addresses`)).body as unknown as Page;
    expect(first.nextPageToken).toBeTruthy();
    const wrongList = await getJson(`${two.url}/compute/v1/projects/paging-proj-1/aggregated/instances?pageToken=${first.nextPageToken}`);
    expect(wrongList.status).toBe(400);

    // Still serving after all that.
    expect((await getJson(list)).status).toBe(200);
    expect(fake.requestCount()).toBe(11);
  });

  it('answers a raw request line it cannot parse with 4xx', async () => {
    const fake = await start(threeRegions);
    const port = Number(new URL(fake.url).port);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '//compute/v1/projects/x/aggregated/addresses?%zz', method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });

  it('injects per-project faults: an error status after N pages, on chosen lists only', async () => {
    const fake = await start(
      {
        projects: {
          'fault-proj-1': {
            addresses: [1, 2, 3].map((n) => ({ name: `a${n}`, region: 'us-east1', address: `203.0.113.${n}` })),
            faults: { error: { status: 429, lists: ['addresses'], afterPages: 1 } },
          },
        },
      },
      1,
    );
    const base = `${fake.url}/compute/v1/projects/fault-proj-1/aggregated`;
    const first = await getJson(`${base}/addresses`);
    expect(first.status).toBe(200);
    const second = await getJson(`${base}/addresses?pageToken=${(first.body as unknown as Page).nextPageToken}`);
    expectError(second, 429, 'rateLimitExceeded', 'Quota exceeded');
    expect((await getJson(`${base}/instances`)).status).toBe(200);
  });
});

describe('gcp compute fake: slowness', () => {
  it('delays answers by delayMs, and close() does not wait for a delayed answer', async () => {
    const fake = await startGcpFake({ inventory: { projects: { 'slow-proj-1': { faults: { delayMs: 300 } }, 'slower-proj-1': { faults: { delayMs: 60_000 } } } } });
    let t = Date.now();
    expect((await fetch(`${fake.url}/compute/v1/projects/slow-proj-1/aggregated/addresses`)).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);

    const pending = fetch(`${fake.url}/compute/v1/projects/slower-proj-1/aggregated/addresses`).then(
      (r) => r.status,
      () => 'connection closed',
    );
    await new Promise((r) => setTimeout(r, 100));
    t = Date.now();
    await fake.close();
    expect(Date.now() - t).toBeLessThan(900);
    expect(await pending).toBe('connection closed');
  });
});

describe('gcp inventory validation', () => {
  it('accepts the whole inventory or its gcp section alone', async () => {
    const whole = await loadInventoryFile(FIXTURE);
    const section = parseGcpInventory(whole);
    expect(Object.keys(section.projects)).toEqual(['shop-prod-123', 'shop-staging-456', 'analytics-789']);
    expect(parseGcpInventory({ projects: {} })).toEqual({ projects: {} });
    expect(parseGcpInventory({ aws: {}, gcp: { projects: {} } })).toEqual({ projects: {} });
  });

  it('names the path of every problem', () => {
    const bad = {
      gcp: {
        projects: {
          'shop-prod-123': {
            addresses: [
              { name: 'ok', region: 'us-east1', address: '203.0.113.1' },
              { name: 'Bad_Name', region: 'regions/us-east1', address: 7 },
            ],
            instances: [{ name: 'vm', zone: 'useast1' }],
            forwardingRules: [
              { name: 'fr', region: 'us-east1', IPAddress: '203.0.113.2' },
              { name: 'fr', region: 'us-east1', IPAddress: '203.0.113.3' },
            ],
            faults: { error: { status: 200 }, slow: 5 },
          },
        },
      },
    };
    let caught: unknown;
    try {
      parseGcpInventory(bad);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GcpInventoryError);
    const issues = (caught as GcpInventoryError).issues.join('\n');
    expect(issues).toContain('gcp.projects.shop-prod-123.addresses[1].name:');
    expect(issues).toContain('gcp.projects.shop-prod-123.addresses[1].region: a region name');
    expect(issues).toContain('gcp.projects.shop-prod-123.addresses[1].address:');
    expect(issues).toContain('gcp.projects.shop-prod-123.instances[0].zone: a zone name');
    expect(issues).toContain('gcp.projects.shop-prod-123.faults.error.status:');
    expect(issues).toContain('gcp.projects.shop-prod-123.faults: Unrecognized key: "slow"');
    expect((caught as Error).message).toContain('invalid gcp inventory');
  });

  it('reports duplicate names in one location', () => {
    const dup = { projects: { 'dup-proj-1': { forwardingRules: [1, 2].map(() => ({ name: 'fr', region: 'us-east1', IPAddress: '203.0.113.2' })) } } };
    expect(() => parseGcpInventory(dup)).toThrow('gcp.projects.dup-proj-1.forwardingRules[1].name: duplicate name "fr" in us-east1 (first at forwardingRules[0])');
    // The same name in another region is another resource.
    expect(() => parseGcpInventory({ projects: { p: { addresses: [{ name: 'a', region: 'us-east1', address: 'x' }, { name: 'a', region: 'us-west1', address: 'y' }] } } })).not.toThrow();
  });

  it('refuses an inventory without a gcp section, and bad start options', async () => {
    expect(() => parseGcpInventory({ aws: {} })).toThrow('the inventory has no gcp section');
    expect(() => parseGcpInventory([])).toThrow(GcpInventoryError);
    await expect(startGcpFake({ inventory: { projects: {} }, pageSize: 0 })).rejects.toThrow('pageSize');
  });

  it('keeps inventory.schema.json in step with the zod schema', async () => {
    // After changing src/emulators/gcp/inventory.ts: node src/emulators/gcp/schema.ts
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(renderJsonSchema());
    const schema = JSON.parse(renderJsonSchema()) as Record<string, unknown>;
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['required']).toEqual(['projects']);
  });
});
