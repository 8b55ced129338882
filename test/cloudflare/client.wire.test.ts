/**
 * Wire-level edge cases that the emulator does not produce (it is a well-behaved Cloudflare): malformed
 * entries, servers that do not page, redirects, proxy error pages, inconsistent batch results, echoed
 * credentials. A scripted HTTP server on 127.0.0.1 answers exactly what each test needs.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createCloudflareClient, type CloudflareClientOptions, type RequestInfo, type Warning } from '../../src/cloudflare/index.ts';
import { readBody } from '../../src/http/body.ts';
import { close, listen } from '../../src/http/listen.ts';
import { caught } from '../helpers/cloudflare-errors.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  raw?: string;
  destroy?: boolean;
}

const TOKEN = 'tok-SECRET-7f3a9c1e-do-not-leak';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const servers: Server[] = [];

async function scripted(answer: (req: Seen) => Answer | Promise<Answer>): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: await readBody(req) };
      seen.push(s);
      const a = await answer(s);
      if (a.destroy) {
        req.socket.destroy();
        return;
      }
      const text = a.raw ?? JSON.stringify(a.body);
      res.writeHead(a.status, { 'content-type': a.raw === undefined ? 'application/json' : 'text/html', ...a.headers });
      res.end(text);
    })();
  });
  servers.push(server);
  const port = await listen(server, '127.0.0.1', 0);
  return { url: `http://127.0.0.1:${port}/client/v4`, seen };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => close(s)));
});

const ok = (result: unknown, extra: Record<string, unknown> = {}) => ({ success: true, errors: [], messages: [], result, ...extra });
/** A v2 list page as Cloudflare sends it: the entries of the page asked for, with its result_info. */
const page = (url: string, pages: unknown[][]) => {
  const n = Number(new URL(url, 'http://x').searchParams.get('page'));
  const result = pages[n - 1] ?? [];
  return ok(result, { result_info: { count: result.length, page: n, per_page: 100, total_count: pages.flat().length, total_pages: pages.length } });
};
const fail = (code: number, message: string) => ({ success: false, errors: [{ code, message }], messages: [], result: null });

function client(url: string, more: Partial<CloudflareClientOptions> = {}) {
  const warnings: Warning[] = [];
  const requests: RequestInfo[] = [];
  const c = createCloudflareClient({
    apiBase: url,
    auth: { token: TOKEN },
    api: 'v2',
    onWarning: (w) => warnings.push(w),
    onRequest: (r) => requests.push(r),
    ...more,
  });
  return { c, warnings, requests };
}


