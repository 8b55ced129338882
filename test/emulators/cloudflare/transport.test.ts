import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startCloudflareEmulator, type CloudflareEmulator, type CloudflareEmulatorOptions } from '../../../src/emulators/cloudflare/index.ts';

// Envelope, auth, routing, malformed input, rate limit and fault injection, over real HTTP.
const Z = 'transport';
const V2 = `/zones/${Z}/origin/cloud_regions`;
const BEARER = { Authorization: 'Bearer good-token' };

let emu: CloudflareEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function start(opts: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  emu = await startCloudflareEmulator(opts);
  return emu;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are untyped JSON, asserted field by field
type Answer = { status: number; headers: Headers; json: any };

async function call(method: string, path: string, headers: Record<string, string> = BEARER, body?: string): Promise<Answer> {
  const res = await fetch(emu!.url + path, { method, headers: { 'Content-Type': 'application/json', ...headers }, ...(body !== undefined && { body }) });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

describe('authentication', () => {
  it('no credential at all: 400/6003 with error_chain 6103', async () => {
    await start();
    const r = await call('GET', V2, {});
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      success: false,
      errors: [{ code: 6003, message: 'Invalid request headers', error_chain: [{ code: 6103, message: 'Invalid format for X-Auth-Key header' }] }],
      messages: [],
      result: null,
    });
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer '], ['Bearer two words'], ['bearer-token']])(
    'malformed Authorization %j: 400/6003 with error_chain 6111',
    async (value) => {
      await start();
      const r = await call('GET', V2, { Authorization: value });
      expect(r.status).toBe(400);
      expect(r.json.errors[0]).toEqual({ code: 6003, message: 'Invalid request headers', error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }] });
    },
  );

  it('X-Auth-Key without a valid X-Auth-Email is 400/6003 (6102); with one it is accepted', async () => {
    await start();
    const noEmail = await call('GET', V2, { 'X-Auth-Key': 'abc123' });
    expect(noEmail.status).toBe(400);
    expect(noEmail.json.errors[0].error_chain[0].code).toBe(6102);
    expect((await call('GET', V2, { 'X-Auth-Key': 'abc123', 'X-Auth-Email': 'sre@example.com' })).status).toBe(200);
  });

  it('with tokens configured: a wrong token or key is 403/10000, a listed one is accepted, and the secret never shows', async () => {
    const lines: string[] = [];
    await start({ tokens: ['good-token', 'global-key-1'], logger: (l) => lines.push(l) });
    const wrong = await call('GET', V2, { Authorization: 'Bearer s3cret-wrong-token' });
    expect(wrong.status).toBe(403);
    expect(wrong.json.errors).toEqual([{ code: 10000, message: 'Authentication error' }]);
    expect(JSON.stringify(wrong.json)).not.toContain('s3cret');
    expect((await call('GET', V2, { 'X-Auth-Email': 'a@b.c', 'X-Auth-Key': 'wrong-key' })).status).toBe(403);
    expect((await call('GET', V2)).status).toBe(200);
    expect((await call('GET', V2, { 'X-Auth-Email': 'a@b.c', 'X-Auth-Key': 'global-key-1' })).status).toBe(200);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines.join('\n')).not.toMatch(/s3cret|good-token|global-key-1|wrong-key/);
  });

  it('without tokens configured any well-formed credential is accepted', async () => {
    await start();
    expect((await call('GET', V2, { Authorization: 'Bearer anything-at-all' })).status).toBe(200);
  });
});

