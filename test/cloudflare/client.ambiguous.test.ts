/**
 * Unknown is not empty (issue 9 §3), client side, against the emulator over real HTTP: a list answer that
 * is not clearly a list is an error, never an empty zone; a write whose answer is lost or unreadable is
 * `unknown` (it may have landed), never a plain failure.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCloudflareClient, type ApiFamily, type CloudflareClientOptions, type RequestInfo } from '../../src/cloudflare/index.ts';
import { startCloudflareEmulator, type CloudflareEmulator, type CloudflareEmulatorOptions, type ListFault, type WriteFault } from '../../src/emulators/cloudflare/index.ts';
import { caught } from '../helpers/cloudflare-errors.ts';

const TOKEN = 'cftok_SECRET_ambiguous_answers_0042';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const SEED = [
  { origin_ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1' },
  { origin_ip: '192.0.2.2', vendor: 'aws', region: 'us-east-1' },
];
const NEW = { ip: '198.51.100.7', vendor: 'aws' as const, region: 'eu-west-1' };
const emulators: CloudflareEmulator[] = [];

afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()));
});

async function start(opts: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  const emu = await startCloudflareEmulator({ rateLimit: false, tokens: [TOKEN], seed: { [ZONE]: SEED }, ...opts });
  emulators.push(emu);
  return emu;
}

function clientFor(emu: CloudflareEmulator, api: ApiFamily, more: Partial<CloudflareClientOptions> = {}) {
  const requests: RequestInfo[] = [];
  const c = createCloudflareClient({ apiBase: emu.url, auth: { token: TOKEN }, api, onRequest: (r) => requests.push(r), onWarning: () => {}, ...more });
  return { c, requests };
}


const holds = (emu: CloudflareEmulator, ip: string) => emu.mappings(ZONE).some((m) => m.origin_ip === ip);

describe('a list answer that is not clearly a list is an error, never an empty zone', () => {
  const cases: Array<[ApiFamily, ListFault, string, RegExp]> = [
    ['v1', 'null-result', 'unexpected', /value is null/],
    ['v2', 'null-result', 'unexpected', /not an array/],
    ['v1', 'not-found', 'not_found', /1142/],
    ['v2', 'not-found', 'not_found', /1142/],
    ['v1', 'no-result', 'unexpected', /success without a result/],
    ['v2', 'no-result', 'unexpected', /success without a result/],
    ['v2', 'no-result-info', 'unexpected', /no result_info/],
    ['v2', 'bad-result-info', 'unexpected', /result_info\.count is not a count/],
    ['v1', 'garbled', 'unexpected', /non-JSON body/],
    ['v2', 'garbled', 'unexpected', /non-JSON body/],
    ['v1', 'truncated', 'transient', /answer cut off/],
    ['v2', 'truncated', 'transient', /answer cut off/],
  ];

  it.each(cases)('%s %s → %s', async (family, listFault, outcome, detail) => {
    const emu = await start({ listFault });
    const { c, requests } = clientFor(emu, family);
    const e = await caught(c.listAll(ZONE));
    expect(e.outcome).toBe(outcome);
    expect(e.message).toMatch(detail);
    expect(e.message).not.toContain(TOKEN);
    expect(requests.at(-1)).toMatchObject({ method: 'GET', outcome });
    // The same zone read with good answers: it was never empty.
    emu.setFaults({ listFault: 'off' });
    expect((await c.listMappings(ZONE)).map((m) => m.ip)).toEqual(['192.0.2.1', '192.0.2.2']);
  });

  it('a v2 page that is not the page asked for, or miscounts its entries, is an error', async () => {
    const { pageInfoProblem } = await import('../../src/cloudflare/v2.ts');
    const info = { count: 2, page: 1, per_page: 100, total_count: 2, total_pages: 1 };
    expect(pageInfoProblem(info, 1, 2)).toBeNull();
    expect(pageInfoProblem({ ...info, page: 2 }, 1, 2)).toMatch(/came back as page 2/);
    expect(pageInfoProblem({ ...info, count: 0 }, 1, 2)).toMatch(/count says 0/);
    expect(pageInfoProblem({ ...info, total_count: '2' }, 1, 2)).toMatch(/total_count/);
    expect(pageInfoProblem(null, 1, 0)).toMatch(/no result_info/);
  });
});

describe('a write whose answer is lost or unreadable is unknown: it may have landed', () => {
  const cases: Array<[ApiFamily, WriteFault]> = [
    ['v1', 'garbled'],
    ['v2', 'garbled'],
    ['v1', 'truncated'],
    ['v2', 'truncated'],
  ];

  it.each(cases)('%s: a 2xx %s answer to an applied batch upsert → unknown (status 200), and the write is there', async (family, writeFault) => {
    const emu = await start({ writeFault });
    const { c, requests } = clientFor(emu, family);
    const e = await caught(c.upsertBatch(ZONE, [NEW]));
    expect(e).toMatchObject({ outcome: 'unknown', status: 200, retryable: true });
    expect(e.message).toMatch(/may have been applied/);
    expect(requests.at(-1)).toMatchObject({ outcome: 'unknown', status: 200 });
    expect(holds(emu, NEW.ip)).toBe(true);
  });

  it.each(['v1', 'v2'] as const)('%s: single upsert and batch delete with a garbled answer → unknown', async (family) => {
    const emu = await start({ writeFault: 'garbled' });
    const { c } = clientFor(emu, family);
    expect((await caught(c.upsert(ZONE, NEW))).outcome).toBe('unknown');
    expect(holds(emu, NEW.ip)).toBe(true);
    expect((await caught(c.deleteBatch(ZONE, ['192.0.2.1']))).outcome).toBe('unknown');
    expect(holds(emu, '192.0.2.1')).toBe(false);
  });

  it('a write applied but answered only after the client timed out (writeFault late) → unknown, no status', async () => {
    const emu = await start({ writeFault: 'late' });
    const { c } = clientFor(emu, 'v2', { timeoutMs: 150 });
    const e = await caught(c.upsertBatch(ZONE, [NEW]));
    expect(e).toMatchObject({ outcome: 'unknown', status: null, retryable: true });
    expect(e.message).toMatch(/timed out after 150 ms; the write may have been applied/);
    expect(holds(emu, NEW.ip)).toBe(true);
  });

  it('the emulator reads the body before its latency: a write the client gave up on still lands', async () => {
    const emu = await start({ latencyMs: 400 });
    const { c } = clientFor(emu, 'v2', { timeoutMs: 100 });
    const e = await caught(c.upsert(ZONE, NEW));
    expect(e).toMatchObject({ outcome: 'unknown', status: null });
    expect(holds(emu, NEW.ip)).toBe(false); // still in the emulator's latency
    await new Promise((r) => setTimeout(r, 600));
    expect(holds(emu, NEW.ip)).toBe(true);
  });

  it('a read that times out stays transient; a write refused at connect (nothing sent) stays transient', async () => {
    const emu = await start({ latencyMs: 400 });
    const { c } = clientFor(emu, 'v2', { timeoutMs: 100 });
    expect((await caught(c.listMappings(ZONE))).outcome).toBe('transient');
    // A port nobody listens on: the connection is refused before a byte of the request leaves.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const dead = createCloudflareClient({ apiBase: `http://127.0.0.1:${port}/client/v4`, auth: { token: TOKEN }, api: 'v2' });
    const e = await caught(dead.upsert(ZONE, NEW));
    expect(e).toMatchObject({ outcome: 'transient', status: null });
    expect(e.message).toMatch(/ECONNREFUSED/);
  });

  it('a write refused with a readable 4xx is still a plain failure (nothing applied)', async () => {
    const emu = await start({ writeFault: 'garbled' });
    const { c } = clientFor(emu, 'v2');
    const e = await caught(c.upsert(ZONE, { ip: NEW.ip, vendor: 'aws', region: 'mars-north-1' }));
    expect(e).toMatchObject({ outcome: 'invalid', status: 400, retryable: false });
    expect(holds(emu, NEW.ip)).toBe(false);
  });
});
