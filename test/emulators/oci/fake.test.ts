// The OCI API fake on its own: wire format, errors, paging, signatures and inventory validation.
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as common from 'oci-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventoryFile } from '../../../src/emulators/inventory.ts';
import { fingerprintOf, loadOciInventory, startOciFake, type OciFake } from '../../../src/emulators/oci/index.ts';
import type { OciInventoryInput } from '../../../src/emulators/oci/inventory.ts';
import { JSON_SCHEMA_FILE, ociInventoryJsonSchema } from '../../../src/emulators/oci/schema.ts';
import { createPublicKey } from 'node:crypto';

const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaaexampletenancy';
const PROD = 'ocid1.compartment.oc1..aaaaaaaaprod';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const fingerprint = fingerprintOf(createPublicKey(keys.publicKey));

let fixture: OciInventoryInput;
let fake: OciFake;

beforeAll(async () => {
  fixture = (await loadInventoryFile('test/fixtures/inventory-oci.yaml')).oci as OciInventoryInput;
  fake = await startOciFake({ inventory: { ...fixture, apiKeys: [keys.publicKey] }, pageSize: 2 });
});
afterAll(async () => {
  await fake.close();
});

// The fake's JSON answers; the assertions check their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Signs like the SDK does (oci-common's own signer), then sends with fetch. */
async function get(path: string, opts: { tenancy?: string; method?: string; tamper?: boolean; date?: string } = {}) {
  const provider = new common.SimpleAuthenticationDetailsProvider(opts.tenancy ?? TENANCY, 'ocid1.user.oc1..aaaa', fingerprint, keys.privateKey, null, common.Region.US_ASHBURN_1);
  const headers = new Headers();
  if (opts.date) headers.set('x-date', opts.date);
  const uri = `${fake.url}${path}`;
  await new common.DefaultRequestSigner(provider).signHttpRequest({ method: 'GET', headers, uri });
  if (opts.tamper) headers.set('authorization', (headers.get('authorization') ?? '').replace(/signature="[A-Za-z0-9+/]{8}/, 'signature="AAAAAAAA'));
  const res = await fetch(uri, { method: opts.method ?? 'GET', headers });
  return { status: res.status, next: res.headers.get('opc-next-page'), body: (await res.json()) as Json };
}

describe('oci fake: wire format', () => {
  it('answers lists as bare JSON arrays with opc-next-page paging', async () => {
    const first = await get(`/us-ashburn-1/20160918/publicIps?scope=REGION&compartmentId=${PROD}&limit=1`);
    expect(first.status).toBe(200);
    expect(Array.isArray(first.body)).toBe(true);
    expect(first.body).toEqual([expect.objectContaining({ id: 'ocid1.publicip.oc1.iad.aaaaaaaaspare', ipAddress: '203.0.113.11', lifetime: 'RESERVED', scope: 'REGION', lifecycleState: 'AVAILABLE' })]);
    expect(first.body[0]).not.toHaveProperty('region');
    expect(first.next).toBeTruthy();
    const last = await get(`/us-ashburn-1/20160918/publicIps?scope=REGION&compartmentId=${PROD}&limit=1&page=${first.next}`);
    expect(last.body.map((p: { ipAddress: string }) => p.ipAddress)).toEqual(['203.0.113.20']);
    expect(last.next).toBeNull();
  });

  it('lists region subscriptions, availability domains and the compartment tree as OCI does', async () => {
    const subs = await get(`/us-ashburn-1/20160918/tenancies/${TENANCY}/regionSubscriptions`);
    expect(subs.body).toContainEqual({ regionKey: 'IAD', regionName: 'us-ashburn-1', status: 'READY', isHomeRegion: true });
    expect(subs.body).toContainEqual({ regionKey: 'GRU', regionName: 'sa-saopaulo-1', status: 'IN_PROGRESS', isHomeRegion: false });
    const ads = await get(`/ap-tokyo-1/20160918/availabilityDomains?compartmentId=${TENANCY}`);
    expect(ads.body.map((a: { name: string }) => a.name)).toEqual(['Uocm:AP-TOKYO-1-AD-1']);

    const all: string[] = [];
    let page: string | null = null;
    do {
      const r: Awaited<ReturnType<typeof get>> = await get(`/ap-tokyo-1/20160918/compartments?compartmentId=${TENANCY}&compartmentIdInSubtree=true&lifecycleState=ACTIVE${page ? `&page=${page}` : ''}`);
      all.push(...r.body.map((c: { name: string }) => c.name));
      page = r.next;
    } while (page);
    expect(all).toEqual(['prod', 'prod-web', 'staging']);
    const children = await get(`/ap-tokyo-1/20160918/compartments?compartmentId=${TENANCY}`);
    expect(children.body.map((c: { name: string }) => c.name)).toEqual(['prod', 'staging']);
  });

  it('keeps a page token to its own listing and honours smaller limits', async () => {
    const a = await get(`/us-ashburn-1/20160918/publicIps?scope=REGION&compartmentId=${PROD}&limit=1`);
    const other = await get(`/us-ashburn-1/20160918/publicIps?scope=REGION&compartmentId=${TENANCY}&page=${a.next}`);
    expect(other).toMatchObject({ status: 400, body: { code: 'InvalidParameter' } });
    const one = await get(`/us-ashburn-1/20160918/publicIps?scope=REGION&compartmentId=${PROD}&limit=1`);
    expect(one.body).toHaveLength(1);
  });
});

describe('oci fake: errors', () => {
  it.each([
    ['a missing parameter', `/us-ashburn-1/20160918/publicIps?compartmentId=${PROD}`, 400, 'MissingParameter'],
    ['an invalid enum', `/us-ashburn-1/20160918/publicIps?scope=GLOBAL&compartmentId=${PROD}`, 400, 'InvalidParameter'],
    ['an AD with REGION scope', `/us-ashburn-1/20160918/publicIps?scope=REGION&availabilityDomain=Uocm:US-ASHBURN-AD-1&compartmentId=${PROD}`, 400, 'InvalidParameter'],
    ['an AD of another region', `/us-ashburn-1/20160918/publicIps?scope=AVAILABILITY_DOMAIN&availabilityDomain=Uocm:AP-TOKYO-1-AD-1&compartmentId=${PROD}`, 400, 'InvalidParameter'],
    ['a garbage page token', `/us-ashburn-1/20160918/subnets?compartmentId=${PROD}&page=zzz`, 400, 'InvalidParameter'],
    ['a bad limit', `/us-ashburn-1/20160918/subnets?compartmentId=${PROD}&limit=0`, 400, 'InvalidParameter'],
    ['a repeated parameter', `/us-ashburn-1/20160918/subnets?compartmentId=${PROD}&compartmentId=${TENANCY}`, 400, 'InvalidParameter'],
    ['bad percent-encoding', `/us-ashburn-1/20160918/%E0%A4%A/subnets`, 400, 'InvalidParameter'],
    ['a subtree listing below the root', `/us-ashburn-1/20160918/compartments?compartmentId=${PROD}&compartmentIdInSubtree=true`, 400, 'InvalidParameter'],
    ['listIpv6s without subnet or VNIC', `/us-ashburn-1/20160918/ipv6`, 400, 'MissingParameter'],
    ['an unknown compartment', `/us-ashburn-1/20160918/subnets?compartmentId=ocid1.compartment.oc1..aaaanope`, 404, 'NotAuthorizedOrNotFound'],
    ['a subnet of another region', `/ap-tokyo-1/20160918/ipv6?subnetId=ocid1.subnet.oc1.iad.aaaaaaaapublic`, 404, 'NotAuthorizedOrNotFound'],
    ['another tenancy', `/us-ashburn-1/20160918/tenancies/ocid1.tenancy.oc1..aaaaother/regionSubscriptions`, 404, 'NotAuthorizedOrNotFound'],
    ['an unknown operation', `/us-ashburn-1/20160918/instances?compartmentId=${PROD}`, 404, 'NotAuthorizedOrNotFound'],
    ['a path without the API version', `/us-ashburn-1/publicIps`, 404, 'NotAuthorizedOrNotFound'],
    ['a region the tenancy is not subscribed to', `/eu-paris-1/20160918/subnets?compartmentId=${PROD}`, 401, 'NotAuthenticated'],
  ])('answers %s with the OCI error shape', async (_what, path, status, code) => {
    const r = await get(path);
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ code, message: expect.any(String) });
  });

  it('refuses methods other than GET', async () => {
    const r = await get(`/us-ashburn-1/20160918/publicIps`, { method: 'DELETE' });
    expect(r).toMatchObject({ status: 405, body: { code: 'MethodNotAllowed' } });
  });

  it('refuses unsigned, tampered, foreign-tenancy and stale requests', async () => {
    const path = `/us-ashburn-1/20160918/subnets?compartmentId=${PROD}`;
    const unsigned = await fetch(`${fake.url}${path}`);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 'NotAuthenticated', message: expect.stringMatching(/not signed/) });
    expect(await get(path, { tamper: true })).toMatchObject({ status: 401, body: { message: expect.stringMatching(/does not verify/) } });
    expect(await get(path, { tenancy: 'ocid1.tenancy.oc1..aaaaother' })).toMatchObject({ status: 401, body: { message: expect.stringMatching(/not to ocid1.tenancy/) } });
    const stale = new Date(Date.now() - 10 * 60_000).toUTCString();
    expect(await get(path, { date: stale })).toMatchObject({ status: 401, body: { message: expect.stringMatching(/5 minutes/) } });
    expect((await get(path)).status).toBe(200);
  });

  it('serves faults from the inventory: status, code, delay, limited to operations', async () => {
    const inv = structuredClone(fixture) as Required<OciInventoryInput>;
    inv.regions['ap-tokyo-1']!.fault = { status: 429, operations: ['listSubnets'], delayMs: 150 };
    inv.compartments[0]!.fault = { status: 404, code: 'NotAuthorizedOrNotFound', message: 'no access', regions: ['eu-frankfurt-1'] };
    const f = await startOciFake({ inventory: { oci: inv } });
    try {
      const base = f.url;
      const send = async (path: string) => {
        const provider = new common.SimpleAuthenticationDetailsProvider(TENANCY, 'u', fingerprint, keys.privateKey, null, common.Region.US_ASHBURN_1);
        const headers = new Headers();
        await new common.DefaultRequestSigner(provider).signHttpRequest({ method: 'GET', headers, uri: base + path });
        const t = Date.now();
        const res = await fetch(base + path, { headers });
        return { status: res.status, body: (await res.json()) as Json, ms: Date.now() - t };
      };
      const slow = await send(`/ap-tokyo-1/20160918/subnets?compartmentId=${PROD}`);
      expect(slow).toMatchObject({ status: 429, body: { code: 'TooManyRequests' } });
      expect(slow.ms).toBeGreaterThanOrEqual(140);
      expect((await send(`/ap-tokyo-1/20160918/publicIps?scope=REGION&compartmentId=${PROD}`)).status).toBe(200);
      expect(await send(`/eu-frankfurt-1/20160918/subnets?compartmentId=${PROD}`)).toMatchObject({ status: 404, body: { code: 'NotAuthorizedOrNotFound', message: 'no access' } });
      expect((await send(`/us-ashburn-1/20160918/subnets?compartmentId=${PROD}`)).status).toBe(200);
      expect(f.requestCount()).toBe(4);
    } finally {
      await f.close();
    }
  });
});

