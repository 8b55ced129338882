import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { dump as stringify } from 'js-yaml';
import type { Vendor } from '../../src/model/index.ts';
import { loadConfig, type Config } from '../../src/config/load.ts';
import { startCloudflareEmulator, type CloudflareEmulator, type CloudflareEmulatorOptions } from '../../src/emulators/cloudflare/index.ts';
import { runOnce } from '../../src/pipeline/run-once.ts';
import { startRuntime, type Runtime, type RuntimeOptions } from '../../src/pipeline/runtime.ts';
import { redisUrl, uniquePrefix } from './redis.ts';

export const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
export const TOKEN = 'test-token-0123456789';

export interface InventoryOrigin {
  ip: string;
  vendor: Vendor | string;
  region: string;
  tags?: Record<string, string>;
}

/** n public origins: IPv4 from 34.0.0.0/8 (aws us-east-1), every third IPv6 (gcp us-central1). */
export function origins(n: number, start = 0): InventoryOrigin[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + start;
    return i % 3 === 2
      ? { ip: `2600:1900:4000::${(i + 1).toString(16)}`, vendor: 'gcp', region: 'us-central1' }
      : { ip: `34.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, vendor: 'aws', region: 'us-east-1' };
  });
}

export interface Harness {
  emu: CloudflareEmulator;
  config: Config;
  dir: string;
  prefix: string;
  configFile: string;
  /** The runtime under test; a test may replace it (the harness closes whichever is here). */
  rt: Runtime;
  setInventory(list: InventoryOrigin[] | null): Promise<void>;
  once(data?: Partial<Parameters<typeof runOnce>[1]>): ReturnType<typeof runOnce>;
  writes(): number;
  reads(): number;
  close(): Promise<void>;
}

export function writeCount(emu: CloudflareEmulator): number {
  return emu.stats().filter((s) => s.method !== 'GET').reduce((a, s) => a + s.count, 0);
}

export function readCount(emu: CloudflareEmulator): number {
  return emu.stats().filter((s) => s.method === 'GET').reduce((a, s) => a + s.count, 0);
}

/** A zone entry for the test config; policy sync unless told otherwise. */
export function zoneYaml(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: ZONE, policy: 'sync', deleteAfterMissedScans: 1, deleteGrace: 0, select: { connectors: ['inventory'] }, ...over };
}

export async function startHarness(
  opts: { zones?: Array<Record<string, unknown>>; emulator?: CloudflareEmulatorOptions; inventory?: InventoryOrigin[]; config?: Record<string, unknown>; runtime?: Partial<RuntimeOptions>; workers?: boolean; env?: NodeJS.ProcessEnv; connectors?: Array<Record<string, unknown>> } = {},
): Promise<Harness> {
  const emu = await startCloudflareEmulator({ rateLimit: false, ...opts.emulator });
  const dir = await mkdtemp(join(tmpdir(), 'ors-test-'));
  const prefix = uniquePrefix('ors');
  const configFile = join(dir, 'origin-region-sync.yaml');
  const doc = {
    redis: { url: redisUrl(), prefix },
    cloudflare: { apiBase: emu.url, token: '${CLOUDFLARE_API_TOKEN}', api: 'auto', ...(opts.config?.cloudflare as object) },
    zones: opts.zones ?? [zoneYaml()],
    connectors: opts.connectors ?? [{ name: 'inventory', type: 'file', path: './inventory.yaml' }],
    schedule: { reconcileEvery: '1m' },
    log: { level: 'silent' },
    ...Object.fromEntries(Object.entries(opts.config ?? {}).filter(([k]) => k !== 'cloudflare')),
  };
  await writeFile(configFile, stringify(doc));
  const setInventory = async (list: InventoryOrigin[] | null) => {
    const p = join(dir, 'inventory.yaml');
    if (list === null) await rm(p, { force: true });
    else await writeFile(p, stringify({ origins: list }));
  };
  await setInventory(opts.inventory ?? []);
  const config = await loadConfig({ path: configFile, env: { ...process.env, CLOUDFLARE_API_TOKEN: TOKEN, ...opts.env } });
  const rt = await startRuntime({ config, logger: pino({ level: 'silent' }), workers: opts.workers ?? true, schedule: false, ...opts.runtime });
  const harness: Harness = {
    emu,
    config,
    dir,
    prefix,
    configFile,
    rt,
    setInventory,
    once: (data = {}) => runOnce(harness.rt, { reason: 'cli', ...data }),
    writes: () => writeCount(emu),
    reads: () => readCount(emu),
    async close() {
      await harness.rt.close(5_000);
      await emu.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
