import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCloudflareEmulator, type CloudflareEmulator } from '../../../src/emulators/cloudflare/index.ts';

// The admin API (origin + /__emulator/...) and the in-process API it mirrors.
const Z = 'adminzone';
const SEED = [{ origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }];

let emu: CloudflareEmulator;
beforeEach(async () => {
  emu = await startCloudflareEmulator({ seed: { [Z]: SEED }, rateLimit: { requests: 3, windowSeconds: 300 } });
});
afterEach(async () => {
  await emu.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are untyped JSON, asserted field by field
async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${emu.origin}/__emulator${path}`, {
    method,
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  });
  return { status: res.status, json: await res.json() };
}

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${emu.url}${path}`, {
    method,
    headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });

describe('zones/{zone_id}/mappings', () => {
  it('GET shows the seed; PUT replaces the zone (canonicalizing IPs) and needs no auth', async () => {
    expect((await admin('GET', `/zones/${Z}/mappings`)).json).toEqual([{ ...SEED[0], modified_on: expect.stringMatching(/Z$/) }]);
    const put = await admin('PUT', `/zones/${Z}/mappings`, [
      { origin_ip: '2001:DB8::5', vendor: 'gcp', region: 'us-central1' },
      { origin_ip: '198.51.100.1', vendor: 'oci', region: 'us-ashburn-1' },
      { origin_ip: '198.51.100.2', vendor: 'azure', region: 'westeurope' },
    ]);
    expect(put.status).toBe(200);
    expect(put.json.map((m: { origin_ip: string }) => m.origin_ip)).toEqual(['198.51.100.1', '198.51.100.2', '2001:db8::5']);
    const listed = (await (await api('GET', `/zones/${Z}/origin/cloud_regions`)).json()) as { result: Array<{ origin_ip: string }> };
    expect(listed.result.map((m) => m.origin_ip)).toEqual(['198.51.100.1', '198.51.100.2', '2001:db8::5']);
    expect((await admin('PUT', `/zones/${Z}/mappings`, [])).json).toEqual([]);
    expect(emu.mappings(Z)).toEqual([]);
  });

  it('PUT refuses what the API would refuse, naming the entry, and leaves the zone as it was', async () => {
    for (const body of [
      [{ origin_ip: 'nope', vendor: 'aws', region: 'us-east-1' }],
      [{ origin_ip: '192.0.2.9', vendor: 'aws', region: 'atlantis-1' }],
      [SEED[0], { ...SEED[0], origin_ip: '::ffff:192.0.2.1' }],
      { origin_ip: '192.0.2.9' },
      '{not json',
    ]) {
      const r = await admin('PUT', `/zones/${Z}/mappings`, body);
      expect(r.status).toBe(400);
      expect(typeof r.json.error).toBe('string');
    }
    expect((await admin('PUT', `/zones/${Z}/mappings`, [{ origin_ip: 'nope', vendor: 'aws', region: 'us-east-1' }])).json.error).toMatch(/entry 0: invalid origin_ip "nope"/);
    expect((await admin('PUT', `/zones/${'z'.repeat(33)}/mappings`, [])).status).toBe(400);
    expect(emu.mappings(Z).map((m) => m.origin_ip)).toEqual(['192.0.2.1']);
  });
});

describe('stats', () => {
  it('counts API requests by method, route pattern and status; admin requests are not counted; DELETE clears', async () => {
    emu.setFaults({ rateLimit: false });
    await api('GET', `/zones/${Z}/origin/cloud_regions`);
    await api('GET', `/zones/${Z}/origin/cloud_regions/192.0.2.1`);
    await api('GET', `/zones/${Z}/origin/cloud_regions/192.0.2.99`);
    await api('PATCH', `/zones/${Z}/cache/origin_cloud_regions/batch`, []);
    await admin('GET', `/zones/${Z}/mappings`);
    const r = await admin('GET', '/stats');
    expect(r.json).toEqual({
      requests: [
        { method: 'PATCH', route: '/zones/:zone_id/cache/origin_cloud_regions/batch', status: 200, count: 1 },
        { method: 'GET', route: '/zones/:zone_id/origin/cloud_regions', status: 200, count: 1 },
        { method: 'GET', route: '/zones/:zone_id/origin/cloud_regions/:origin_ip', status: 200, count: 1 },
        { method: 'GET', route: '/zones/:zone_id/origin/cloud_regions/:origin_ip', status: 404, count: 1 },
      ],
    });
    expect(emu.stats()).toEqual(r.json.requests);
    expect((await admin('DELETE', '/stats')).json).toEqual({ requests: [] });
    expect(emu.stats()).toEqual([]);
  });

  it('429s are counted too', async () => {
    for (let i = 0; i < 4; i++) await api('GET', `/zones/${Z}/origin/cloud_regions`);
    expect(emu.stats()).toEqual([
      { method: 'GET', route: '/zones/:zone_id/origin/cloud_regions', status: 200, count: 3 },
      { method: 'GET', route: '/zones/:zone_id/origin/cloud_regions', status: 429, count: 1 },
    ]);
  });
});

describe('faults', () => {
  it('PUT applies a partial update and answers the whole set; GET reads it', async () => {
    const r = await admin('PUT', '/faults', { retireV1: true, latencyMs: 5 });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ latencyMs: 5, jitterMs: 0, faultRate: 0, dropRate: 0, dropMode: 'before', retireV1: true, rateLimit: { requests: 3, windowSeconds: 300 }, listFault: 'off', writeFault: 'off' });
    expect((await api('GET', `/zones/${Z}/cache/origin_cloud_regions`)).status).toBe(400);
    expect((await admin('PUT', '/faults', { rateLimit: false })).json.rateLimit).toBe(false);
    for (let i = 0; i < 5; i++) expect((await api('GET', `/zones/${Z}/origin/cloud_regions`)).status).toBe(200);
    expect((await admin('GET', '/faults')).json.retireV1).toBe(true);
  });

  it('refuses unknown settings and out-of-range values with 400 and changes nothing', async () => {
    for (const body of [{ faultrate: 0.5 }, { faultRate: 1.5 }, { latencyMs: -1 }, { retireV1: 'yes' }, { rateLimit: { requests: 10 } }, { listFault: 'empty' }, { writeFault: true }, [1], 'x']) {
      const r = await admin('PUT', '/faults', body);
      expect(r.status).toBe(400);
      expect(r.json.error).toBeTruthy();
    }
    expect(emu.faults()).toMatchObject({ faultRate: 0, latencyMs: 0, retireV1: false });
  });
});

