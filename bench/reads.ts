import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { dump as stringify } from 'js-yaml';
import { loadConfig } from '../src/config/load.ts';
import { startCloudflareEmulator, type CloudflareEmulator } from '../src/emulators/cloudflare/index.ts';
import { runOnce } from '../src/pipeline/run-once.ts';
import { startRuntime } from '../src/pipeline/runtime.ts';
import { driftCheckInterval, firstCheckAt } from '../src/pipeline/zone-list.ts';
import { ListCache } from '../src/state/list-cache.ts';
import { StateKeys } from '../src/state/keys.ts';
import type { PrivateRedis } from '../src/state/private-redis.ts';
import type { RedisClient } from '../src/state/redis-connection.ts';

/** Cloudflare's budget for the token: 1,200 requests per 5 minutes, the length of one daemon cycle here. */
const BUDGET = 1200;
const TOKEN = 'bench-token';

export interface ReadsBenchOptions {
  zones: number;
  mappings: number;
  /** Simulated cycle length, in minutes (5). */
  cycleMinutes: number;
  /**
   * Drift-check settings to measure: driftCheckEvery in minutes (30: the default) and driftCheckShare (0.1:
   * the default; 1: not capped), each over `periods` of the interval in force after the first cycle.
   */
  drift: Array<{ minutes: number; share: number }>;
  periods: number;
  redis: PrivateRedis;
}

export interface ReadsRun {
  label: string;
  /** driftCheckEvery simulated (null: cache off, every cycle reads in full). */
  driftCheckMinutes: number | null;
  driftCheckShare: number | null;
  /** The interval in force, in simulated minutes: driftCheckEvery, or longer where driftCheckShare stretched it. */
  effectiveDriftCheckMinutes: number | null;
  /** Cloudflare requests (reads; writes stay 0 in a no-change cycle) of each cycle, the first included. */
  requestsPerCycle: number[];
  writes: number;
  /** Over the steady cycles (all but the first). */
  requestsPerZonePerCycle: number;
  /** Share of the 1,200 / 5 min budget, average and worst cycle, steady cycles only. */
  budgetSharePct: number;
  worstCycleSharePct: number;
  /** The slot each cycle had in real time, and the drift check scaled to it. */
  slotMs: number;
  cpuMsPerCycle: number;
}

function zoneId(i: number): string {
  return (0xa0000000 + i).toString(16).padStart(32, '0');
}

