import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCloudflareEmulator, type CloudflareEmulator } from '../../../src/emulators/cloudflare/index.ts';

// The answer faults (listFault, writeFault), set through the admin API, seen on the wire with raw HTTP.
const Z = 'faultzone';
const SEED = [{ origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' }];
const V1 = `/zones/${Z}/cache/origin_cloud_regions`;
const V2 = `/zones/${Z}/origin/cloud_regions`;

let emu: CloudflareEmulator;
beforeEach(async () => {
  emu = await startCloudflareEmulator({ seed: { [Z]: SEED }, rateLimit: false });
});
afterEach(async () => {
  await emu.close();
});

async function faults(patch: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${emu.origin}/__emulator/faults`, { method: 'PUT', body: JSON.stringify(patch), headers: { 'Content-Type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** One raw exchange: status, the body bytes that arrived, and whether the connection was cut mid-body. */
function raw(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; cut: boolean; length: number }> {
  const url = new URL(`${emu.url}${path}`);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let cut = false;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('aborted', () => (cut = true));
      res.on('error', () => (cut = true));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), cut: cut || !res.complete, length: Number(res.headers['content-length']) }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

describe('listFault', () => {
  it('is set and read through the admin API; bad values are 400', async () => {
    expect((await faults({ listFault: 'garbled', writeFault: 'late' })).json).toMatchObject({ listFault: 'garbled', writeFault: 'late' });
    const bad = await faults({ listFault: 'empty' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/listFault must be one of off, garbled, truncated, not-found/);
    expect((await faults({ writeFault: 'sometimes' })).status).toBe(400);
    expect(emu.faults()).toMatchObject({ listFault: 'garbled', writeFault: 'late' });
  });

  it('not-found: 404/1142 on both list routes; reads of one mapping are untouched', async () => {
    await faults({ listFault: 'not-found' });
    for (const p of [V1, `${V2}?page=1&per_page=100`]) {
      const r = await raw('GET', p);
      expect(r.status).toBe(404);
      expect(parse(r.text)).toMatchObject({ success: false, errors: [{ code: 1142 }] });
    }
    expect((await raw('GET', `${V2}/192.0.2.1`)).status).toBe(200);
  });

  it('null-result: v1 value null, v2 result null; no-result: no result at all; no-result-info: a v2 page without it', async () => {
    await faults({ listFault: 'null-result' });
    expect(parse((await raw('GET', V1)).text)).toMatchObject({ success: true, result: { id: 'origin_public_cloud_region', value: null } });
    expect(parse((await raw('GET', V2)).text)).toMatchObject({ success: true, result: null });
    await faults({ listFault: 'no-result' });
    for (const p of [V1, V2]) {
      const env = parse((await raw('GET', p)).text) as Record<string, unknown>;
      expect(env.success).toBe(true);
      expect('result' in env).toBe(false);
    }
    await faults({ listFault: 'no-result-info' });
    const page = parse((await raw('GET', V2)).text) as Record<string, unknown>;
    expect(page.result).toHaveLength(1);
    expect('result_info' in page).toBe(false);
    await faults({ listFault: 'bad-result-info' });
    expect(parse((await raw('GET', `${V2}?page=1&per_page=100`)).text)).toMatchObject({ result_info: { page: '1', per_page: '100', count: '1', total_count: '1' } });
  });

  it('garbled: a complete 200 that is not JSON; truncated: half the body, then the connection is cut', async () => {
    await faults({ listFault: 'garbled' });
    const g = await raw('GET', V1);
    expect(g).toMatchObject({ status: 200, cut: false });
    expect(parse(g.text)).toBeUndefined();
    expect(g.text).toContain("'origin-ip'");
    await faults({ listFault: 'truncated' });
    const t = await raw('GET', V2);
    expect(t.status).toBe(200);
    expect(t.cut).toBe(true);
    expect(t.text.length).toBeLessThan(t.length);
  });
});

describe('writeFault', () => {
  const item = { origin_ip: '198.51.100.7', vendor: 'aws', region: 'eu-west-1' };

  it.each(['garbled', 'truncated'])('%s: the write is applied, then its answer is broken; reads are untouched', async (writeFault) => {
    await faults({ writeFault });
    const r = await raw('PUT', `${V2}/batch`, [item]);
    expect(r.status).toBe(200);
    expect(parse(r.text)).toBeUndefined();
    expect(r.cut).toBe(writeFault === 'truncated');
    expect(emu.mappings(Z).map((m) => m.origin_ip)).toContain('198.51.100.7');
    expect(parse((await raw('GET', V2)).text)).toMatchObject({ success: true });
  });

  it('a refused write is answered as usual (only successful answers are broken)', async () => {
    await faults({ writeFault: 'garbled' });
    const r = await raw('PUT', `${V2}/198.51.100.7`, { ...item, region: 'atlantis-1' });
    expect(r.status).toBe(400);
    expect(parse(r.text)).toMatchObject({ success: false, errors: [{ code: 1157 }] });
  });

  it('late: the write is applied at once, the answer waits until the client hangs up', async () => {
    await faults({ writeFault: 'late' });
    const ctl = new AbortController();
    const pending = fetch(`${emu.url}${V2}/198.51.100.7`, { method: 'PUT', body: JSON.stringify(item), headers: { Authorization: 'Bearer t' }, signal: ctl.signal });
    for (let i = 0; i < 50 && emu.mappings(Z).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(emu.mappings(Z).map((m) => m.origin_ip)).toContain('198.51.100.7');
    ctl.abort();
    await expect(pending).rejects.toThrow();
    for (let i = 0; i < 50 && !emu.stats().some((s) => s.status === 0); i++) await new Promise((r) => setTimeout(r, 10));
    expect(emu.stats()).toContainEqual(expect.objectContaining({ method: 'PUT', status: 0 }));
  });
});
