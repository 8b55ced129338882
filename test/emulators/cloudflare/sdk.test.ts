import Cloudflare from 'cloudflare';
import CloudflareV1 from 'cloudflare-v1';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCloudflareEmulator, type CloudflareEmulator } from '../../../src/emulators/cloudflare/index.ts';

// The official SDKs, unmodified, against the emulator: cloudflare@7.3.0 (v2 paths), cloudflare@6.3.0 (v1 paths).
const zone_id = '023e105f4ecef8ad9ca31a8372d0c353';
const TOKEN = 'sdk-test-token-0123456789abcdefghijklmnop';

let emu: CloudflareEmulator;
let log: string[];
beforeEach(async () => {
  log = [];
  emu = await startCloudflareEmulator({ tokens: [TOKEN, 'global-api-key'], logger: (l) => log.push(l) });
});
afterEach(async () => {
  await emu.close();
});

const v2Client = () => new Cloudflare({ apiToken: TOKEN, baseURL: emu.url, maxRetries: 0 });
const v1Client = () => new CloudflareV1({ apiToken: TOKEN, baseURL: emu.url, maxRetries: 0 });
type ApiErr = InstanceType<typeof Cloudflare.APIError>;
const ipOf = (i: number) => `198.51.${Math.floor(i / 256)}.${i % 256}`;