describe('requests on the wire', () => {
  it('v2: PUT /{ip} with origin_ip, bearer auth, JSON body; IPv6 canonicalized in path and body', async () => {
    const { url, seen } = await scripted(() => ({ status: 200, body: ok({ origin_ip: '2001:db8::1', region: 'us-east-1', vendor: 'aws' }) }));
    const { c } = client(url);
    await c.upsert(ZONE, { ip: '2001:DB8:0:0::1', vendor: 'aws', region: 'us-east-1' });
    expect(seen[0]).toMatchObject({ method: 'PUT', url: `/client/v4/zones/${ZONE}/origin/cloud_regions/2001:db8::1` });
    expect(JSON.parse(seen[0]!.body)).toEqual({ origin_ip: '2001:db8::1', region: 'us-east-1', vendor: 'aws' });
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]!.headers['content-type']).toBe('application/json');
  });

  it('v1: PATCH with ip, global-key auth', async () => {
    const { url, seen } = await scripted(() => ({ status: 200, body: ok({ id: 'origin_public_cloud_region', editable: true, value: [] }) }));
    const c = createCloudflareClient({ apiBase: url, auth: { email: 'sre@example.com', key: 'KEY-abc' }, api: 'v1' });
    await c.upsert(ZONE, { ip: '::ffff:192.0.2.7', vendor: 'gcp', region: 'us-central1' });
    expect(seen[0]).toMatchObject({ method: 'PATCH', url: `/client/v4/zones/${ZONE}/cache/origin_cloud_regions` });
    expect(JSON.parse(seen[0]!.body)).toEqual({ ip: '192.0.2.7', region: 'us-central1', vendor: 'gcp' });
    expect(seen[0]!.headers['x-auth-email']).toBe('sre@example.com');
    expect(seen[0]!.headers['x-auth-key']).toBe('KEY-abc');
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('refuses bad input before sending anything', async () => {
    const { url, seen } = await scripted(() => ({ status: 500, body: {} }));
    const { c } = client(url);
    await expect(c.upsertBatch(ZONE, Array.from({ length: 101 }, (_, i) => ({ ip: `192.0.2.${i}`, vendor: 'aws' as const, region: 'us-east-1' })))).rejects.toThrow(RangeError);
    await expect(c.deleteBatch(ZONE, Array.from({ length: 101 }, (_, i) => `192.0.2.${i}`))).rejects.toThrow(RangeError);
    await expect(
      c.upsertBatch(ZONE, [
        { ip: '2001:db8::1', vendor: 'aws', region: 'us-east-1' },
        { ip: '2001:DB8::1', vendor: 'aws', region: 'us-west-2' },
      ]),
    ).rejects.toThrow(/twice/);
    expect((await caught(c.upsert(ZONE, { ip: '10.0.0.300', vendor: 'aws', region: 'us-east-1' }))).outcome).toBe('invalid');
    expect((await caught(c.upsert(ZONE, { ip: '192.0.2.1', vendor: 'ibm' as 'aws', region: 'us-east-1' }))).outcome).toBe('invalid');
    expect((await caught(c.delete(ZONE, 'nope'))).outcome).toBe('invalid');
    expect((await caught(c.listMappings('../../accounts'))).outcome).toBe('invalid');
    // invalid items of a batch fail locally; with nothing valid left nothing is sent
    const r = await c.upsertBatch(ZONE, [{ ip: '192.0.2.0/24', vendor: 'aws', region: 'us-east-1' }]);
    expect(r.succeeded).toEqual([]);
    expect(r.failed).toEqual([{ ip: '192.0.2.0/24', error: expect.stringContaining('CIDR') }]);
    expect(seen).toHaveLength(0);
  });

  it('refuses options that would put a secret into an error', () => {
    const bad = (auth: CloudflareClientOptions['auth'], apiBase = 'http://127.0.0.1:1/client/v4') => () =>
      createCloudflareClient({ apiBase, auth, api: 'v2' });
    const e1 = (() => {
      try {
        bad({ token: `${TOKEN}\n` })();
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(e1).toBeInstanceOf(TypeError);
    expect(e1!.message).not.toContain(TOKEN);
    expect(bad({ token: '' })).toThrow(TypeError);
    expect(bad({ email: 'a@b', key: 'k y' })).toThrow(TypeError);
    expect(bad({ token: 't' }, `http://user:${TOKEN}@127.0.0.1/client/v4`)).toThrow(/credentials/);
  });
});

describe('odd responses', () => {
  it('skips list entries that are not valid mappings, warns, and returns them as unparsed', async () => {
    const entries = [
      { origin_ip: '2001:0DB8::0001', vendor: 'GCP', region: 'us-central1', modified_on: '2026-03-01T12:00:00Z' },
      { origin_ip: 'not-an-ip', vendor: 'aws', region: 'us-east-1' },
      { origin_ip: '192.0.2.9', vendor: 'alibaba', region: 'cn-hangzhou' },
      { origin_ip: '192.0.2.10', vendor: 'aws' },
      'garbage',
      null,
    ];
    const { url } = await scripted((req) => ({ status: 200, body: page(req.url, [entries]) }));
    const { c, warnings } = client(url);
    const { mappings, unparsed } = await c.listAll(ZONE);
    expect(mappings).toEqual([{ ip: '2001:db8::1', vendor: 'gcp', region: 'us-central1', modifiedOn: '2026-03-01T12:00:00Z' }]);
    expect(unparsed.map((u) => [u.ip, u.reason.split(':')[0]])).toEqual([
      [null, 'invalid IP'],
      ['192.0.2.9', 'unknown vendor "alibaba"'],
      ['192.0.2.10', 'region missing'],
      [null, 'entry is not an object'],
      [null, 'entry is not an object'],
    ]);
    expect(warnings).toHaveLength(5);
    expect(warnings[0]).toMatchObject({ zoneId: ZONE, family: 'v2', route: '/zones/{zone_id}/origin/cloud_regions' });
    expect(await c.listMappings(ZONE)).toHaveLength(1);
  });

  it('fails, instead of looping or truncating, when the server ignores page', async () => {
    const same = [{ origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }];
    const { url, seen } = await scripted((req) => ({ status: 200, body: page(req.url, [same, same, same]) }));
    const { c } = client(url);
    const e = await caught(c.listMappings(ZONE));
    expect(e.outcome).toBe('unexpected');
    expect(e.message).toMatch(/does not page/);
    expect(seen).toHaveLength(2);
  });

  it('does not follow redirects (they would carry X-Auth-Key elsewhere)', async () => {
    const target = await scripted(() => ({ status: 200, body: ok([]) }));
    const { url } = await scripted(() => ({ status: 307, headers: { location: `${target.url}/zones/${ZONE}/origin/cloud_regions` }, body: {} }));
    const c = createCloudflareClient({ apiBase: url, auth: { email: 'a@example.com', key: 'KEY-redirect' }, api: 'v2' });
    const e = await caught(c.listMappings(ZONE));
    expect(e).toMatchObject({ outcome: 'unexpected', status: 307, retryable: false });
    expect(target.seen).toHaveLength(0);
  });

  it('reads a proxy HTML error page as transient, with a short excerpt', async () => {
    const { url } = await scripted(() => ({ status: 502, raw: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>' }));
    const { c, requests } = client(url);
    const e = await caught(c.supportedRegions(ZONE));
    expect(e).toMatchObject({ outcome: 'transient', status: 502, retryable: true });
    expect(e.message).toContain('502 Bad Gateway');
    expect(requests).toEqual([expect.objectContaining({ status: 502, outcome: 'transient', family: 'v2', method: 'GET' })]);
  });

  it('a 2xx that is not an envelope, or has the wrong result shape: unexpected on a read, unknown on a write (and reported so)', async () => {
    let body: unknown = [1, 2];
    const { url } = await scripted(() => ({ status: 200, body }));
    const { c, requests } = client(url);
    expect((await caught(c.listMappings(ZONE))).outcome).toBe('unexpected');
    body = ok({ failed: 'x' });
    const e = await caught(c.upsertBatch(ZONE, [{ ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }]));
    expect(e).toMatchObject({ outcome: 'unknown', status: 200, retryable: true });
    expect(e.message).toMatch(/malformed result.*may have been applied/);
    body = { success: false, errors: [{ code: 1164, message: 'Maximum number of IP mappings configured for zone.' }], result: null };
    expect((await caught(c.upsert(ZONE, { ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }))).outcome).toBe('cap_reached');
    expect(requests.map((r) => r.outcome)).toEqual(['unexpected', 'unknown', 'cap_reached']);
  });

  it('counts batch items the result does not mention as failed, and never drops a failure', async () => {
    const { url } = await scripted(() => ({
      status: 200,
      body: ok({
        succeeded: [
          { origin_ip: '192.0.2.1' }, // no region/vendor: taken from the request
          { origin_ip: '198.51.100.99', region: 'us-east-1', vendor: 'aws' }, // never sent
        ],
        failed: [{ origin_ip: '2001:DB8::5', error: 'boom' }, { origin_ip: 'weird' }],
      }),
    }));
    const { c, warnings } = client(url);
    const r = await c.upsertBatch(ZONE, [
      { ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' },
      { ip: '192.0.2.2', vendor: 'aws', region: 'us-east-1' },
      { ip: '2001:db8::5', vendor: 'gcp', region: 'us-central1' },
    ]);
    expect(r.succeeded).toEqual([{ ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }]);
    expect(r.failed).toEqual([
      { ip: '2001:db8::5', error: 'boom' },
      { ip: 'weird', error: 'Cloudflare gave no reason' },
      { ip: '192.0.2.2', error: 'not reported in the batch result' },
    ]);
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/not in the request[\s\S]*192\.0\.2\.2/);
  });

  it('a 200 batch delete result with "not found" items reports them as already gone', async () => {
    const { url } = await scripted(() => ({
      status: 200,
      body: ok({
        succeeded: [{ origin_ip: '192.0.2.1', region: 'us-east-1', vendor: 'aws' }],
        failed: [
          { origin_ip: '192.0.2.2', error: 'No mapping exists for this origin IP.' },
          { origin_ip: '192.0.2.3', error: 'Unable to update origin_public_cloud_region setting value. Internal error.' },
        ],
      }),
    }));
    const { c } = client(url);
    const r = await c.deleteBatch(ZONE, ['192.0.2.1', '192.0.2.2', '192.0.2.3', 'bad ip']);
    expect(r.succeeded).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(r.alreadyGone).toEqual(['192.0.2.2']);
    expect(r.failed.map((f) => f.ip)).toEqual(['bad ip', '192.0.2.3']);
  });

  it('a caller abort is transient and says so', async () => {
    const { url } = await scripted(() => new Promise<Answer>((resolve) => setTimeout(() => resolve({ status: 200, body: ok([]) }), 2000)));
    const { c } = client(url);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    const e = await caught(c.listMappings(ZONE, ctl.signal));
    expect(e).toMatchObject({ outcome: 'transient', status: null });
    expect(e.message).toMatch(/aborted by the caller/);
  });

  it('the metrics and warning hooks cannot break a call', async () => {
    // one success the request did not ask for: a warning
    const { url } = await scripted(() => ({ status: 200, body: ok({ succeeded: [{ origin_ip: 'x' }, { origin_ip: '192.0.2.1' }], failed: [] }) }));
    const c = createCloudflareClient({
      apiBase: url,
      auth: { token: TOKEN },
      api: 'v2',
      onRequest: () => {
        throw new Error('metrics down');
      },
      onWarning: () => {
        throw new Error('logger down');
      },
    });
    await expect(c.upsertBatch(ZONE, [{ ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }])).resolves.toEqual({
      succeeded: [{ ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }],
      failed: [],
    });
  });

  it('redacts a credential that a server echoes back, in every error field', async () => {
    const { url } = await scripted((req) => ({
      status: 400,
      body: fail(
        6003,
        `Invalid request headers: got ${String(req.headers.authorization)} and ${String(req.headers['x-auth-key'])} for ${encodeURIComponent(String(req.headers['x-auth-email']))}`,
      ),
    }));
    for (const auth of [{ token: TOKEN }, { email: 'sre+ops@example.com', key: 'KEY-9d8c7b6a5f4e' }]) {
      const c = createCloudflareClient({ apiBase: url, auth, api: 'v2' });
      const e = await caught(c.listMappings(ZONE));
      expect(e.outcome).toBe('auth');
      const all = `${e.message}\n${e.stack}\n${JSON.stringify(e)}\n${String(e)}`;
      for (const secret of Object.values(auth)) {
        expect(all).not.toContain(secret);
        expect(all).not.toContain(encodeURIComponent(secret));
      }
      expect(e.message).toContain('[redacted]');
    }
  });
});

describe('auto switching on odd answers', () => {
  it('a v1 404 without a mapping error code is a missing route: the zone moves to v2', async () => {
    const { url, seen } = await scripted((req) =>
      req.url.includes('/cache/') ? { status: 404, raw: 'Not Found' } : { status: 200, body: ok({ origin_ip: '192.0.2.1' }) },
    );
    const { c } = client(url, { api: 'auto' });
    expect(await c.delete(ZONE, '192.0.2.1')).toEqual({ existed: true });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      `DELETE /client/v4/zones/${ZONE}/cache/origin_cloud_regions/192.0.2.1`,
      `DELETE /client/v4/zones/${ZONE}/origin/cloud_regions/192.0.2.1`,
    ]);
    expect(await c.family(ZONE)).toBe('v2');
  });

  it('a v1 404 with 1163 is an absent mapping, not a missing route', async () => {
    const { url, seen } = await scripted(() => ({ status: 404, body: fail(1163, 'No mapping exists for the specified IP.') }));
    const { c } = client(url, { api: 'auto' });
    expect(await c.delete(ZONE, '192.0.2.1')).toEqual({ existed: false });
    expect(seen).toHaveLength(1);
    expect(await c.family(ZONE)).toBe('v1');
  });

  it('when v2 has no route either (a bad zone), nothing is remembered and no_route is thrown', async () => {
    const { url, seen } = await scripted((req) => ({
      status: 400,
      body: {
        success: false,
        errors: [
          { code: 7003, message: `Could not route to ${req.url}, perhaps your object identifier is invalid?` },
          { code: 7000, message: 'No route for that URI' },
        ],
        result: null,
      },
    }));
    const sets: string[] = [];
    const { c } = client(url, { api: 'auto', familyMemory: { get: () => undefined, set: (z) => void sets.push(z) } });
    const e = await caught(c.listMappings(ZONE));
    expect(e).toMatchObject({ outcome: 'no_route', family: 'v2', codes: [7003, 7000] });
    expect(seen).toHaveLength(2);
    expect(sets).toEqual([]);
    expect(await c.family(ZONE)).toBe('v1');
  });

  it('an unreadable family memory costs a request, not the call', async () => {
    const { url } = await scripted(() => ({ status: 200, body: ok({ id: 'origin_public_cloud_region', editable: true, value: [] }) }));
    const { c, warnings } = client(url, {
      api: 'auto',
      familyMemory: {
        get: () => Promise.reject(new Error('redis down')),
        set: () => undefined,
      },
    });
    expect(await c.listMappings(ZONE)).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual(['family memory unreadable; starting on v1']);
  });
});
