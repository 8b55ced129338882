import { createServer } from 'node:http';
import { close, listen } from '../../http/listen.ts';
import type { AdminTarget } from './admin.ts';
import type { ListFault, WriteFault } from './answer-faults.ts';
import { resolveBehavior, type EmulatorBehavior } from './behavior.ts';
import type { EmulatorState } from './context.ts';
import { DEFAULT_KNOBS, patchKnobs, type Knobs, type RateLimitPolicy } from './faults.ts';
import { RateLimiter } from './rate-limiter.ts';
import { Router } from './router.ts';
import { v1Routes } from './routes-v1.ts';
import { v2Routes } from './routes-v2.ts';
import { checkSeed } from './seed.ts';
import { handleRequest, API_PREFIX, type Runtime } from './server.ts';
import { Stats, type StatRow } from './stats.ts';
import { MappingStore } from './store.ts';
import { RegionIndex, defaultSupportedRegions, parseSupportedRegions, type SupportedRegions } from './supported-regions.ts';
import type { NewMapping } from './validate.ts';

export type { ListFault, WriteFault } from './answer-faults.ts';
export type { EmulatorBehavior } from './behavior.ts';
export type { Knobs, RateLimitPolicy } from './faults.ts';
export type { StatRow } from './stats.ts';
export type { SupportedRegions } from './supported-regions.ts';
export { defaultSupportedRegions, loadSupportedRegionsFile } from './supported-regions.ts';
export { loadSeedFile } from './seed.ts';

export interface SeedMapping {
  origin_ip: string;
  vendor: string;
  region: string;
}

export interface CloudflareEmulatorOptions {
  host?: string; // default 127.0.0.1
  port?: number; // default 0 (free port)
  tokens?: string[]; // accepted API tokens (and global API keys); empty/undefined = any well-formed credential
  latencyMs?: number;
  jitterMs?: number;
  rateLimit?: RateLimitPolicy | false; // default 1200/300; false = off
  faultRate?: number; // 0..1 share of requests answered 5xx (1140/1156)
  dropRate?: number; // 0..1 share of connections dropped without an answer
  /** Dropped before the request is processed (default), or after it was applied (the answer is lost). */
  dropMode?: 'before' | 'after';
  retireV1?: boolean;
  /** Every list answer broken this way (see answer-faults.ts); default off. */
  listFault?: ListFault;
  /** Every successful write answer broken this way, after the write was applied; default off. */
  writeFault?: WriteFault;
  seed?: Record<string, SeedMapping[]>;
  supportedRegions?: SupportedRegions; // the API's result object {obtained_codes, vendors}
  maxMappings?: number; // default 3500
  maxBatch?: number; // default 100
  logger?: (line: string) => void; // optional request log (never carries credentials)
  /** Answers to the questions Cloudflare's docs leave open; see behavior.ts and docs/cloudflare-emulator.md. */
  behavior?: Partial<EmulatorBehavior>;
  /** Source of randomness for jitter and fault injection (tests pass a seeded one). Default Math.random. */
  random?: () => number;
}

export type FaultPatch = Partial<
  Pick<CloudflareEmulatorOptions, 'latencyMs' | 'jitterMs' | 'faultRate' | 'dropRate' | 'dropMode' | 'retireV1' | 'rateLimit' | 'listFault' | 'writeFault'>
>;

export interface CloudflareEmulator {
  readonly url: string; // base URL including /client/v4, e.g. http://127.0.0.1:4567/client/v4
  readonly origin: string; // http://127.0.0.1:4567 (admin API lives at origin + /__emulator/...)
  close(): Promise<void>;
  /** Back to the state at start: the start-up seed, no stats, fresh rate-limit windows, the start-up knobs. */
  reset(): void;
  /** Replaces the zone's mappings (an empty array empties the zone). Throws on anything the API would refuse. */
  seed(zoneId: string, mappings: SeedMapping[]): void;
  mappings(zoneId: string): Array<{ origin_ip: string; vendor: string; region: string; modified_on: string }>;
  stats(): StatRow[];
  clearStats(): void;
  /** Partial update of the realism knobs; changing rateLimit starts fresh windows. Throws on invalid values. */
  setFaults(patch: FaultPatch): void;
  faults(): Knobs;
}

