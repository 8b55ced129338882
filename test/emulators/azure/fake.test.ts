import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureInventoryJsonSchema, parseAzureInventory, startAzureFake, type AzureFake } from '../../../src/emulators/azure/index.ts';
import { loadInventoryFile, type Inventory } from '../../../src/emulators/inventory.ts';

// The fake's wire protocol, seen from a raw https client: what the SDK relies on, and what a malformed
// request gets (ARM's 4xx error shape, never a crash).

const WEB = '6b1f3c2e-8d4a-4b7e-9f10-2a3b4c5d6e7f';
const SANDBOX = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const PIPS = `/subscriptions/${WEB}/providers/Microsoft.Network/publicIPAddresses`;

let inventory: Inventory;
let fake: AzureFake;

beforeAll(async () => {
  inventory = await loadInventoryFile(join(import.meta.dirname, '../../fixtures/inventory-azure.yaml'));
  fake = await startAzureFake({ inventory });
});
afterAll(() => fake.close());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

function get(url: string, opts: { method?: string; auth?: string | null } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.auth !== null) headers['authorization'] = opts.auth ?? 'Bearer test';
    const req = request(url, { method: opts.method ?? 'GET', headers, ca: fake.caPem }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(body) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(opts.method === 'POST' ? '{"x":1}' : undefined);
  });
}

const armErr = (code: string) => ({ error: { code, message: expect.any(String) } });

