/**
 * The client against the Cloudflare API emulator (src/emulators/cloudflare) over real HTTP: both path
 * families, auto switching, every error outcome, the budget, IPv6 canonicalization and the no-secret rule.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CloudflareApiError,
  createCloudflareClient,
  type ApiFamily,
  type ApiMode,
  type CloudflareClientOptions,
  type RequestInfo,
  type Warning,
} from '../../src/cloudflare/index.ts';
import { startCloudflareEmulator, type CloudflareEmulator, type CloudflareEmulatorOptions, type SeedMapping } from '../../src/emulators/cloudflare/index.ts';
import { caught } from '../helpers/cloudflare-errors.ts';

const TOKEN = 'cftok_SECRET_4b1d9e77a0c2_never_log_me';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const emulators: CloudflareEmulator[] = [];

afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()));
});

async function start(opts: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  const emu = await startCloudflareEmulator({ port: 0, rateLimit: false, tokens: [TOKEN], ...opts });
  emulators.push(emu);
  return emu;
}

function clientFor(emu: CloudflareEmulator, api: ApiMode, more: Partial<CloudflareClientOptions> = {}) {
  const requests: RequestInfo[] = [];
  const warnings: Warning[] = [];
  const c = createCloudflareClient({
    apiBase: emu.url,
    auth: { token: TOKEN },
    api,
    onRequest: (r) => requests.push(r),
    onWarning: (w) => warnings.push(w),
    ...more,
  });
  return { c, requests, warnings };
}


/** n distinct public addresses, IPv4 and IPv6 mixed. */
function many(n: number): SeedMapping[] {
  return Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? { origin_ip: `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`, vendor: 'aws', region: 'us-east-1' }
      : { origin_ip: `2001:db8::${(i + 1).toString(16)}`, vendor: 'gcp', region: 'us-central1' },
  );
}

const count = (emu: CloudflareEmulator, method: string, route: string) =>
  emu
    .stats()
    .filter((r) => r.method === method && r.route === route)
    .reduce((s, r) => s + r.count, 0);

const V1 = '/zones/:zone_id/cache/origin_cloud_regions';
const V2 = '/zones/:zone_id/origin/cloud_regions';

