/**
 * A v2 list walk stopped by a 429 mid-list, against the emulator over real HTTP: the error carries the
 * pages read, and a resumed walk reads on from the failed page, or from page 1 if the list changed length.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloudflareApiError, createCloudflareClient, type ListProgress } from '../../src/cloudflare/index.ts';
import { startCloudflareEmulator, type CloudflareEmulator } from '../../src/emulators/cloudflare/index.ts';

const TOKEN = 'cftok_list_resume_0123456789';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
let emu: CloudflareEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const seed = (n: number) => Array.from({ length: n }, (_, i) => ({ origin_ip: `34.1.${i >> 8}.${i & 255}`, vendor: 'aws', region: 'us-east-1' }));

/** List pages the emulator answered with a 200. */
const pages = () => emu!.stats().filter((s) => s.method === 'GET' && s.status === 200).reduce((a, s) => a + s.count, 0);

async function stopped(): Promise<{ client: ReturnType<typeof createCloudflareClient>; progress: ListProgress }> {
  emu = await startCloudflareEmulator({ tokens: [TOKEN], rateLimit: { requests: 3, windowSeconds: 60 }, seed: { [ZONE]: seed(750) } });
  const client = createCloudflareClient({ apiBase: emu.url, auth: { token: TOKEN }, api: 'v2' });
  const err = await client.listAll(ZONE).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CloudflareApiError);
  const e = err as CloudflareApiError;
  expect(e.outcome).toBe('rate_limited');
  expect(e.listProgress).toMatchObject({ family: 'v2', nextPage: 4, totalCount: 750 });
  expect(e.listProgress!.entries).toHaveLength(300);
  emu.setFaults({ rateLimit: false });
  expect(pages()).toBe(3);
  return { client, progress: e.listProgress! };
}

describe('v2 list: resume after a 429 mid-list', () => {
  it('reads on from the page that failed, and returns the whole list', async () => {
    const { client, progress } = await stopped();
    const { mappings } = await client.listAll(ZONE, undefined, { resume: progress });
    expect(mappings).toHaveLength(750);
    expect(new Set(mappings.map((m) => m.ip)).size).toBe(750);
    // Pages 4–8 only: a walk from page 1 would make it 11.
    expect(pages()).toBe(8);
  });

  it('starts over at page 1 when the list changed length meanwhile', async () => {
    const { client, progress } = await stopped();
    emu!.seed(ZONE, seed(760));
    const { mappings } = await client.listAll(ZONE, undefined, { resume: progress });
    expect(mappings).toHaveLength(760);
    // Page 4 showed another total_count, and the walk went back to page 1: 3 + 1 + 8 pages.
    expect(pages()).toBe(12);
  });
});
