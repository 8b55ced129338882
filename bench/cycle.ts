import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { dump as stringify } from 'js-yaml';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { runOnce } from '../src/pipeline/run-once.ts';
import { startRuntime, type Runtime } from '../src/pipeline/runtime.ts';

/**
 * What a converged estate costs when nothing changed, and how fast one change gets through: the daemon's
 * runtime in this process (its CPU is what is measured), the Cloudflare emulator in a child process with
 * its latency (its CPU is not ours), one `file` connector per zone (a YAML inventory, as users write them).
 * Redis commands are counted from INFO commandstats, so those BullMQ runs inside its scripts count too.
 */
export interface CycleBenchOptions {
  redisUrl: string;
  latencyMs: number;
  perZone: number;
  zones: number;
  /** No-change cycles measured (the median is reported). */
  cycles: number;
  /** Changes measured one by one on a converged zone. */
  changes: number;
}

export interface CycleCost {
  zones: number;
  /** Connectors (one inventory each): one per zone, or one that every zone selects. */
  connectors: number;
  perZone: number;
  cpuMs: number;
  wallMs: number;
  redisCommands: number;
  cpuMsPerZone: number;
  redisCommandsPerZone: number;
  cloudflareRequests: number;
}

export interface ChangeLatency {
  api: 'v1' | 'v2';
  changes: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface CycleBench {
  noChange: CycleCost[];
  change: ChangeLatency[];
}

const TOKEN = 'bench-token-0123456789';
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 50);

const zoneId = (z: number) => `${z.toString(16).padStart(8, '0')}${'c'.repeat(24)}`;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-south-1'];

function inventory(z: number, n: number, variant = 0): string {
  const lines = ['origins:'];
  for (let i = 0; i < n; i++) {
    const region = i === 0 ? REGIONS[variant % REGIONS.length]! : REGIONS[i % REGIONS.length]!;
    lines.push(`  - ip: ${z + 11}.${(i >> 8) & 255}.${i & 255}.7`, `    vendor: aws`, `    region: ${region}`, `    tags: { tier: t${i % 3} }`);
  }
  return lines.join('\n') + '\n';
}

