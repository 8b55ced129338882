import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCloudflareEmulator, type CloudflareEmulator, type EmulatorBehavior } from '../../../src/emulators/cloudflare/index.ts';

// v2 family over real HTTP: /zones/{zone_id}/origin/cloud_regions.
const Z = 'zone-v2';
const BASE = `/zones/${Z}/origin/cloud_regions`;

let emu: CloudflareEmulator;
beforeEach(async () => {
  emu = await startCloudflareEmulator();
});
afterEach(async () => {
  await emu.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are untyped JSON, asserted field by field
async function call(method: string, path: string, body?: unknown, on = emu): Promise<{ status: number; json: any }> {
  const res = await fetch(on.url + path, {
    method,
    headers: { Authorization: 'Bearer test-token', 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

const seedN = (n: number, zone = Z) =>
  emu.seed(
    zone,
    Array.from({ length: n }, (_, i) => ({ origin_ip: `10.0.${Math.floor(i / 256)}.${i % 256}`, vendor: 'aws', region: 'us-east-1' })),
  );

describe('v2 list', () => {
  it('an empty zone: result [] and result_info zeros', async () => {
    const r = await call('GET', BASE);
    expect(r.json).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: [],
      result_info: { count: 0, page: 1, per_page: 20, total_count: 0, total_pages: 0 },
    });
  });

  it('paginates (default per_page 20) to an empty page past the end', async () => {
    seedN(45);
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const r = await call('GET', `${BASE}?page=${page}`);
      expect(r.status).toBe(200);
      expect(r.json.result_info).toMatchObject({ page, per_page: 20, total_count: 45, total_pages: 3, count: r.json.result.length });
      if (r.json.result.length === 0) {
        expect(page).toBe(4);
        break;
      }
      seen.push(...r.json.result.map((m: { origin_ip: string }) => m.origin_ip));
    }
    expect(seen).toHaveLength(45);
    expect(new Set(seen).size).toBe(45);
    expect(seen.slice(0, 3)).toEqual(['10.0.0.0', '10.0.0.1', '10.0.0.2']); // numeric order, not text order
    expect(seen[44]).toBe('10.0.0.44');
  });

  it('orders by IP (IPv4 before IPv6) by default and by first write with listOrder=insertion', async () => {
    await call('PUT', `${BASE}/2001:db8::1`, { origin_ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' });
    await call('PUT', `${BASE}/192.0.2.10`, { origin_ip: '192.0.2.10', region: 'us-east-1', vendor: 'aws' });
    await call('PUT', `${BASE}/192.0.2.9`, { origin_ip: '192.0.2.9', region: 'us-east-1', vendor: 'aws' });
    const ips = (await call('GET', BASE)).json.result.map((m: { origin_ip: string }) => m.origin_ip);
    expect(ips).toEqual(['192.0.2.9', '192.0.2.10', '2001:db8::1']);

    const e2 = await startCloudflareEmulator({ behavior: { listOrder: 'insertion' } });
    try {
      for (const ip of ['2001:db8::1', '192.0.2.10', '192.0.2.9']) {
        await call('PUT', `${BASE}/${ip}`, { origin_ip: ip, region: 'us-east-1', vendor: 'aws' }, e2);
      }
      await call('PUT', `${BASE}/2001:db8::1`, { origin_ip: '2001:db8::1', region: 'eu-west-1', vendor: 'aws' }, e2);
      expect((await call('GET', BASE, undefined, e2)).json.result.map((m: { origin_ip: string }) => m.origin_ip)).toEqual([
        '2001:db8::1',
        '192.0.2.10',
        '192.0.2.9',
      ]);
    } finally {
      await e2.close();
    }
  });

  it.each([['per_page=0'], ['per_page=101'], ['per_page=abc'], ['page=0'], ['page=-1'], ['page=1.5']])('rejects %s with 400/1146', async (q) => {
    const r = await call('GET', `${BASE}?${q}`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ success: false, result: null, errors: [{ code: 1146 }] });
  });

  it('per_page=100 holds up to 100', async () => {
    seedN(150);
    const r = await call('GET', `${BASE}?per_page=100&page=2`);
    expect(r.json.result).toHaveLength(50);
    expect(r.json.result_info).toEqual({ count: 50, page: 2, per_page: 100, total_count: 150, total_pages: 2 });
  });
});

describe('v2 single mapping', () => {
  it('PUT creates then replaces (idempotent), answering the flat object', async () => {
    const body = { origin_ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' };
    const r1 = await call('PUT', `${BASE}/192.0.2.1`, body);
    expect(r1.status).toBe(200);
    expect(r1.json.result).toEqual({ ...body, modified_on: expect.stringMatching(/Z$/) });
    const r2 = await call('PUT', `${BASE}/192.0.2.1`, { ...body, region: 'us-west-2' });
    expect(r2.json.result.region).toBe('us-west-2');
    expect(emu.mappings(Z)).toEqual([{ origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-west-2', modified_on: expect.any(String) }]);
  });

  it('canonicalizes IPv6 in body and path: 2001:DB8:0::1, raw ":" and %3A all name 2001:db8::1', async () => {
    const put = await call('PUT', `${BASE}/2001:DB8:0::1`, { origin_ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' });
    expect(put.status).toBe(200);
    expect(put.json.result.origin_ip).toBe('2001:db8::1');
    const put2 = await call('PUT', `${BASE}/2001%3Adb8%3A%3A1`, { origin_ip: '2001:DB8:0:0:0:0:0:1', region: 'europe-west1', vendor: 'gcp' });
    expect(put2.json.result).toMatchObject({ origin_ip: '2001:db8::1', region: 'europe-west1' });
    for (const p of ['2001:db8::1', '2001:DB8:0::1', '2001%3Adb8%3A%3A1', '2001%3ADB8%3A0%3A%3A1']) {
      const g = await call('GET', `${BASE}/${p}`);
      expect(g.status).toBe(200);
      expect(g.json.result.origin_ip).toBe('2001:db8::1');
    }
    expect(emu.mappings(Z)).toHaveLength(1);
  });

  it('any spelling of an IPv6 address (full, uppercase, %-encoded) in path and body lands on its RFC 5952 form', async () => {
    const groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(groups, fc.boolean(), fc.boolean(), async (g, upper, encode) => {
        if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0) return; // ::/80 includes IPv4-mapped/compatible forms
        const addr = new ipaddr.IPv6(g);
        const want = addr.toRFC5952String();
        let full = g.map((x) => x.toString(16).padStart(4, '0')).join(':');
        if (upper) full = full.toUpperCase();
        const path = encode ? encodeURIComponent(full) : full;
        const r = await call('PUT', `${BASE}/${path}`, { origin_ip: addr.toNormalizedString(), region: 'us-central1', vendor: 'gcp' });
        expect(r.status).toBe(200);
        expect(r.json.result.origin_ip).toBe(want);
        expect((await call('GET', `${BASE}/${want}`)).status).toBe(200);
      }),
      { numRuns: 40 },
    );
    expect(emu.mappings(Z).every((m) => m.origin_ip === ipaddr.IPv6.parse(m.origin_ip).toRFC5952String())).toBe(true);
  });

  it('IPv4-mapped IPv6 is stored as the IPv4 address', async () => {
    const r = await call('PUT', `${BASE}/::ffff:192.0.2.7`, { origin_ip: '::ffff:192.0.2.7', region: 'us-east-1', vendor: 'aws' });
    expect(r.json.result.origin_ip).toBe('192.0.2.7');
    expect((await call('GET', `${BASE}/192.0.2.7`)).status).toBe(200);
  });

  it('PUT with body origin_ip different from the path is 400/1146 "body origin_ip does not match URL"', async () => {
    const r = await call('PUT', `${BASE}/192.0.2.1`, { origin_ip: '192.0.2.2', region: 'us-east-1', vendor: 'aws' });
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([{ code: 1146, message: 'body origin_ip does not match URL' }]);
    expect(emu.mappings(Z)).toEqual([]);
  });

  it('putIpMatch=exact compares the raw strings instead', async () => {
    const e2 = await startCloudflareEmulator({ behavior: { putIpMatch: 'exact' } satisfies Partial<EmulatorBehavior> });
    try {
      const r = await call('PUT', `${BASE}/2001:DB8::1`, { origin_ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' }, e2);
      expect(r.status).toBe(400);
      expect(r.json.errors[0].message).toBe('body origin_ip does not match URL');
    } finally {
      await e2.close();
    }
  });

  it('PUT validation: bad path IP, missing body fields, unknown vendor or region', async () => {
    expect((await call('PUT', `${BASE}/not-an-ip`, { origin_ip: 'not-an-ip', region: 'us-east-1', vendor: 'aws' })).json.errors[0].code).toBe(1146);
    expect((await call('PUT', `${BASE}/192.0.2.1`, { region: 'us-east-1', vendor: 'aws' })).json.errors[0].code).toBe(1146);
    expect((await call('PUT', `${BASE}/192.0.2.1`)).json.errors[0].code).toBe(1146);
    const r = await call('PUT', `${BASE}/192.0.2.1`, { origin_ip: '192.0.2.1', region: 'us-east-1', vendor: 'AWS' });
    expect(r.status).toBe(400);
    expect(r.json.errors[0].code).toBe(1157);
    expect((await call('PUT', `${BASE}/192.0.2.1`, { origin_ip: '192.0.2.1', vendor: 'aws' })).json.errors[0].code).toBe(1157);
    expect((await call('PUT', `${BASE}/192.0.2.1`, { origin_ip: '192.0.2.1', region: 'eastus', vendor: 'aws' })).json.errors[0].code).toBe(1157);
    expect(emu.mappings(Z)).toEqual([]);
  });

  it('behavior.caseInsensitive accepts AWS/US-EAST-1 and stores the catalogue spelling', async () => {
    const e2 = await startCloudflareEmulator({ behavior: { caseInsensitive: true } });
    try {
      const r = await call('PUT', `${BASE}/192.0.2.1`, { origin_ip: '192.0.2.1', region: 'US-EAST-1', vendor: 'AWS' }, e2);
      expect(r.json.result).toMatchObject({ vendor: 'aws', region: 'us-east-1' });
    } finally {
      await e2.close();
    }
  });

  it('GET and DELETE of a missing IP are 404/1142; DELETE answers only {origin_ip}', async () => {
    expect((await call('GET', `${BASE}/192.0.2.1`)).json).toMatchObject({ success: false, errors: [{ code: 1142 }] });
    await call('PUT', `${BASE}/192.0.2.1`, { origin_ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' });
    const del = await call('DELETE', `${BASE}/192.0.2.1`);
    expect(del.status).toBe(200);
    expect(del.json.result).toEqual({ origin_ip: '192.0.2.1' });
    const again = await call('DELETE', `${BASE}/192.0.2.1`);
    expect(again.status).toBe(404);
    expect(again.json.errors).toEqual([
      { code: 1142, message: 'Unable to retrieve origin_public_cloud_region setting value. The zone setting does not exist.' },
    ]);
  });

  it('other methods on batch / supported_regions are no route, not an IP lookup', async () => {
    for (const [m, p] of [
      ['GET', `${BASE}/batch`],
      ['PUT', `${BASE}/supported_regions`],
      ['POST', BASE],
      ['PATCH', `${BASE}/192.0.2.1`],
    ] as const) {
      const r = await call(m, p, m === 'GET' ? undefined : {});
      expect(r.status).toBe(400);
      expect(r.json.errors[0].code).toBe(7003);
    }
  });
});

describe('v2 batches', () => {
  it('PUT /batch merges: a mix of valid and invalid items answers 200 with failed[] and succeeded[]', async () => {
    await call('PUT', `${BASE}/203.0.113.9`, { origin_ip: '203.0.113.9', region: 'us-east-1', vendor: 'aws' });
    const r = await call('PUT', `${BASE}/batch`, [
      { origin_ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' },
      { origin_ip: '2001:DB8::1', region: 'us-central1', vendor: 'gcp' },
      { origin_ip: '192.0.2.2', region: 'narnia-1', vendor: 'aws' },
      { origin_ip: '192.0.2.3', region: 'eastus', vendor: 'azure' },
      { origin_ip: 'bad', region: 'us-east-1', vendor: 'aws' },
      'not an object',
      { origin_ip: '192.0.2.4', region: 'us-ashburn-1', vendor: 'oracle' },
    ]);
    expect(r.status).toBe(200);
    expect(r.json.success).toBe(true);
    expect(r.json.result.succeeded).toEqual([
      { origin_ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' },
      { origin_ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' },
      { origin_ip: '192.0.2.3', region: 'eastus', vendor: 'azure' },
    ]);
    expect(r.json.result.failed).toEqual([
      { origin_ip: '192.0.2.2', error: expect.stringContaining('does not exist') },
      { origin_ip: 'bad', error: 'Invalid or missing origin IP address.' },
      { origin_ip: 'not an object', error: 'Invalid or missing origin IP address.' },
      { origin_ip: '192.0.2.4', error: expect.stringContaining('does not exist') },
    ]);
    expect(emu.mappings(Z).map((m) => m.origin_ip)).toEqual(['192.0.2.1', '192.0.2.3', '203.0.113.9', '2001:db8::1']);
  });

  it('duplicates in one batch: applied in order by default, later repeats fail with fail-repeats', async () => {
    const items = [
      { origin_ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' },
      { origin_ip: '192.0.2.1', region: 'us-west-2', vendor: 'aws' },
    ];
    const r = await call('PUT', `${BASE}/batch`, items);
    expect(r.json.result.succeeded).toHaveLength(2);
    expect(emu.mappings(Z)[0]?.region).toBe('us-west-2');

    const e2 = await startCloudflareEmulator({ behavior: { batchDuplicates: 'fail-repeats' } });
    try {
      const r2 = await call('PUT', `${BASE}/batch`, items, e2);
      expect(r2.json.result.succeeded).toEqual([items[0]]);
      expect(r2.json.result.failed).toEqual([{ origin_ip: '192.0.2.1', error: expect.stringContaining('earlier in the same batch') }]);
      expect(e2.mappings(Z)[0]?.region).toBe('us-east-1');
    } finally {
      await e2.close();
    }
  });

  it('PUT /batch: more than 100 items, or a body that is not an array, is 400 and applies nothing', async () => {
    const items = Array.from({ length: 101 }, (_, i) => ({ origin_ip: `10.1.0.${i}`, region: 'us-east-1', vendor: 'aws' }));
    const big = await call('PUT', `${BASE}/batch`, items);
    expect(big.status).toBe(400);
    expect(big.json.errors[0].message).toContain('100');
    for (const body of [{ origin_ip: '192.0.2.1' }, '"text"', undefined]) {
      const r = await call('PUT', `${BASE}/batch`, body);
      expect(r.status).toBe(400);
      expect(r.json.success).toBe(false);
    }
    expect(emu.mappings(Z)).toEqual([]);
  });

  it('DELETE /batch with an array of IPs: deleted items carry their old region/vendor, others fail', async () => {
    seedN(3);
    const r = await call('DELETE', `${BASE}/batch`, ['10.0.0.1', '10.0.0.99', '::ffff:10.0.0.2', 42]);
    expect(r.status).toBe(200);
    expect(r.json.result.succeeded).toEqual([
      { origin_ip: '10.0.0.1', region: 'us-east-1', vendor: 'aws' },
      { origin_ip: '10.0.0.2', region: 'us-east-1', vendor: 'aws' },
    ]);
    expect(r.json.result.failed).toEqual([
      { origin_ip: '10.0.0.99', error: expect.any(String) },
      { origin_ip: '42', error: 'Invalid or missing origin IP address.' },
    ]);
    expect(emu.mappings(Z).map((m) => m.origin_ip)).toEqual(['10.0.0.0']);
  });

  it('DELETE /batch without a body is 400 by default, an empty result with batchDeleteWithoutBody=empty-result', async () => {
    seedN(1);
    const r = await call('DELETE', `${BASE}/batch`);
    expect(r.status).toBe(400);
    expect(r.json.errors[0].message).toContain('JSON array');
    expect(emu.mappings(Z)).toHaveLength(1);
    const e2 = await startCloudflareEmulator({ behavior: { batchDeleteWithoutBody: 'empty-result' } });
    try {
      const r2 = await call('DELETE', `${BASE}/batch`, undefined, e2);
      expect(r2.status).toBe(200);
      expect(r2.json.result).toEqual({ failed: [], succeeded: [] });
    } finally {
      await e2.close();
    }
  });

  it('maxBatch and batchErrorCode are configurable', async () => {
    const e2 = await startCloudflareEmulator({ maxBatch: 2, behavior: { batchErrorCode: 1198 } });
    try {
      const r = await call('DELETE', `${BASE}/batch`, ['192.0.2.1', '192.0.2.2', '192.0.2.3'], e2);
      expect(r.status).toBe(400);
      expect(r.json.errors).toEqual([{ code: 1198, message: 'Batch exceeds the maximum of 2 items.' }]);
    } finally {
      await e2.close();
    }
  });
});

describe('v1 and v2 share one store per zone', () => {
  it('a v1 write is visible through v2 and the reverse, and zones stay apart', async () => {
    await call('PATCH', `/zones/${Z}/cache/origin_cloud_regions`, { ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' });
    await call('PUT', `${BASE}/2001:db8::1`, { origin_ip: '2001:db8::1', region: 'us-central1', vendor: 'gcp' });
    expect((await call('GET', BASE)).json.result_info.total_count).toBe(2);
    const v1 = await call('GET', `/zones/${Z}/cache/origin_cloud_regions`);
    expect(v1.json.result.value.map((m: Record<string, string>) => m['origin-ip'])).toEqual(['192.0.2.1', '2001:db8::1']);
    expect((await call('GET', '/zones/another-zone/origin/cloud_regions')).json.result).toEqual([]);
  });
});