describe.each(['v1', 'v2'] as const)('family %s', (family: ApiFamily) => {
  it('lists every mapping with canonical IPs and vendor/region/modifiedOn', async () => {
    const emu = await start({
      seed: {
        [ZONE]: [
          { origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' },
          { origin_ip: '2001:0DB8:0:0::1', vendor: 'gcp', region: 'us-central1' },
        ],
      },
    });
    const { c } = clientFor(emu, family);
    const list = await c.listMappings(ZONE);
    expect(list.map(({ ip, vendor, region }) => ({ ip, vendor, region }))).toEqual([
      { ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' },
      { ip: '2001:db8::1', vendor: 'gcp', region: 'us-central1' },
    ]);
    expect(list[0]!.modifiedOn).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await c.listMappings('emptyzone')).toEqual([]);
  });

  it.each([150, 200, 250])('lists %i mappings (v2: pages of 100 up to result_info.total_pages, no empty page after)', async (n) => {
    const emu = await start({ seed: { [ZONE]: many(n) } });
    const { c } = clientFor(emu, family);
    const list = await c.listMappings(ZONE);
    expect(list).toHaveLength(n);
    expect(new Set(list.map((m) => m.ip)).size).toBe(n);
    expect(new Set(list.map((m) => m.ip))).toEqual(new Set(emu.mappings(ZONE).map((m) => m.origin_ip)));
    if (family === 'v2') expect(count(emu, 'GET', V2)).toBe(Math.ceil(n / 100));
    else expect(count(emu, 'GET', V1)).toBe(1);
  });

  it('upserts one mapping (create, then replace), canonicalizing the IP it sends', async () => {
    const emu = await start();
    const { c } = clientFor(emu, family);
    await c.upsert(ZONE, { ip: '2001:DB8:0:0:0:0:0:A', vendor: 'aws', region: 'us-east-1' });
    await c.upsert(ZONE, { ip: '::ffff:192.0.2.5', vendor: 'gcp', region: 'us-central1' });
    expect(emu.mappings(ZONE).map((m) => [m.origin_ip, m.vendor, m.region])).toEqual([
      ['192.0.2.5', 'gcp', 'us-central1'],
      ['2001:db8::a', 'aws', 'us-east-1'],
    ]);
    await c.upsert(ZONE, { ip: '2001:db8::a', vendor: 'aws', region: 'us-west-2' });
    expect(emu.mappings(ZONE).find((m) => m.origin_ip === '2001:db8::a')?.region).toBe('us-west-2');
    expect(emu.mappings(ZONE)).toHaveLength(2);
  });

  it('batch upsert returns per-item results: valid items applied, invalid ones in failed (HTTP 200)', async () => {
    const emu = await start({ seed: { [ZONE]: [{ origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }] } });
    const { c, requests } = clientFor(emu, family);
    const r = await c.upsertBatch(ZONE, [
      { ip: '192.0.2.1', vendor: 'aws', region: 'us-west-2' },
      { ip: '2001:DB8::2', vendor: 'gcp', region: 'us-central1' },
      { ip: '192.0.2.3', vendor: 'aws', region: 'mars-north-1' },
      { ip: '192.0.2.4', vendor: 'oci', region: 'us-east-1' },
      { ip: '10.0.0.1.5', vendor: 'aws', region: 'us-east-1' },
    ]);
    expect(r.succeeded).toEqual([
      { ip: '192.0.2.1', vendor: 'aws', region: 'us-west-2' },
      { ip: '2001:db8::2', vendor: 'gcp', region: 'us-central1' },
    ]);
    expect(r.failed.map((f) => f.ip)).toEqual(['10.0.0.1.5', '192.0.2.3', '192.0.2.4']);
    expect(r.failed[1]!.error).toMatch(/region/);
    expect(requests).toEqual([expect.objectContaining({ status: 200, outcome: 'ok', method: family === 'v1' ? 'PATCH' : 'PUT' })]);
    expect(emu.mappings(ZONE).map((m) => [m.origin_ip, m.region])).toEqual([
      ['192.0.2.1', 'us-west-2'],
      ['2001:db8::2', 'us-central1'],
    ]);
  });

  it('deletes one mapping; a second delete of it reports existed: false', async () => {
    const emu = await start({
      seed: {
        [ZONE]: [
          { origin_ip: '2001:db8::7', vendor: 'gcp', region: 'us-central1' },
          { origin_ip: '192.0.2.8', vendor: 'aws', region: 'us-east-1' },
        ],
      },
    });
    const { c } = clientFor(emu, family);
    expect(await c.delete(ZONE, '2001:0db8::0007')).toEqual({ existed: true });
    expect(await c.delete(ZONE, '2001:db8::7')).toEqual({ existed: false });
    expect(emu.mappings(ZONE).map((m) => m.origin_ip)).toEqual(['192.0.2.8']);
    // the last mapping removes the rule record; deleting from an empty zone is still "already gone"
    expect(await c.delete(ZONE, '192.0.2.8')).toEqual({ existed: true });
    expect(await c.delete(ZONE, '192.0.2.8')).toEqual({ existed: false });
    expect(await c.listMappings(ZONE)).toEqual([]);
  });

  it('batch delete: deleted and already-gone IPs succeed, the gone ones are named', async () => {
    const emu = await start({ seed: { [ZONE]: many(4) } });
    const { c } = clientFor(emu, family);
    const ips = emu.mappings(ZONE).map((m) => m.origin_ip);
    const r = await c.deleteBatch(ZONE, [ips[0]!, ips[1]!.toUpperCase(), '203.0.113.77', '2001:db8::dead']);
    expect(r.failed).toEqual([]);
    expect(new Set(r.succeeded)).toEqual(new Set([ips[0], ips[1], '203.0.113.77', '2001:db8::dead']));
    expect(r.alreadyGone.sort()).toEqual(['2001:db8::dead', '203.0.113.77']);
    expect(emu.mappings(ZONE).map((m) => m.origin_ip)).toEqual(ips.slice(2));
  });

  it('reads supported regions', async () => {
    const emu = await start();
    const { c } = clientFor(emu, family);
    const s = await c.supportedRegions(ZONE);
    expect(s.obtainedCodes).toBe(true);
    expect(Object.keys(s.vendors).sort()).toEqual(['aws', 'azure', 'gcp', 'oci']);
    const useast = s.vendors.aws?.find((r) => r.name === 'us-east-1');
    expect(useast?.upperTierColos.length).toBeGreaterThan(0);
    expect(useast?.upperTierColos.every((x) => /^[A-Z]{3}$/.test(x))).toBe(true);
  });
});

describe('auto', () => {
  it('starts on v1, switches a zone to v2 when v1 is retired, and remembers it', async () => {
    const emu = await start({ seed: { [ZONE]: many(3), other: many(1) } });
    const sets: Array<[string, ApiFamily]> = [];
    const stored = new Map<string, ApiFamily>();
    const { c, requests } = clientFor(emu, 'auto', {
      familyMemory: {
        get: async (z) => stored.get(z),
        set: async (z, f) => {
          sets.push([z, f]);
          stored.set(z, f);
        },
      },
    });
    expect(await c.family(ZONE)).toBe('v1');
    expect(await c.listMappings(ZONE)).toHaveLength(3);
    expect(count(emu, 'GET', V1)).toBe(1);
    expect(count(emu, 'GET', V2)).toBe(0);

    emu.setFaults({ retireV1: true });
    emu.clearStats();
    expect(await c.listMappings(ZONE)).toHaveLength(3);
    expect(emu.stats()).toEqual([
      { method: 'GET', route: V1, status: 400, count: 1 },
      { method: 'GET', route: V2, status: 200, count: 1 }, // 3 mappings: one page, which says it is the last
    ]);
    expect(requests.at(-2)).toMatchObject({ family: 'v1', status: 400, outcome: 'no_route' });
    expect(sets).toEqual([[ZONE, 'v2']]);
    expect(await c.family(ZONE)).toBe('v2');

    // the second call goes straight to v2, for writes too
    emu.clearStats();
    await c.upsert(ZONE, { ip: '192.0.2.200', vendor: 'aws', region: 'us-east-1' });
    expect(await c.delete(ZONE, '192.0.2.200')).toEqual({ existed: true });
    expect(count(emu, 'PATCH', V1) + count(emu, 'DELETE', `${V1}/:origin_ip`)).toBe(0);
    expect(emu.stats().map((r) => `${r.method} ${r.route} ${r.status}`).sort()).toEqual([`DELETE ${V2}/:origin_ip 200`, `PUT ${V2}/:origin_ip 200`]);

    // a fresh client with the same (shared) memory starts on v2 for that zone only
    const other = clientFor(emu, 'auto', { familyMemory: { get: (z) => stored.get(z), set: (z, f) => void stored.set(z, f) } }).c;
    expect(await other.family(ZONE)).toBe('v2');
    expect(await other.family('other')).toBe('v1');
  });

  it('re-sends a write on v2 once, so a retired v1 loses nothing', async () => {
    const emu = await start({ retireV1: true });
    const { c } = clientFor(emu, 'auto');
    const r = await c.upsertBatch(ZONE, [{ ip: '192.0.2.9', vendor: 'aws', region: 'us-east-1' }]);
    expect(r).toEqual({ succeeded: [{ ip: '192.0.2.9', vendor: 'aws', region: 'us-east-1' }], failed: [] });
    expect(emu.mappings(ZONE).map((m) => m.origin_ip)).toEqual(['192.0.2.9']);
    expect(count(emu, 'PATCH', `${V1}/batch`)).toBe(1);
    expect(count(emu, 'PUT', `${V2}/batch`)).toBe(1);
  });

  it('a fixed v1 does not switch: no_route is thrown', async () => {
    const emu = await start({ retireV1: true });
    const { c } = clientFor(emu, 'v1');
    const e = await caught(c.listMappings(ZONE));
    expect(e).toMatchObject({ outcome: 'no_route', status: 400, codes: [7003], retryable: false });
    expect(count(emu, 'GET', V2)).toBe(0);
  });
});

describe('errors', () => {
  it('429 → rate_limited with the wait in ms; the budget shows it spent', async () => {
    const emu = await start({ rateLimit: { requests: 2, windowSeconds: 40 } });
    const { c } = clientFor(emu, 'v2');
    await c.supportedRegions(ZONE);
    expect(c.budget()).toMatchObject({ remaining: 1, quota: 2, windowSeconds: 40 });
    await c.supportedRegions(ZONE);
    const e = await caught(c.supportedRegions(ZONE));
    expect(e).toMatchObject({ outcome: 'rate_limited', status: 429, retryable: true });
    expect(e.retryAfterMs).toBeGreaterThan(30_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(40_000);
    expect(c.budget()).toMatchObject({ remaining: 0 });
    // never retried internally
    expect(count(emu, 'GET', `${V2}/supported_regions`)).toBe(3);
  });

  it('exposes the budget from the Ratelimit / Ratelimit-Policy headers', async () => {
    const emu = await start({ rateLimit: { requests: 1200, windowSeconds: 300 } });
    const { c } = clientFor(emu, 'v2');
    expect(c.budget()).toBeUndefined();
    const before = Date.now();
    await c.listMappings(ZONE); // an empty zone: one (empty) page
    await c.supportedRegions(ZONE);
    const b = c.budget()!;
    expect(b).toMatchObject({ remaining: 1198, quota: 1200, windowSeconds: 300 });
    expect(b.resetSeconds).toBeGreaterThan(290);
    expect(b.resetSeconds).toBeLessThanOrEqual(300);
    expect(b.observedAt).toBeGreaterThanOrEqual(before);
  });

  it('5xx → transient (1140/1156)', async () => {
    const emu = await start({ faultRate: 1 });
    const { c, requests } = clientFor(emu, 'v2');
    const e = await caught(c.upsert(ZONE, { ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }));
    expect(e).toMatchObject({ outcome: 'transient', retryable: true });
    expect([500, 503]).toContain(e.status);
    expect(e.codes.some((x) => x === 1140 || x === 1156)).toBe(true);
    expect(requests).toEqual([expect.objectContaining({ outcome: 'transient', status: e.status })]);
  });

  it('a dropped connection → transient on a read, unknown on a write (it may have been applied), no status', async () => {
    const emu = await start({ dropRate: 1 });
    const { c, requests } = clientFor(emu, 'v1');
    const r = await caught(c.listMappings(ZONE));
    expect(r).toMatchObject({ outcome: 'transient', status: null, retryable: true });
    const e = await caught(c.deleteBatch(ZONE, ['192.0.2.1']));
    expect(e).toMatchObject({ outcome: 'unknown', status: null, retryable: true });
    expect(e.message).toMatch(/network error.*may have been applied/);
    expect(requests.map((q) => [q.outcome, q.status, q.family])).toEqual([
      ['transient', null, 'v1'],
      ['unknown', null, 'v1'],
    ]);
  });

  it('a timeout → transient', async () => {
    const emu = await start({ latencyMs: 1000 });
    const { c } = clientFor(emu, 'v2', { timeoutMs: 100 });
    const t0 = performance.now();
    const e = await caught(c.listMappings(ZONE));
    expect(performance.now() - t0).toBeLessThan(900);
    expect(e).toMatchObject({ outcome: 'transient', status: null, retryable: true });
    expect(e.message).toMatch(/timed out after 100 ms/);
  });

  it.each(['v1', 'v2'] as const)('%s: cap reached → cap_reached (single and batch)', async (family) => {
    const emu = await start({ maxMappings: 2, seed: { [ZONE]: many(2) } });
    const { c } = clientFor(emu, family);
    const e = await caught(c.upsert(ZONE, { ip: '203.0.113.1', vendor: 'aws', region: 'us-east-1' }));
    expect(e).toMatchObject({ outcome: 'cap_reached', status: 403, codes: [1164], retryable: false });
    const b = await caught(c.upsertBatch(ZONE, [{ ip: '203.0.113.1', vendor: 'aws', region: 'us-east-1' }]));
    expect(b.outcome).toBe('cap_reached');
    // overwriting an existing IP at the cap is fine
    await c.upsert(ZONE, { ip: emu.mappings(ZONE)[0]!.origin_ip, vendor: 'aws', region: 'us-west-2' });
  });

  it.each(['v1', 'v2'] as const)('%s: invalid region → invalid (1157), not retryable', async (family) => {
    const emu = await start();
    const { c } = clientFor(emu, family);
    const e = await caught(c.upsert(ZONE, { ip: '192.0.2.1', vendor: 'gcp', region: 'us-east-1' }));
    expect(e).toMatchObject({ outcome: 'invalid', status: 400, codes: [1157], retryable: false });
    expect(e.message).toMatch(/region/);
  });

  it('auth errors → auth (unknown token 403/10000, malformed key headers 400/6003)', async () => {
    const emu = await start();
    const wrong = createCloudflareClient({ apiBase: emu.url, auth: { token: 'cftok_WRONG_0000' }, api: 'v2' });
    expect(await caught(wrong.listMappings(ZONE))).toMatchObject({ outcome: 'auth', status: 403, codes: [10000], retryable: false });
    const badEmail = createCloudflareClient({ apiBase: emu.url, auth: { email: 'not-an-email', key: TOKEN }, api: 'v2' });
    const e = await caught(badEmail.listMappings(ZONE));
    expect(e).toMatchObject({ outcome: 'auth', status: 400 });
    expect(e.codes).toContain(6003);
    const goodKey = createCloudflareClient({ apiBase: emu.url, auth: { email: 'sre@example.com', key: TOKEN }, api: 'v1' });
    await expect(goodKey.listMappings(ZONE)).resolves.toEqual([]);
  });
});

describe('no secret leaves the client', () => {
  it('in any error (every kind), RequestInfo or warning', async () => {
    const emu = await start({ maxMappings: 1, seed: { [ZONE]: many(1) }, rateLimit: { requests: 1000, windowSeconds: 60 } });
    const requests: RequestInfo[] = [];
    const warnings: Warning[] = [];
    const errs: CloudflareApiError[] = [];
    const mk = (auth: CloudflareClientOptions['auth'], more: Partial<CloudflareClientOptions> = {}) =>
      createCloudflareClient({ apiBase: emu.url, auth, api: 'v2', onRequest: (r) => requests.push(r), onWarning: (w) => warnings.push(w), ...more });
    const c = mk({ token: TOKEN });
    const collect = async (p: Promise<unknown>) => errs.push(await caught(p));

    await collect(c.upsert(ZONE, { ip: '203.0.113.1', vendor: 'aws', region: 'us-east-1' })); // cap_reached
    await collect(c.upsert(ZONE, { ip: '203.0.113.1', vendor: 'aws', region: 'nowhere-1' })); // invalid
    await collect(c.upsert(ZONE, { ip: 'bogus', vendor: 'aws', region: 'us-east-1' })); // invalid, local
    await collect(mk({ token: `${TOKEN}x` }).listMappings(ZONE)); // auth 403
    await collect(mk({ email: TOKEN, key: TOKEN }).listMappings(ZONE)); // auth 400
    emu.setFaults({ faultRate: 1 });
    await collect(c.listMappings(ZONE)); // transient 5xx
    emu.setFaults({ faultRate: 0, dropRate: 1 });
    await collect(c.listMappings(ZONE)); // transient, dropped
    emu.setFaults({ dropRate: 0, latencyMs: 300 });
    await collect(mk({ token: TOKEN }, { timeoutMs: 50 }).listMappings(ZONE)); // transient, timeout
    emu.setFaults({ latencyMs: 0, retireV1: true });
    await collect(mk({ token: TOKEN }, { api: 'v1' }).listMappings(ZONE)); // no_route
    emu.setFaults({ retireV1: false, rateLimit: { requests: 1, windowSeconds: 60 } });
    await c.supportedRegions(ZONE);
    await collect(c.supportedRegions(ZONE)); // rate_limited

    expect(new Set(errs.map((e) => e.outcome))).toEqual(new Set(['cap_reached', 'invalid', 'auth', 'transient', 'no_route', 'rate_limited']));
    for (const e of errs) {
      const text = [e.message, e.stack, JSON.stringify(e), String(e), JSON.stringify(Object.entries(e))].join('\n');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('SECRET');
    }
    expect(requests.length).toBeGreaterThan(8);
    expect(JSON.stringify(requests)).not.toContain('SECRET');
    expect(JSON.stringify(warnings)).not.toContain('SECRET');
  });
});