/** Starts a local Cloudflare API for origin cloud regions (v1 and v2 paths over one store per zone). */
export async function startCloudflareEmulator(opts: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be an integer 0–65535 (got ${port})`);
  const maxMappings = positiveInt('maxMappings', opts.maxMappings ?? 3500);
  const maxBatch = positiveInt('maxBatch', opts.maxBatch ?? 100);
  const tokens = new Set(opts.tokens ?? []);
  for (const t of tokens) if (typeof t !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(t)) throw new Error('tokens must be non-empty strings without spaces');
  const behavior = resolveBehavior(opts.behavior);
  const initialKnobs = patchKnobs(
    DEFAULT_KNOBS,
    Object.fromEntries(
      Object.entries({
        latencyMs: opts.latencyMs,
        jitterMs: opts.jitterMs,
        faultRate: opts.faultRate,
        dropRate: opts.dropRate,
        dropMode: opts.dropMode,
        retireV1: opts.retireV1,
        rateLimit: opts.rateLimit,
        listFault: opts.listFault,
        writeFault: opts.writeFault,
      }).filter(([, v]) => v !== undefined),
    ),
  );
  const catalogue = opts.supportedRegions ? parseSupportedRegions(opts.supportedRegions, 'supportedRegions option') : defaultSupportedRegions();
  const regions = new RegionIndex(catalogue, behavior.caseInsensitive);
  const initialSeed: Array<[string, NewMapping[]]> = Object.entries(opts.seed ?? {}).map(([zone, entries]) => [
    zone,
    checkSeed(zone, entries, regions, maxMappings),
  ]);

  const store = new MappingStore(maxMappings, behavior.listOrder);
  const state: EmulatorState = { store, regions, catalogue, behavior, maxBatch, timestamp };
  const stats = new Stats();
  let knobs = initialKnobs;
  let limiter = makeLimiter(knobs.rateLimit);
  const loadInitialSeed = (): void => {
    const now = timestamp();
    for (const [zone, entries] of initialSeed) store.replace(zone, entries, now);
  };
  loadInitialSeed();

  const api = {
    reset(): void {
      store.clear();
      loadInitialSeed();
      stats.clear();
      knobs = initialKnobs;
      limiter = makeLimiter(knobs.rateLimit);
    },
    seed(zoneId: string, mappings: unknown): void {
      store.replace(zoneId, checkSeed(zoneId, mappings, regions, maxMappings), timestamp());
    },
    mappings(zoneId: string) {
      return store.list(zoneId).map((m) => ({ origin_ip: m.origin_ip, vendor: m.vendor as string, region: m.region, modified_on: m.modified_on }));
    },
    stats: () => stats.rows(),
    clearStats: () => stats.clear(),
    setFaults(patch: unknown): void {
      knobs = patchKnobs(knobs, patch);
      if (typeof patch === 'object' && patch !== null && 'rateLimit' in patch) limiter = makeLimiter(knobs.rateLimit);
    },
    faults: (): Knobs => ({ ...knobs }),
  } satisfies AdminTarget;

  const rt: Runtime = {
    state,
    router: new Router([...v1Routes, ...v2Routes]),
    stats,
    tokens,
    knobs: () => knobs,
    limiter: () => limiter,
    random: opts.random ?? Math.random,
    logger: opts.logger,
    admin: api,
  };
  const server = createServer((req, res) => {
    handleRequest(rt, req, res).catch((e: unknown) => {
      opts.logger?.(`unhandled error: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const bound = await listen(server, host, port);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  return { url: `${origin}${API_PREFIX}`, origin, close: () => close(server), ...api };
}

function makeLimiter(policy: RateLimitPolicy | false): RateLimiter | undefined {
  return policy ? new RateLimiter(policy) : undefined;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be an integer ≥ 1 (got ${v})`);
  return v;
}

/** RFC 3339 UTC in whole seconds, as Cloudflare's examples show. */
function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