describe('reset and unknown admin routes', () => {
  it('POST /reset restores the start-up seed, clears stats, rate windows and knobs', async () => {
    await api('PUT', `/zones/${Z}/origin/cloud_regions/192.0.2.2`, { origin_ip: '192.0.2.2', vendor: 'aws', region: 'us-east-1' });
    await api('PUT', `/zones/other/origin/cloud_regions/192.0.2.2`, { origin_ip: '192.0.2.2', vendor: 'aws', region: 'us-east-1' });
    await api('GET', `/zones/${Z}/origin/cloud_regions`);
    expect((await api('GET', `/zones/${Z}/origin/cloud_regions`)).status).toBe(429);
    emu.setFaults({ retireV1: true });

    expect((await admin('POST', '/reset')).json).toEqual({ ok: true });
    expect(emu.mappings(Z).map((m) => m.origin_ip)).toEqual(['192.0.2.1']);
    expect(emu.mappings('other')).toEqual([]);
    expect(emu.stats()).toEqual([]);
    expect(emu.faults().retireV1).toBe(false);
    expect((await api('GET', `/zones/${Z}/cache/origin_cloud_regions`)).status).toBe(200);
  });

  it('unknown admin paths are 404 and wrong methods 405, as JSON', async () => {
    expect((await admin('GET', '/nothing')).status).toBe(404);
    const r = await admin('GET', '/reset');
    expect(r.status).toBe(405);
    expect(r.json.error).toContain('POST');
  });
});

describe('in-process API', () => {
  it('exposes url and origin; seed() and mappings() mirror the admin routes', async () => {
    expect(emu.url).toBe(`${emu.origin}/client/v4`);
    expect(emu.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    emu.seed('z2', [{ origin_ip: '2001:0db8::0001', vendor: 'gcp', region: 'europe-west1' }]);
    expect(emu.mappings('z2')).toEqual([{ origin_ip: '2001:db8::1', vendor: 'gcp', region: 'europe-west1', modified_on: expect.any(String) }]);
    expect(() => emu.seed('z2', [{ origin_ip: '2001:db8::1', vendor: 'gcp', region: 'mars' }])).toThrow(/not in supported_regions/);
    expect(emu.mappings('z2')).toHaveLength(1);
  });

  it('a bad start-up seed is refused before listening', async () => {
    await expect(startCloudflareEmulator({ seed: { z: [{ origin_ip: '1.2.3', vendor: 'aws', region: 'us-east-1' }] } })).rejects.toThrow(/zone z entry 0/);
  });
});