function mappingsOf(n: number): Array<{ origin_ip: string; vendor: string; region: string }> {
  return Array.from({ length: n }, (_, i) => ({ origin_ip: `3.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, vendor: 'aws', region: 'us-east-1' }));
}

/**
 * Steady state of many full zones on v2 with nothing changing: what reading Cloudflare costs per cycle.
 * Each zone holds `mappings` mappings that equal the inventory (adopted at the first cycle, so no cycle
 * writes). Cycles run back to back in fixed real-time slots, and the drift check is scaled to the slots
 * (30 min / 5 min cycles = a full read every 6th slot), so "per cycle" means per 5-minute cycle.
 */
export async function benchReads(opts: ReadsBenchOptions): Promise<ReadsRun[]> {
  const emu = await startCloudflareEmulator({ rateLimit: false, tokens: [TOKEN] });
  const dir = await mkdtemp(join(tmpdir(), 'ors-bench-reads-'));
  const seedAll = () => {
    const list = mappingsOf(opts.mappings);
    for (let z = 0; z < opts.zones; z++) emu.seed(zoneId(z), list);
  };
  await writeFile(join(dir, 'inventory.yaml'), stringify({ origins: mappingsOf(opts.mappings).map((m) => ({ ip: m.origin_ip, vendor: m.vendor, region: m.region })) }));
  try {
    const runs: ReadsRun[] = [];
    seedAll();
    runs.push(await run(emu, dir, opts, null, 2));
    for (const d of opts.drift) {
      seedAll();
      // Long enough for every zone's check to come round: the interval in force, stretched or not.
      const pages = opts.zones * Math.max(1, Math.ceil(opts.mappings / 100));
      const minutes = Math.max(d.minutes, (pages * opts.cycleMinutes) / (d.share * BUDGET));
      runs.push(await run(emu, dir, opts, d, Math.round((minutes / opts.cycleMinutes) * opts.periods)));
    }
    return runs;
  } finally {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function run(emu: CloudflareEmulator, dir: string, opts: ReadsBenchOptions, drift: { minutes: number; share: number } | null, steady: number): Promise<ReadsRun> {
  const driftCheckMinutes = drift?.minutes ?? null;
  const file = join(dir, 'origin-region-sync.yaml');
  const doc = (driftCheckMs: number) => ({
    redis: { url: opts.redis.url, prefix: `benchreads${Date.now().toString(36)}` },
    // The budget is not what is measured here: a limiter that made the first cycle wait would only slow the bench.
    cloudflare: { apiBase: emu.url, token: '${BENCH_TOKEN}', api: 'v2', rateLimit: { requests: 1_000_000, perSeconds: 300 }, driftCheckEvery: `${driftCheckMs}ms`, driftCheckShare: drift?.share ?? 1 },
    zones: Array.from({ length: opts.zones }, (_, z) => ({ id: zoneId(z), policy: 'sync', adopt: true, guard: { maxChangeFraction: 1 } })),
    connectors: [{ name: 'inventory', type: 'file', path: './inventory.yaml' }],
    worker: { reconcileConcurrency: 8 },
    log: { level: 'silent' },
  });
  // The first cycle reads every zone whatever the setting; its length sets the slot of every later cycle.
  await writeFile(file, stringify(doc(driftCheckMinutes === null ? 0 : 3_600_000)));
  let config = await loadConfig({ path: file, env: { ...process.env, BENCH_TOKEN: TOKEN } });
  const rt = await startRuntime({ config, logger: pino({ level: 'silent' }), workers: true, schedule: false });
  const requestsPerCycle: number[] = [];
  let writes = 0;
  let slotMs = 0;
  let cpu = 0;
  let effective: number | null = null;
  try {
    const cycle = async () => {
      emu.clearStats();
      const c0 = process.cpuUsage();
      const r = await runOnce(rt, { reason: 'schedule' });
      const c = process.cpuUsage(c0);
      cpu += (c.user + c.system) / 1000;
      const bad = r.zones.filter((z) => z.result.status !== 'noop');
      if (bad.length > 0) throw new Error(`bench reads: ${bad.length} zone(s) not noop, e.g. ${bad[0]!.result.status} ${bad[0]!.result.statusReason ?? ''}`);
      let n = 0;
      for (const s of emu.stats()) {
        n += s.count;
        if (s.method !== 'GET') writes += s.count;
      }
      requestsPerCycle.push(n);
    };
    const t0 = performance.now();
    await cycle();
    const first = performance.now() - t0;
    slotMs = Math.max(2_000, Math.ceil(first * 1.2));
    if (driftCheckMinutes !== null) {
      // Scaled to the slots, half a slot short: a zone read a little later in its cycle is still due on time.
      const every = Math.round((driftCheckMinutes / opts.cycleMinutes) * slotMs - slotMs / 2);
      rt.ctx.config.cloudflare.driftCheckEveryMs = every;
      // The budget driftCheckShare is a share of, scaled the same way: 1,200 requests per slot. Only the
      // share's arithmetic reads it; the limiter keeps the bench's unlimited one (see above).
      rt.ctx.config.cloudflare.rateLimit = { requests: BUDGET, perSeconds: slotMs / 1000 };
      config = rt.ctx.config;
      const { everyMs: interval, stretched } = await driftCheckInterval(rt.ctx);
      // Back in the minutes simulated (driftCheckEvery was scaled half a slot short, a stretched interval was not).
      effective = stretched ? Math.round((interval / slotMs) * opts.cycleMinutes * 10) / 10 : driftCheckMinutes;
      // The first cycle's cached lists got their first check against an hour; start their clocks anew at the interval in force.
      await rescaleFirstChecks(rt.ctx.config.redis.prefix, opts.zones, interval, rt.redis);
    }
    const start = performance.now();
    for (let k = 1; k <= steady; k++) {
      const slotStart = start + (k - 1) * slotMs;
      const wait = slotStart - performance.now();
      if (wait > 0) await sleep(wait);
      await cycle();
    }
  } finally {
    await rt.close(5_000);
  }
  const steadyCounts = requestsPerCycle.slice(1);
  const avg = steadyCounts.reduce((a, b) => a + b, 0) / Math.max(1, steadyCounts.length);
  return {
    label:
      drift === null
        ? 'before: cache off (every cycle reads every page)'
        : `list cache, driftCheckEvery ${drift.minutes} min, ${drift.share >= 1 ? 'no share cap (driftCheckShare 1)' : `driftCheckShare ${Math.round(drift.share * 100)}%`}: a drift check every ${effective} min`,
    driftCheckMinutes,
    driftCheckShare: drift?.share ?? null,
    effectiveDriftCheckMinutes: effective,
    requestsPerCycle,
    writes,
    requestsPerZonePerCycle: round(avg / opts.zones),
    budgetSharePct: round((avg / BUDGET) * 100),
    worstCycleSharePct: round((Math.max(0, ...steadyCounts) / BUDGET) * 100),
    slotMs,
    cpuMsPerCycle: Math.round(cpu / requestsPerCycle.length),
  };
}

/**
 * The lists cached at the first cycle were given their first check against the unscaled period; give
 * them the staggered first check the daemon gives, against the scaled one (what they would have had if
 * the slot length had been known before the first cycle).
 */
async function rescaleFirstChecks(prefix: string, zones: number, every: number, redis: RedisClient): Promise<void> {
  const cache = new ListCache(redis, new StateKeys(prefix));
  for (let z = 0; z < zones; z++) {
    const id = zoneId(z);
    const c = await cache.get(id);
    if (c) await cache.putRead(id, c.epoch, c.readAt, firstCheckAt(id, c.readAt, every), c);
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

export function printReads(runs: ReadsRun[], opts: Pick<ReadsBenchOptions, 'zones' | 'mappings' | 'cycleMinutes'>): void {
  console.log(`\nCloudflare reads in steady state: ${opts.zones} zones × ${opts.mappings} mappings on v2, nothing changing, one cycle = ${opts.cycleMinutes} min (budget ${BUDGET} requests / 5 min)`);
  for (const r of runs) {
    console.log(`  ${r.label}`);
    console.log(`    requests per cycle: ${r.requestsPerCycle.join(' ')} (first cycle included; writes ${r.writes})`);
    console.log(`    steady state: ${r.requestsPerZonePerCycle} requests per zone per cycle = ${r.budgetSharePct}% of the budget on average, ${r.worstCycleSharePct}% in the worst cycle; cpu ${r.cpuMsPerCycle} ms a cycle`);
  }
}