describe('azure fake: ARM wire protocol', () => {
  it('pages publicIPAddresses with absolute nextLink URLs and nests settings under properties', async () => {
    const first = await get(`${fake.url}${PIPS}?api-version=2026-01-01`);
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    const value = first.json['value'] as Array<Record<string, unknown>>;
    expect(value).toHaveLength(5);
    expect(value[0]).toEqual({
      name: 'web-eastus-lb-pip',
      id: `/subscriptions/${WEB}/resourceGroups/web-eastus/providers/Microsoft.Network/publicIPAddresses/web-eastus-lb-pip`,
      etag: expect.stringMatching(/^W\/"[0-9a-f-]{36}"$/),
      type: 'Microsoft.Network/publicIPAddresses',
      location: 'eastus',
      tags: { 'cf-origin': 'true', env: 'prod' },
      zones: ['1', '2', '3'],
      sku: { name: 'Standard', tier: 'Regional' },
      properties: expect.objectContaining({
        provisioningState: 'Succeeded',
        ipAddress: '203.0.113.10',
        publicIPAddressVersion: 'IPv4',
        publicIPAllocationMethod: 'Static',
        ipConfiguration: { id: expect.stringContaining('/loadBalancers/web-eastus-lb/frontendIPConfigurations/fe-v4') },
      }),
    });
    const next = first.json['nextLink'] as string;
    expect(next.startsWith(`${fake.url}${PIPS}?`)).toBe(true);
    const second = await get(next);
    const third = await get(second.json['nextLink'] as string);
    expect((second.json['value'] as unknown[]).length).toBe(5);
    expect((third.json['value'] as unknown[]).length).toBe(3);
    expect(third.json['nextLink']).toBeUndefined();
    const names = [first, second, third].flatMap((a) => (a.json['value'] as Array<{ name: string }>).map((v) => v.name));
    expect(new Set(names).size).toBe(13);
  });

  it('leaves ipAddress out for an unallocated Dynamic address and infers IPv6', async () => {
    const dyn = await get(`${fake.url}/subscriptions/${WEB}/resourceGroups/web-japaneast/providers/Microsoft.Network/publicIPAddresses/web-jpe-vm1-pip?api-version=2026-01-01`);
    expect(dyn.status).toBe(200);
    expect(dyn.json['properties']).not.toHaveProperty('ipAddress');
    expect(dyn.json['properties']).toMatchObject({ publicIPAllocationMethod: 'Dynamic' });
    const rg = await get(`${fake.url}/subscriptions/${WEB}/resourceGroups/WEB-WESTEUROPE/providers/microsoft.network/publicipaddresses?api-version=2026-01-01`);
    const v = rg.json['value'] as Array<{ name: string; properties: { publicIPAddressVersion: string } }>;
    expect(v.map((x) => x.name)).toEqual(['web-weu-agw-pip', 'web-weu-agw-pip6']);
    expect(v[1]?.properties.publicIPAddressVersion).toBe('IPv6');
  });

  it('lists subscriptions with state and tenant', async () => {
    const r = await get(`${fake.url}/subscriptions?api-version=2022-12-01`);
    const subs = r.json['value'] as Array<Record<string, unknown>>;
    expect(subs).toHaveLength(4);
    expect(subs.find((s) => s['displayName'] === 'legacy')).toMatchObject({ state: 'Disabled', tenantId: '7e0c1d2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a' });
    const one = await get(`${fake.url}/subscriptions/${WEB}?api-version=2022-12-01`);
    expect(one.json).toMatchObject({ subscriptionId: WEB, displayName: 'prod-web', state: 'Enabled' });
  });

  it('answers the fault set for a subscription in the inventory', async () => {
    const r = await get(`${fake.url}/subscriptions/${SANDBOX}/providers/Microsoft.Network/publicIPAddresses?api-version=2026-01-01`);
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ error: { code: 'AuthorizationFailed', message: expect.stringContaining("does not have authorization to perform action 'Microsoft.Network/publicIPAddresses/read'") } });
  });

  it('answers 5xx and Retry-After on throttling faults', async () => {
    const SUB = 'cccccccc-0000-4000-8000-000000000001';
    const f = await startAzureFake({ inventory: { azure: { subscriptions: { [SUB]: { fault: { code: 'TooManyRequests' } } } } } });
    try {
      const r = await new Promise<{ status: number; retry: unknown }>((resolve, reject) => {
        request(`${f.url}/subscriptions/${SUB}/providers/Microsoft.Network/publicIPAddresses?api-version=1`, { headers: { authorization: 'Bearer x' }, ca: f.caPem }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, retry: res.headers['retry-after'] });
        })
          .on('error', reject)
          .end();
      });
      expect(r).toEqual({ status: 429, retry: '1' });
    } finally {
      await f.close();
    }
  });

  it.each([
    ['no Authorization header', `${PIPS}?api-version=1`, { auth: null }, 401, 'AuthenticationFailed'],
    ['a non-bearer Authorization header', `${PIPS}?api-version=1`, { auth: 'Basic dXNlcjpwYXNz' }, 401, 'AuthenticationFailed'],
    ['no api-version', PIPS, {}, 400, 'MissingApiVersionParameter'],
    ['a garbage $skiptoken', `${PIPS}?api-version=1&$skiptoken=%%%`, {}, 400, 'InvalidSkipToken'],
    ['a negative offset in $skiptoken', `${PIPS}?api-version=1&$skiptoken=${Buffer.from('{"o":-5}').toString('base64url')}`, {}, 400, 'InvalidSkipToken'],
    ['a malformed escape in the path', `/subscriptions/%E0%A4%A/providers?api-version=1`, {}, 400, 'InvalidRequestUri'],
    ['an unknown subscription', `/subscriptions/dddddddd-0000-4000-8000-000000000000/providers/Microsoft.Network/publicIPAddresses?api-version=1`, {}, 404, 'SubscriptionNotFound'],
    ['an unknown resource type', `/subscriptions/${WEB}/providers/Microsoft.Network/loadBalancers?api-version=1`, {}, 404, 'NotFound'],
    ['an unknown public IP', `/subscriptions/${WEB}/resourceGroups/x/providers/Microsoft.Network/publicIPAddresses/nope?api-version=1`, {}, 404, 'ResourceNotFound'],
    ['a path outside ARM', `/../../etc/passwd?api-version=1`, {}, 404, 'NotFound'],
    ['a write', `${PIPS}?api-version=1`, { method: 'POST' }, 405, 'MethodNotAllowed'],
  ] as const)('answers %s with ARM error shape', async (_what, path, opts, status, code) => {
    const r = await get(`${fake.url}${path}`, opts);
    expect(r.status).toBe(status);
    expect(r.json).toEqual(armErr(code));
  });

  it('checks the token when started with one', async () => {
    const f = await startAzureFake({ inventory, token: 'right' });
    try {
      const ask = (auth: string) =>
        new Promise<number>((resolve, reject) => {
          request(`${f.url}/subscriptions?api-version=1`, { headers: { authorization: auth }, ca: f.caPem }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
            .on('error', reject)
            .end();
        });
      expect(await ask('Bearer wrong')).toBe(401);
      expect(await ask('Bearer right')).toBe(200);
    } finally {
      await f.close();
    }
  });

  it('survives a client that drops mid-handshake and keeps answering', async () => {
    const { port } = new URL(fake.url);
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: Number(port), rejectUnauthorized: false }, () => {
        s.destroy();
        resolve();
      });
      s.on('error', () => resolve());
    });
    const r = await get(`${fake.url}/subscriptions?api-version=1`);
    expect(r.status).toBe(200);
  });

  it('counts requests', async () => {
    const before = fake.requestCount();
    await get(`${fake.url}/subscriptions?api-version=1`);
    await get(`${fake.url}/nope`, { auth: null });
    expect(fake.requestCount() - before).toBe(2);
  });
});