async function startEmulator(latencyMs: number): Promise<{ url: string; child: ChildProcess; requests(): Promise<number> }> {
  const child = spawn(process.execPath, [CLI, 'emulate', 'cloudflare', '--port', '0', '--latency-ms', String(latencyMs), '--rate-limit', 'off', '--token', TOKEN], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (l) => resolve(l.trim()));
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}`)));
  });
  const admin = url.replace(/\/client\/v4$/, '');
  return {
    url,
    child,
    async requests() {
      const s = (await (await fetch(`${admin}/__emulator/stats`)).json()) as { total?: number; requests?: Array<{ count: number }> };
      return s.total ?? (s.requests ?? []).reduce((n, r) => n + r.count, 0);
    },
  };
}

async function commandsRun(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let n = 0;
  const by: Record<string, number> = {};
  for (const m of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
    n += Number(m[2]);
    by[m[1]!] = Number(m[2]);
  }
  if (process.env.BENCH_TRACE) {
    const prev = lastBy;
    lastBy = by;
    console.log(Object.entries(by).map(([k, v]) => [k, v - (prev[k] ?? 0)] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' '));
  }
  return n;
}
let lastBy: Record<string, number> = {};

async function startDaemon(dir: string, redisUrl: string, apiBase: string, zones: number, api: 'v1' | 'v2' = 'v2', connectors = zones): Promise<Runtime> {
  const file = join(dir, 'origin-region-sync.yaml');
  await writeFile(
    file,
    stringify({
      redis: { url: redisUrl, prefix: `bench-cycle-${Date.now().toString(36)}` },
      cloudflare: { apiBase, token: '${BENCH_TOKEN}', api },
      zones: Array.from({ length: zones }, (_, z) => ({ id: zoneId(z), policy: 'sync', guard: { maxChangeFraction: 1 }, select: { connectors: [`inv${z % connectors}`] } })),
      connectors: Array.from({ length: connectors }, (_, z) => ({ name: `inv${z}`, type: 'file', path: `./inventory-${z}.yaml` })),
      schedule: { reconcileEvery: '1h' },
      log: { level: 'silent' },
    }),
  );
  const config = await loadConfig({ path: file, env: { ...process.env, BENCH_TOKEN: TOKEN } });
  return startRuntime({ config, logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }), workers: true, schedule: false });
}

async function noChange(opts: CycleBenchOptions, zones: number, connectors = zones): Promise<CycleCost> {
  const dir = await mkdtemp(join(tmpdir(), 'ors-bench-cycle-'));
  const emu = await startEmulator(opts.latencyMs);
  const redis = new Redis(opts.redisUrl);
  try {
    for (let z = 0; z < connectors; z++) await writeFile(join(dir, `inventory-${z}.yaml`), inventory(z, opts.perZone));
    const rt = await startDaemon(dir, opts.redisUrl, emu.url, zones, 'v2', connectors);
    try {
      const first = await runOnce(rt, { reason: 'cli' });
      const applied = first.zones.reduce((n, z) => n + z.result.upserts, 0);
      if (applied !== zones * opts.perZone) throw new Error(`the first cycle applied ${applied} of ${zones * opts.perZone}`);
      await runOnce(rt, { reason: 'cli' }); // warm: the second cycle is the first with nothing to do
      const runs: Array<Omit<CycleCost, 'zones' | 'connectors' | 'perZone' | 'cpuMsPerZone' | 'redisCommandsPerZone'>> = [];
      for (let i = 0; i < opts.cycles; i++) {
        global.gc?.();
        const c0 = await commandsRun(redis);
        const r0 = await emu.requests();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const once = await runOnce(rt, { reason: 'cli' });
        const wallMs = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        const writes = once.zones.reduce((n, z) => n + z.result.upserts + z.result.deletes, 0);
        if (writes !== 0) throw new Error(`a no-change cycle wrote ${writes}`);
        runs.push({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs, redisCommands: (await commandsRun(redis)) - c0 - 1, cloudflareRequests: (await emu.requests()) - r0 });
      }
      const m = (k: keyof (typeof runs)[number]) => Math.round(median(runs.map((r) => r[k])) * 10) / 10;
      return {
        zones,
        connectors,
        perZone: opts.perZone,
        cpuMs: m('cpuMs'),
        wallMs: m('wallMs'),
        redisCommands: m('redisCommands'),
        cpuMsPerZone: Math.round((m('cpuMs') / zones) * 10) / 10,
        redisCommandsPerZone: Math.round((m('redisCommands') / zones) * 10) / 10,
        cloudflareRequests: m('cloudflareRequests'),
      };
    } finally {
      await rt.close();
    }
  } finally {
    redis.disconnect();
    emu.child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

async function changeToApplied(opts: CycleBenchOptions, api: 'v1' | 'v2'): Promise<ChangeLatency> {
  const dir = await mkdtemp(join(tmpdir(), 'ors-bench-change-'));
  const emu = await startEmulator(opts.latencyMs);
  try {
    await writeFile(join(dir, 'inventory-0.yaml'), inventory(0, opts.perZone));
    const rt = await startDaemon(dir, opts.redisUrl, emu.url, 1, api);
    try {
      await runOnce(rt, { reason: 'cli' });
      const times: number[] = [];
      for (let i = 1; i <= opts.changes; i++) {
        await writeFile(join(dir, 'inventory-0.yaml'), inventory(0, opts.perZone, i));
        const t0 = performance.now();
        const t0abs = Date.now();
        const once = await runOnce(rt, { reason: 'resync', zones: [zoneId(0)] });
        times.push(performance.now() - t0);
        // BENCH_TRACE=1: where each change spent its time (ms after the request: added/started/finished per job).
        if (process.env.BENCH_TRACE) {
          const at = (j: { timestamp: number; processedOn?: number; finishedOn?: number } | undefined) => (j ? `${Math.round(j.timestamp - t0abs)}/${Math.round((j.processedOn ?? 0) - t0abs)}/${Math.round((j.finishedOn ?? 0) - t0abs)}` : '-');
          const q = rt.ctx.queues;
          const rec = await q.reconcile.getJob(once.cycle.reconciles[0]!.jobId);
          const cyc = (await q.cycle.getJobs(['completed'], 0, 0))[0];
          const disc = (await q.discover.getJobs(['completed'], 0, 0))[0];
          const app = (await q.apply.getJobs(['completed'], 0, 0))[0];
          console.log(`total ${Math.round(performance.now() - t0)} cycle ${at(cyc)} discover ${at(disc)} reconcile ${at(rec)} apply ${at(app)}`);
        }
        if (once.zones[0]?.result.upserts !== 1) throw new Error(`change ${i}: ${JSON.stringify(once.zones[0]?.result)}`);
      }
      const sorted = times.sort((a, b) => a - b);
      return { api, changes: times.length, p50Ms: Math.round(pct(sorted, 50)), p90Ms: Math.round(pct(sorted, 90)), p99Ms: Math.round(pct(sorted, 99)), maxMs: Math.round(sorted.at(-1)!) };
    } finally {
      await rt.close();
    }
  } finally {
    emu.child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}


export async function benchCycle(opts: CycleBenchOptions): Promise<CycleBench> {
  // One inventory per zone costs a discover job per zone; zones that share their scopes share the job too.
  const noChangeCosts = [await noChange(opts, 1), ...(opts.zones > 1 ? [await noChange(opts, opts.zones), await noChange(opts, opts.zones, 1)] : [])];
  return { noChange: noChangeCosts, change: opts.changes > 0 ? [await changeToApplied(opts, 'v1'), await changeToApplied(opts, 'v2')] : [] };
}