describe('routing and malformed requests', () => {
  it.each([
    ['GET', '/zones'],
    ['GET', `/zones/${Z}/origin/cloud_regions/192.0.2.1/extra`],
    ['GET', `/zones/${Z}/cache/origin_public_cloud_region`],
    ['POST', `/zones/${Z}/origin/cloud_regions/batch`],
    ['GET', `/accounts/x/origin/cloud_regions`],
  ])('%s %s → 400/7003 in the envelope', async (method, path) => {
    await start();
    const r = await call(method, path, BEARER, method === 'POST' ? '[]' : undefined);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ success: false, errors: [{ code: 7003, message: 'No route for the URI' }], messages: [], result: null });
  });

  it('paths outside /client/v4 are no route too', async () => {
    await start();
    const res = await fetch(`${emu!.origin}/client/v5/zones/${Z}/origin/cloud_regions`, { headers: BEARER });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ code: number }> }).errors[0]?.code).toBe(7003);
  });

  it('a zone_id longer than 32 characters (or with odd characters) is 400/7003 "perhaps your object identifier is invalid"', async () => {
    await start();
    for (const zone of ['a'.repeat(33), 'bad%20zone', 'zone.with.dots']) {
      const r = await call('GET', `/zones/${zone}/origin/cloud_regions`);
      expect(r.status).toBe(400);
      expect(r.json.errors[0]).toMatchObject({ code: 7003, message: expect.stringContaining('perhaps your object identifier is invalid') });
    }
    expect((await call('GET', `/zones/${'a'.repeat(32)}/origin/cloud_regions`)).status).toBe(200);
  });

  it('malformed JSON is 400/6007; wrong body types are 4xx in the envelope, never a crash', async () => {
    await start();
    const bad = await call('PUT', `${V2}/192.0.2.1`, BEARER, '{"origin_ip": ');
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ success: false, errors: [{ code: 6007, message: 'Malformed JSON in request body' }], messages: [], result: null });
    for (const body of ['[]', '42', 'null', '"x"', '{"origin_ip": 5}', '{"origin_ip":"192.0.2.1","vendor":["aws"],"region":{}}']) {
      const r = await call('PUT', `${V2}/192.0.2.1`, BEARER, body);
      expect(r.status).toBe(400);
      expect(r.json.success).toBe(false);
      expect(r.json.result).toBeNull();
    }
    const v1 = await call('PATCH', `/zones/${Z}/cache/origin_cloud_regions/batch`, BEARER, '{"ip":"1.2.3.4"}');
    expect(v1.status).toBe(400);
    expect((await call('GET', V2)).status).toBe(200); // still serving
  });

  it('an invalid percent-encoding in the path is no route, not a crash', async () => {
    await start();
    expect((await call('GET', `${V2}/%E0%A4%A`)).json.errors[0].code).toBe(7003);
  });

  it('a body over 1 MiB is 413 in the envelope', async () => {
    await start();
    const r = await call('PUT', `${V2}/batch`, BEARER, `[${'"x",'.repeat(300_000)}"x"]`);
    expect(r.status).toBe(413);
    expect(r.json.success).toBe(false);
  });

  it('a client that disconnects mid-body does not take the server down', async () => {
    await start();
    const port = new URL(emu!.origin).port;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: `/client/v4${V2}/batch`, headers: { ...BEARER, 'Content-Length': '1000' } });
      req.on('error', () => resolve());
      req.write('[{"origin_ip":');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    expect((await call('GET', V2)).status).toBe(200);
  });
});