describe('azure fake: inventory', () => {
  it('accepts the whole inventory or the azure section alone', async () => {
    const whole = parseAzureInventory(inventory);
    const section = parseAzureInventory(inventory.azure);
    expect(section).toEqual(whole);
    expect(Object.keys(whole.subscriptions)).toHaveLength(4);
  });

  it('rejects a bad inventory with every problem named by its path', () => {
    const bad = {
      azure: {
        subscriptions: {
          'not-a-guid': {},
          [WEB]: {
            fault: {},
            publicIPAddresses: [
              { name: 'ok', resourceGroup: 'rg', location: 'eastus', sku: { tier: 'global' } },
              { name: 'x', resourceGroup: 'rg', location: 'eastus', ipadress: '192.0.2.1' },
            ],
          },
        },
      },
    };
    let message = '';
    try {
      parseAzureInventory(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('azure.subscriptions.not-a-guid: subscription key "not-a-guid" is not a subscription id (a GUID)');
    expect(message).toContain(`azure.subscriptions.${WEB}.publicIPAddresses[0].sku.tier: Invalid option: expected one of "Regional"|"Global"`);
    expect(message).toContain(`azure.subscriptions.${WEB}.publicIPAddresses[1]: Unrecognized key: "ipadress"`);
    expect(message).toContain(`azure.subscriptions.${WEB}.fault: a fault needs code/status`);
  });

  it('rejects two resources with one ARM id (names are case-insensitive)', () => {
    const dup = { subscriptions: { [WEB]: { publicIPAddresses: [{ name: 'a', resourceGroup: 'rg', location: 'eastus' }, { name: 'A', resourceGroup: 'RG', location: 'eastus' }] } } };
    expect(() => parseAzureInventory(dup)).toThrow(`azure.subscriptions.${WEB}.publicIPAddresses[1].name: duplicate of publicIPAddresses[0]`);
  });

  it('says so when there is no azure section', () => {
    expect(() => parseAzureInventory({ aws: {} })).toThrow(/no azure section/);
  });

  it('refuses to start on a bad inventory or page size', async () => {
    await expect(startAzureFake({ inventory: { subscriptions: { x: {} } } })).rejects.toThrow(/azure\.subscriptions\.x/);
    await expect(startAzureFake({ inventory, pageSize: 0 })).rejects.toThrow(/pageSize/);
  });

  it('has its JSON Schema committed and in step with the zod schema', () => {
    const committed: unknown = JSON.parse(readFileSync(join(import.meta.dirname, '../../../src/emulators/azure/inventory.schema.json'), 'utf8'));
    expect(committed).toEqual(azureInventoryJsonSchema());
    expect(committed).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', required: ['subscriptions'], additionalProperties: false });
  });
});