describe('cloudflare@7.3.0 (v2 paths)', () => {
  it('list() auto-paginates over more than 100 mappings and stops at the empty page', async () => {
    emu.seed(
      zone_id,
      Array.from({ length: 130 }, (_, i) => ({ origin_ip: ipOf(i), vendor: 'aws', region: 'us-east-1' })),
    );
    const ips: string[] = [];
    for await (const m of v2Client().cache.originCloudRegions.list({ zone_id })) ips.push(m.origin_ip);
    expect(ips).toHaveLength(130);
    expect(new Set(ips).size).toBe(130);
    // 7 pages of 20 (the 7th has 10), then the empty page 8 that ends the iteration.
    const pages = emu.stats().find((s) => s.route === '/zones/:zone_id/origin/cloud_regions' && s.status === 200);
    expect(pages?.count).toBe(8);

    const big: string[] = [];
    for await (const m of v2Client().cache.originCloudRegions.list({ zone_id, per_page: 100 })) big.push(m.origin_ip);
    expect(big).toEqual(ips);
  });

  it('update, get, delete; the IPv6 path goes out raw and is canonicalized', async () => {
    const cf = v2Client();
    const up = await cf.cache.originCloudRegions.update('2001:DB8:0::1', { zone_id, origin_ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' });
    expect(up).toEqual({ origin_ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp', modified_on: expect.any(String) });
    expect(log[0]).toMatch(/^PUT \/client\/v4\/zones\/\w+\/origin\/cloud_regions\/2001:DB8:0::1 200 /);
    expect(await cf.cache.originCloudRegions.get('2001:db8::1', { zone_id })).toMatchObject({ origin_ip: '2001:db8::1', vendor: 'gcp' });
    expect(await cf.cache.originCloudRegions.delete('2001:db8::1', { zone_id })).toEqual({ origin_ip: '2001:db8::1' });
    const missing = await cf.cache.originCloudRegions.get('2001:db8::1', { zone_id }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Cloudflare.NotFoundError);
    expect((missing as ApiErr).errors).toEqual([
      expect.objectContaining({ code: 1142 }),
    ]);
  });

  it('update over the cap surfaces as PermissionDeniedError with code 1164; a bad region as BadRequestError 1157', async () => {
    const small = await startCloudflareEmulator({ maxMappings: 1, seed: { [zone_id]: [{ origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }] } });
    try {
      const cf = new Cloudflare({ apiToken: TOKEN, baseURL: small.url, maxRetries: 0 });
      const capped = await cf.cache.originCloudRegions.update('192.0.2.2', { zone_id, origin_ip: '192.0.2.2', region: 'us-east-1', vendor: 'aws' }).catch((e: unknown) => e);
      expect(capped).toBeInstanceOf(Cloudflare.PermissionDeniedError);
      expect((capped as ApiErr).errors[0]).toMatchObject({ code: 1164 });
      const bad = await cf.cache.originCloudRegions.update('192.0.2.1', { zone_id, origin_ip: '192.0.2.1', region: 'moon-1', vendor: 'aws' }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(Cloudflare.BadRequestError);
      expect((bad as ApiErr).errors[0]).toMatchObject({ code: 1157 });
    } finally {
      await small.close();
    }
  });

  it('bulkUpdate and bulkDelete (body passed through request options)', async () => {
    const cf = v2Client();
    const up = await cf.cache.originCloudRegions.bulkUpdate({
      zone_id,
      body: [
        { origin_ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' },
        { origin_ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' },
        { origin_ip: '192.0.2.2', region: 'westeurope', vendor: 'azure' },
        { origin_ip: '192.0.2.3', region: 'nowhere', vendor: 'oci' },
      ],
    });
    expect(up.succeeded.map((s) => s.origin_ip)).toEqual(['192.0.2.1', '2001:db8::1', '192.0.2.2']);
    expect(up.failed).toEqual([{ origin_ip: '192.0.2.3', error: expect.any(String) }]);

    const del = await cf.cache.originCloudRegions.bulkDelete({ zone_id }, { body: ['192.0.2.1', '2001:db8::1', '203.0.113.1'] });
    expect(del.succeeded).toEqual([
      { origin_ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' },
      { origin_ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' },
    ]);
    expect(del.failed.map((f) => f.origin_ip)).toEqual(['203.0.113.1']);
    expect(emu.mappings(zone_id).map((m) => m.origin_ip)).toEqual(['192.0.2.2']);

    // As the SDK sends it by default (no body): refused, nothing deleted.
    await expect(cf.cache.originCloudRegions.bulkDelete({ zone_id })).rejects.toBeInstanceOf(Cloudflare.BadRequestError);
    expect(emu.mappings(zone_id)).toHaveLength(1);
  });

  it('supportedRegions covers all four vendors', async () => {
    const sr = await v2Client().cache.originCloudRegions.supportedRegions({ zone_id });
    expect(sr.obtained_codes).toBe(true);
    expect(Object.keys(sr.vendors).sort()).toEqual(['aws', 'azure', 'gcp', 'oci']);
    expect(sr.vendors.gcp).toContainEqual({ name: 'us-central1', upper_tier_colos: ['ORD'] });
  });

  it('auth: a wrong token is 403 PermissionDeniedError with code 10000; email + global key works', async () => {
    const wrong = new Cloudflare({ apiToken: 'not-the-token', baseURL: emu.url, maxRetries: 0 });
    const e = await wrong.cache.originCloudRegions.supportedRegions({ zone_id }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Cloudflare.PermissionDeniedError);
    expect((e as ApiErr).errors[0]).toMatchObject({ code: 10000 });
    const byKey = new Cloudflare({ apiEmail: 'sre@example.com', apiKey: 'global-api-key', baseURL: emu.url, maxRetries: 0 });
    expect((await byKey.cache.originCloudRegions.supportedRegions({ zone_id })).obtained_codes).toBe(true);
  });

  it('429 surfaces as RateLimitError, and with retries the SDK waits Retry-After and succeeds', async () => {
    const limited = await startCloudflareEmulator({ rateLimit: { requests: 1, windowSeconds: 1 } });
    try {
      const noRetry = new Cloudflare({ apiToken: TOKEN, baseURL: limited.url, maxRetries: 0 });
      await noRetry.cache.originCloudRegions.supportedRegions({ zone_id });
      await expect(noRetry.cache.originCloudRegions.supportedRegions({ zone_id })).rejects.toBeInstanceOf(Cloudflare.RateLimitError);
      const retrying = new Cloudflare({ apiToken: TOKEN, baseURL: limited.url, maxRetries: 2 });
      expect((await retrying.cache.originCloudRegions.supportedRegions({ zone_id })).obtained_codes).toBe(true);
    } finally {
      await limited.close();
    }
  });
});

describe('cloudflare@6.3.0 (v1 paths)', () => {
  it('create, list, edit, get, delete', async () => {
    const cf = v1Client();
    const created = await cf.cache.originCloudRegions.create({ zone_id, ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' });
    expect(created).toMatchObject({ id: 'origin_public_cloud_region', editable: true, value: { 'origin-ip': '192.0.2.1', vendor: 'aws' } });
    await expect(cf.cache.originCloudRegions.create({ zone_id, ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' })).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ code: 1145 })],
    });

    const edited = await cf.cache.originCloudRegions.edit({ zone_id, ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' });
    expect(edited.value.map((m) => m['origin-ip'])).toEqual(['192.0.2.1', '2001:db8::1']);
    const listed = await cf.cache.originCloudRegions.list({ zone_id });
    expect(listed.value).toEqual(edited.value);
    expect(listed.modified_on).toEqual(expect.any(String));

    const got = await cf.cache.originCloudRegions.get('2001:db8::1', { zone_id });
    expect(got.value).toMatchObject({ 'origin-ip': '2001:db8::1', region: 'us-central1' });
    const deleted = await cf.cache.originCloudRegions.delete('2001:db8::1', { zone_id });
    expect(deleted.value).toMatchObject({ 'origin-ip': '2001:db8::1', vendor: 'gcp' });
    await expect(cf.cache.originCloudRegions.delete('2001:db8::1', { zone_id })).rejects.toMatchObject({
      status: 404,
      errors: [expect.objectContaining({ code: 1163 })],
    });
  });

  it('bulkEdit, bulkDelete, supportedRegions', async () => {
    const cf = v1Client();
    const edit = await cf.cache.originCloudRegions.bulkEdit({
      zone_id,
      body: [
        { ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' },
        { ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' },
        { ip: '192.0.2.500', region: 'us-east-1', vendor: 'aws' },
      ],
    });
    expect(edit.value.succeeded.map((s) => s['origin-ip'])).toEqual(['192.0.2.1', '2001:db8::1']);
    expect(edit.value.failed).toEqual([{ 'origin-ip': '192.0.2.500', error: 'Invalid or missing origin IP address.' }]);
    expect(edit.modified_on).toEqual(expect.any(String));

    const del = await cf.cache.originCloudRegions.bulkDelete({ zone_id }, { body: ['192.0.2.1', '2001:db8::1'] });
    expect(del.value.succeeded).toEqual([
      { 'origin-ip': '192.0.2.1', region: 'us-east-1', vendor: 'aws' },
      { 'origin-ip': '2001:db8::1', region: 'us-central1', vendor: 'gcp' },
    ]);
    expect((await cf.cache.originCloudRegions.list({ zone_id })).modified_on).toBeNull();

    const sr = await cf.cache.originCloudRegions.supportedRegions({ zone_id });
    expect(sr.vendors['aws']).toContainEqual({ name: 'us-west-2', upper_tier_colos: ['SEA'] });
  });

  it('after retireV1 the v1 SDK gets 400/7003 while the v7 SDK keeps working', async () => {
    emu.setFaults({ retireV1: true });
    await expect(v1Client().cache.originCloudRegions.list({ zone_id })).rejects.toMatchObject({
      status: 400,
      errors: [{ code: 7003, message: 'No route for the URI' }],
    });
    expect((await v2Client().cache.originCloudRegions.supportedRegions({ zone_id })).obtained_codes).toBe(true);
  });
});