describe('oci fake: inventory', () => {
  const base = () => structuredClone(fixture) as Required<OciInventoryInput>;
  const problems = (inv: unknown) => {
    try {
      loadOciInventory(inv);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };

  it('accepts the whole inventory or the oci section alone', () => {
    expect(loadOciInventory({ oci: fixture }).tenancy).toBe(TENANCY);
    expect(loadOciInventory(fixture).publicIps).toHaveLength(8);
    expect(problems({ aws: {} })).toMatch(/no oci section/);
  });

  it.each<[string, (inv: Required<OciInventoryInput>) => void, RegExp]>([
    ['an unknown key', (i) => ((i.publicIps[0] as Record<string, unknown>)['color'] = 'red'), /^oci\.publicIps\[0\]: .*color/m],
    ['a missing tenancy', (i) => delete (i as Partial<OciInventoryInput>).tenancy, /^oci\.tenancy: /m],
    ['an IP in an unlisted region', (i) => (i.publicIps[1]!.region = 'eu-paris-1'), /^oci\.publicIps\[1\]\.region: "eu-paris-1" is not a key of oci\.regions/m],
    ['an AD of another region', (i) => (i.publicIps[3]!.availabilityDomain = 'Uocm:AP-TOKYO-1-AD-1'), /^oci\.publicIps\[3\]\.availabilityDomain: .*not an availability domain of us-ashburn-1/m],
    ['a reserved IP scoped to an AD', (i) => (i.publicIps[0]!.scope = 'AVAILABILITY_DOMAIN'), /^oci\.publicIps\[0\]\.scope: reserved public IPs have scope REGION/m],
    ['an unknown compartment', (i) => (i.publicIps[2]!.compartmentId = 'ocid1.compartment.oc1..aaaanope'), /^oci\.publicIps\[2\]\.compartmentId: .*neither the tenancy nor a listed compartment/m],
    ['an IPv6 in an unknown subnet', (i) => (i.ipv6[0]!.subnetId = 'ocid1.subnet.oc1.iad.aaaanope'), /^oci\.ipv6\[0\]\.subnetId: .*not an id of oci\.subnets/m],
    ['an IPv6 region unlike its subnet', (i) => (i.ipv6[0]!.region = 'ap-tokyo-1'), /^oci\.ipv6\[0\]\.region: /m],
    ['a compartment cycle', (i) => (i.compartments[0]!.compartmentId = i.compartments[1]!.id), /^oci\.compartments\[0\]\.compartmentId: the compartment is its own ancestor/m],
    ['a duplicate id', (i) => (i.publicIps[1]!.id = i.publicIps[0]!.id), /^oci\.publicIps\[1\]\.id: duplicate id/m],
    ['a region name OCI cannot have', (i) => (i.regions['US East'] = {}), /^oci\.regions\.US East: /m],
    ['a bad API key', (i) => (i.apiKeys = ['-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----']), /^oci\.apiKeys\[0\]: not a readable PEM public key/m],
    ['a fault with an unknown operation', (i) => ((i.regions['ap-tokyo-1'] as Record<string, unknown>)['fault'] = { status: 500, operations: ['listInstances'] }), /^oci\.regions\.ap-tokyo-1\.fault\.operations\[0\]: /m],
  ])('names the path of %s', (_what, edit, want) => {
    const inv = base();
    edit(inv);
    expect(problems(inv)).toMatch(want);
  });

  it('reports every problem at once', () => {
    const inv = base();
    inv.publicIps[0]!.region = 'eu-paris-1';
    inv.ipv6[1]!.subnetId = 'ocid1.subnet.oc1.iad.aaaanope';
    expect(problems(inv).split('\n')).toHaveLength(2);
  });

  it('publishes a JSON Schema that is the one generated from the validator', async () => {
    const committed = JSON.parse(await readFile(JSON_SCHEMA_FILE, 'utf8'));
    expect(committed).toEqual(ociInventoryJsonSchema());
    expect(committed.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(committed.properties)).toEqual(expect.arrayContaining(['tenancy', 'regions', 'compartments', 'publicIps', 'ipv6']));
  });
});
