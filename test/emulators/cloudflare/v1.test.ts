import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCloudflareEmulator, type CloudflareEmulator } from '../../../src/emulators/cloudflare/index.ts';

// v1 (deprecated) family over real HTTP: /zones/{zone_id}/cache/origin_cloud_regions.
const Z = '023e105f4ecef8ad9ca31a8372d0c353';
const BASE = `/zones/${Z}/cache/origin_cloud_regions`;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

let emu: CloudflareEmulator;
beforeEach(async () => {
  emu = await startCloudflareEmulator({ seed: { [Z]: [{ origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }] } });
});
afterEach(async () => {
  await emu.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are untyped JSON, asserted field by field
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(emu.url + path, {
    method,
    headers: { Authorization: 'Bearer test-token', 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

describe('v1 seed-document example', () => {
  it('PATCH {ip, region, vendor} answers the whole list with "origin-ip" keys in the setting wrapper', async () => {
    const r = await call('PATCH', BASE, { ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ success: true, errors: [], messages: [] });
    const result = r.json.result;
    expect(result).toMatchObject({ id: 'origin_public_cloud_region', editable: true });
    expect(result.modified_on).toMatch(RFC3339);
    expect(result.value).toEqual([
      { 'origin-ip': '192.0.2.1', region: 'us-east-1', vendor: 'aws', modified_on: expect.stringMatching(RFC3339) },
      { 'origin-ip': '2001:db8::1', region: 'us-central1', vendor: 'gcp', modified_on: expect.stringMatching(RFC3339) },
    ]);
  });

  it('PATCH overwrites an existing IP in place (upsert, not a second entry)', async () => {
    const r = await call('PATCH', BASE, { ip: '192.0.2.1', region: 'eu-west-1', vendor: 'aws' });
    expect(r.json.result.value).toEqual([{ 'origin-ip': '192.0.2.1', region: 'eu-west-1', vendor: 'aws', modified_on: expect.any(String) }]);
  });
});

describe('v1 single-item routes', () => {
  it('POST creates one mapping and answers it alone; a duplicate (in any spelling) is 400/1145', async () => {
    const r = await call('POST', BASE, { ip: '2001:DB8:0::1', region: 'us-central1', vendor: 'gcp' });
    expect(r.status).toBe(200);
    expect(r.json.result.value).toEqual({ 'origin-ip': '2001:db8::1', region: 'us-central1', vendor: 'gcp', modified_on: expect.stringMatching(RFC3339) });
    const dup = await call('POST', BASE, { ip: '2001:db8:0:0::1', region: 'us-east-1', vendor: 'aws' });
    expect(dup.status).toBe(400);
    expect(dup.json).toEqual({
      success: false,
      errors: [{ code: 1145, message: 'Unable to create new origin_public_cloud_region setting. The zone setting already exists.' }],
      messages: [],
      result: null,
    });
    expect(emu.mappings(Z).find((m) => m.origin_ip === '2001:db8::1')?.vendor).toBe('gcp');
  });

  it('POST with a bad IP is 400/1146, a bad vendor or region 400/1157', async () => {
    expect((await call('POST', BASE, { ip: '192.0.2.300', region: 'us-east-1', vendor: 'aws' })).json.errors[0].code).toBe(1146);
    expect((await call('POST', BASE, { region: 'us-east-1', vendor: 'aws' })).json.errors[0].code).toBe(1146);
    const badRegion = await call('POST', BASE, { ip: '192.0.2.9', region: 'us-central1', vendor: 'aws' });
    expect(badRegion.status).toBe(400);
    expect(badRegion.json.errors[0].code).toBe(1157);
    expect((await call('POST', BASE, { ip: '192.0.2.9', region: 'us-east-1', vendor: 'digitalocean' })).json.errors[0].code).toBe(1157);
    expect(emu.mappings(Z)).toHaveLength(1);
  });

  it('GET one by raw and %3A-encoded IPv6 path; unknown IP 404/1142', async () => {
    await call('PATCH', BASE, { ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' });
    for (const p of ['2001:DB8:0::1', '2001%3Adb8%3A%3A1']) {
      const r = await call('GET', `${BASE}/${p}`);
      expect(r.status).toBe(200);
      expect(r.json.result).toMatchObject({ id: 'origin_public_cloud_region', value: { 'origin-ip': '2001:db8::1', vendor: 'gcp' } });
    }
    const missing = await call('GET', `${BASE}/198.51.100.7`);
    expect(missing.status).toBe(404);
    expect(missing.json.errors[0].code).toBe(1142);
  });

  it('DELETE one answers the deleted entry; unknown IP is 404/1163; after the last one the list has modified_on null', async () => {
    const del = await call('DELETE', `${BASE}/192.0.2.1`);
    expect(del.status).toBe(200);
    expect(del.json.result.value).toMatchObject({ 'origin-ip': '192.0.2.1', region: 'us-east-1', vendor: 'aws' });
    const again = await call('DELETE', `${BASE}/192.0.2.1`);
    expect(again.status).toBe(404);
    expect(again.json.errors[0].code).toBe(1163);
    const list = await call('GET', BASE);
    expect(list.json.result).toEqual({ id: 'origin_public_cloud_region', editable: true, value: [], modified_on: null });
    expect((await call('GET', `${BASE}/192.0.2.1`)).json.errors[0].code).toBe(1142);
  });

  it('GET list of a zone never written is empty with modified_on null', async () => {
    const r = await call('GET', '/zones/otherzone/cache/origin_cloud_regions');
    expect(r.json).toEqual({ success: true, errors: [], messages: [], result: { id: 'origin_public_cloud_region', editable: true, value: [], modified_on: null } });
  });
});

describe('v1 batches', () => {
  it('PATCH /batch validates each item: valid ones applied, invalid ones in failed[] under HTTP 200', async () => {
    const r = await call('PATCH', `${BASE}/batch`, [
      { ip: '198.51.100.1', region: 'eu-west-1', vendor: 'aws' },
      { ip: 'not-an-ip', region: 'eu-west-1', vendor: 'aws' },
      { ip: '198.51.100.2', region: 'nowhere-1', vendor: 'aws' },
      { ip: '2001:DB8::2', region: 'europe-west1', vendor: 'gcp' },
    ]);
    expect(r.status).toBe(200);
    expect(r.json.success).toBe(true);
    expect(r.json.result.modified_on).toMatch(RFC3339);
    expect(r.json.result.value.succeeded).toEqual([
      { 'origin-ip': '198.51.100.1', region: 'eu-west-1', vendor: 'aws' },
      { 'origin-ip': '2001:db8::2', region: 'europe-west1', vendor: 'gcp' },
    ]);
    expect(r.json.result.value.failed).toEqual([
      { 'origin-ip': 'not-an-ip', error: 'Invalid or missing origin IP address.' },
      { 'origin-ip': '198.51.100.2', error: expect.stringContaining('region provided does not exist') },
    ]);
    expect(emu.mappings(Z).map((m) => m.origin_ip)).toEqual(['192.0.2.1', '198.51.100.1', '2001:db8::2']);
  });

  it('PATCH /batch where nothing applies has set-level modified_on null', async () => {
    const r = await call('PATCH', `${BASE}/batch`, [{ ip: 'nope', region: 'us-east-1', vendor: 'aws' }]);
    expect(r.json.result.modified_on).toBeNull();
    expect(r.json.result.value.succeeded).toEqual([]);
  });

  it('DELETE /batch takes IP strings; deleted ones carry their old values, missing and invalid ones fail', async () => {
    const r = await call('DELETE', `${BASE}/batch`, ['192.0.2.1', '203.0.113.5', 'zzz']);
    expect(r.status).toBe(200);
    expect(r.json.result.value.succeeded).toEqual([{ 'origin-ip': '192.0.2.1', region: 'us-east-1', vendor: 'aws' }]);
    expect(r.json.result.value.failed.map((f: Record<string, string>) => f['origin-ip'])).toEqual(['203.0.113.5', 'zzz']);
    expect(emu.mappings(Z)).toEqual([]);
  });

  it('batches over 100 items are refused whole', async () => {
    const items = Array.from({ length: 101 }, (_, i) => ({ ip: `10.0.0.${i}`, region: 'us-east-1', vendor: 'aws' }));
    const r = await call('PATCH', `${BASE}/batch`, items);
    expect(r.status).toBe(400);
    expect(r.json.errors[0].code).toBe(1146);
    expect(emu.mappings(Z)).toHaveLength(1);
  });
});

describe('v1 supported_regions and retirement', () => {
  it('supported_regions is the catalogue itself (no setting wrapper), identical to v2', async () => {
    const v1 = await call('GET', `${BASE}/supported_regions`);
    const v2 = await call('GET', `/zones/${Z}/origin/cloud_regions/supported_regions`);
    expect(v1.json.result.obtained_codes).toBe(true);
    expect(v1.json.result.vendors.aws).toContainEqual({ name: 'us-east-1', upper_tier_colos: ['IAD', 'EWR'] });
    expect(v1.json.result).toEqual(v2.json.result);
  });

  it('retireV1 makes every v1 route 400/7003 while v2 keeps working', async () => {
    emu.setFaults({ retireV1: true });
    for (const [m, p] of [
      ['GET', BASE],
      ['PATCH', BASE],
      ['GET', `${BASE}/supported_regions`],
      ['DELETE', `${BASE}/192.0.2.1`],
    ] as const) {
      const r = await call(m, p, m === 'PATCH' ? { ip: '192.0.2.2', region: 'us-east-1', vendor: 'aws' } : undefined);
      expect(r.status).toBe(400);
      expect(r.json.errors).toEqual([{ code: 7003, message: 'No route for the URI' }]);
    }
    expect(emu.mappings(Z)).toHaveLength(1);
    expect((await call('GET', `/zones/${Z}/origin/cloud_regions`)).status).toBe(200);
  });

  it('v1DeprecationNotice adds a messages[] entry and Deprecation/Sunset headers to v1 answers only', async () => {
    const e2 = await startCloudflareEmulator({ behavior: { v1DeprecationNotice: true } });
    try {
      const h = { Authorization: 'Bearer t' };
      const v1 = await fetch(`${e2.url}${BASE}`, { headers: h });
      expect(v1.headers.get('deprecation')).toBe('true');
      expect(v1.headers.get('sunset')).toContain('2026');
      expect(((await v1.json()) as { messages: unknown[] }).messages).toHaveLength(1);
      const v2 = await fetch(`${e2.url}/zones/${Z}/origin/cloud_regions`, { headers: h });
      expect(v2.headers.get('deprecation')).toBeNull();
    } finally {
      await e2.close();
    }
  });
});