describe('rate limit', () => {
  it('sends Ratelimit/Ratelimit-Policy on every answer; past the quota 429 with Retry-After until the window ends, then recovers', async () => {
    await start({ rateLimit: { requests: 5, windowSeconds: 1 } });
    for (let i = 0; i < 5; i++) {
      const r = await call('GET', V2);
      expect(r.status).toBe(200);
      expect(r.headers.get('ratelimit')).toBe(`"default";r=${4 - i};t=1`);
      expect(r.headers.get('ratelimit-policy')).toBe('"default";q=5;w=1');
      expect(r.headers.get('retry-after')).toBeNull();
    }
    const limited = await call('PUT', `${V2}/192.0.2.1`, BEARER, JSON.stringify({ origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('ratelimit')).toBe('"default";r=0;t=1');
    expect(limited.json).toMatchObject({ success: false, result: null, errors: [{ code: 971 }] });
    expect(emu!.mappings(Z)).toEqual([]); // a refused write is not applied

    // Per credential: another token has its own window; the admin API is never limited.
    expect((await call('GET', V2, { Authorization: 'Bearer other' })).status).toBe(200);
    expect((await fetch(`${emu!.origin}/__emulator/stats`)).status).toBe(200);
    expect((await call('GET', V2)).status).toBe(429);

    await new Promise((r) => setTimeout(r, 1100));
    const again = await call('GET', V2);
    expect(again.status).toBe(200);
    expect(again.headers.get('ratelimit')).toBe('"default";r=4;t=1');
  });

  it('the official default is 1200 per 300 s; rateLimit: false sends no rate headers', async () => {
    await start();
    expect((await call('GET', V2)).headers.get('ratelimit-policy')).toBe('"default";q=1200;w=300');
    await emu!.close();
    await start({ rateLimit: false });
    const r = await call('GET', V2);
    expect(r.headers.get('ratelimit')).toBeNull();
    expect(r.headers.get('ratelimit-policy')).toBeNull();
  });

  it('setFaults({rateLimit}) changes the policy at run time with fresh windows', async () => {
    await start({ rateLimit: { requests: 1, windowSeconds: 60 } });
    await call('GET', V2);
    expect((await call('GET', V2)).status).toBe(429);
    emu!.setFaults({ rateLimit: { requests: 3, windowSeconds: 60 } });
    expect((await call('GET', V2)).headers.get('ratelimit')).toBe('"default";r=2;t=60');
  });
});

describe('fault injection and latency', () => {
  it('faultRate answers 5xx with code 1140 or 1156 and applies nothing', async () => {
    const seq = [0, 0, 0.9, 0.9]; // (fault?, which) pairs: 1140, then 1156
    await start({ faultRate: 1, random: () => seq.shift() ?? 0 });
    const body = JSON.stringify({ origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' });
    const a = await call('PUT', `${V2}/192.0.2.1`, BEARER, body);
    expect(a.status).toBe(500);
    expect(a.json.errors).toEqual([{ code: 1140, message: 'Unable to update origin_public_cloud_region setting value. Internal error.' }]);
    const b = await call('PUT', `${V2}/192.0.2.1`, BEARER, body);
    expect(b.status).toBe(503);
    expect(b.json.errors[0].code).toBe(1156);
    expect(emu!.mappings(Z)).toEqual([]);
    emu!.setFaults({ faultRate: 0 });
    expect((await call('PUT', `${V2}/192.0.2.1`, BEARER, body)).status).toBe(200);
  });

  it('dropRate destroys the connection without an answer; dropMode=after applies the write first', async () => {
    await start({ dropRate: 1 });
    const body = JSON.stringify({ origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' });
    await expect(call('PUT', `${V2}/192.0.2.1`, BEARER, body)).rejects.toThrow();
    expect(emu!.mappings(Z)).toEqual([]);
    emu!.setFaults({ dropMode: 'after' });
    await expect(call('PUT', `${V2}/192.0.2.1`, BEARER, body)).rejects.toThrow();
    expect(emu!.mappings(Z).map((m) => m.origin_ip)).toEqual(['192.0.2.1']);
    expect(emu!.stats()).toContainEqual({ method: 'PUT', route: '/zones/:zone_id/origin/cloud_regions/:origin_ip', status: 0, count: 2 });
    emu!.setFaults({ dropRate: 0 });
    expect((await call('GET', V2)).status).toBe(200);
  });

  it('latencyMs delays each answer; jitterMs adds up to that much more', async () => {
    await start({ latencyMs: 120, jitterMs: 50, random: () => 0.5 });
    const t0 = performance.now();
    await call('GET', V2);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1000);
  });

  it('invalid knob values are refused with a clear message', async () => {
    await start();
    expect(() => emu!.setFaults({ faultRate: 2 })).toThrow(/faultRate must be a number from 0 to 1/);
    expect(() => emu!.setFaults({ rateLimit: { requests: 0, windowSeconds: 1 } })).toThrow(/requests/);
    await expect(startCloudflareEmulator({ dropRate: -1 })).rejects.toThrow(/dropRate/);
    await expect(startCloudflareEmulator({ maxMappings: 0 })).rejects.toThrow(/maxMappings/);
  });
});
