import { afterEach, describe, expect, it } from 'vitest';
import { startCloudflareEmulator, type CloudflareEmulator, type CloudflareEmulatorOptions } from '../../../src/emulators/cloudflare/index.ts';

// The per-zone cap (3,500 by default): a new IP beyond it is 403/1164; an overwrite at the cap is allowed.
const Z = 'capzone';
const V2 = `/zones/${Z}/origin/cloud_regions`;
const V1 = `/zones/${Z}/cache/origin_cloud_regions`;

let emu: CloudflareEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function start(opts: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  emu = await startCloudflareEmulator({ rateLimit: false, ...opts });
  return emu;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are untyped JSON, asserted field by field
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(emu!.url + path, {
    method,
    headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const item = (i: number, region = 'us-east-1') => ({ origin_ip: ip(i), vendor: 'aws', region });
const CAP_ERROR = { success: false, errors: [{ code: 1164, message: 'Maximum number of IP mappings configured for zone.' }], messages: [], result: null };

describe('the default cap of 3,500', () => {
  it('fills to 3,500 through v2 batches, then a new IP is 403/1164 on every write route; an overwrite is allowed', async () => {
    await start();
    for (let b = 0; b < 35; b++) {
      const r = await call('PUT', `${V2}/batch`, Array.from({ length: 100 }, (_, i) => item(b * 100 + i)));
      expect(r.json.result.failed).toEqual([]);
    }
    expect(emu!.mappings(Z)).toHaveLength(3500);

    const put = await call('PUT', `${V2}/192.0.2.1`, { origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' });
    expect(put.status).toBe(403);
    expect(put.json).toEqual(CAP_ERROR);
    expect((await call('PATCH', V1, { ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' })).status).toBe(403);
    expect((await call('POST', V1, { ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' })).status).toBe(403);
    const batch = await call('PUT', `${V2}/batch`, [item(0, 'us-west-2'), { origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }]);
    expect(batch.status).toBe(403);
    expect(batch.json).toEqual(CAP_ERROR);
    expect(emu!.mappings(Z).find((m) => m.origin_ip === ip(0))?.region).toBe('us-east-1'); // whole batch refused

    const overwrite = await call('PUT', `${V2}/${ip(7)}`, item(7, 'us-west-2'));
    expect(overwrite.status).toBe(200);
    const v1Overwrite = await call('PATCH', V1, { ip: ip(8), vendor: 'aws', region: 'eu-west-1' });
    expect(v1Overwrite.status).toBe(200);
    expect(v1Overwrite.json.result.value).toHaveLength(3500);
    const batchOverwrite = await call('PATCH', `${V1}/batch`, [{ ip: ip(9), vendor: 'aws', region: 'eu-west-1' }]);
    expect(batchOverwrite.json.result.value.succeeded).toHaveLength(1);
    expect(emu!.mappings(Z)).toHaveLength(3500);

    // A delete frees one place.
    expect((await call('DELETE', `${V2}/${ip(0)}`)).status).toBe(200);
    expect((await call('PUT', `${V2}/192.0.2.1`, { origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' })).status).toBe(200);
    expect((await call('GET', V2)).json.result_info.total_count).toBe(3500);
  });
});

describe('batches that cross the cap (maxMappings scaled down to 5)', () => {
  it('per-item (default): items that fit are applied, each new IP past the cap goes to failed[], overwrites still succeed', async () => {
    await start({ maxMappings: 5, seed: { [Z]: [0, 1, 2].map((i) => item(i)) } });
    const r = await call('PUT', `${V2}/batch`, [item(10), item(0, 'us-west-2'), item(11), item(12), item(1, 'eu-west-1')]);
    expect(r.status).toBe(200);
    expect(r.json.result.succeeded.map((s: { origin_ip: string }) => s.origin_ip)).toEqual([ip(10), ip(0), ip(11), ip(1)]);
    expect(r.json.result.failed).toEqual([{ origin_ip: ip(12), error: 'Maximum number of IP mappings configured for zone.' }]);
    expect(emu!.mappings(Z)).toHaveLength(5);
  });

  it('per-item, v1 family: the same, with "origin-ip" keys', async () => {
    await start({ maxMappings: 2 });
    const r = await call('PATCH', `${V1}/batch`, [0, 1, 2].map((i) => ({ ip: ip(i), vendor: 'gcp', region: 'us-central1' })));
    expect(r.json.result.value.failed).toEqual([{ 'origin-ip': ip(2), error: expect.stringContaining('Maximum') }]);
    expect(r.json.result.value.succeeded).toHaveLength(2);
  });

  it('whole-batch: if the new IPs do not all fit, 403/1164 and nothing is applied; if they fit, all applied', async () => {
    await start({ maxMappings: 5, seed: { [Z]: [0, 1, 2].map((i) => item(i)) }, behavior: { batchCapPolicy: 'whole-batch' } });
    const over = await call('PUT', `${V2}/batch`, [item(0, 'us-west-2'), item(10), item(11), item(12)]);
    expect(over.status).toBe(403);
    expect(over.json).toEqual(CAP_ERROR);
    expect(emu!.mappings(Z).map((m) => m.region)).toEqual(['us-east-1', 'us-east-1', 'us-east-1']);
    const fits = await call('PUT', `${V2}/batch`, [item(0, 'us-west-2'), item(10), item(11)]);
    expect(fits.status).toBe(200);
    expect(fits.json.result.succeeded).toHaveLength(3);
    expect(emu!.mappings(Z)).toHaveLength(5);
  });

  it('a full zone accepts a batch of overwrites only; invalid items do not count as new IPs', async () => {
    await start({ maxMappings: 2, seed: { [Z]: [0, 1].map((i) => item(i)) } });
    const r = await call('PUT', `${V2}/batch`, [item(0, 'us-west-2'), { origin_ip: '192.0.2.1', vendor: 'aws', region: 'nowhere' }]);
    expect(r.status).toBe(200);
    expect(r.json.result.succeeded).toHaveLength(1);
    expect(r.json.result.failed).toHaveLength(1);
  });

  it('seeding past the cap is refused with a clear error', async () => {
    await start({ maxMappings: 2 });
    expect(() => emu!.seed(Z, [0, 1, 2].map((i) => item(i)))).toThrow(/over the cap of 2/);
  });
});
