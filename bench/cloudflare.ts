import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { dump as stringify } from 'js-yaml';
import { loadConfig } from '../src/config/load.ts';
import { runOnce } from '../src/pipeline/run-once.ts';
import { startRuntime, type Runtime } from '../src/pipeline/runtime.ts';
import type { PrivateRedis } from '../src/state/private-redis.ts';
import { measure, projectToRealWindow } from './measure.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const OURS = '0000000000000000000000000000000a';
const NAIVE = '0000000000000000000000000000000b';
const TOKEN = 'bench-token';

export interface RunFigures {
  writes: number;
  reads: number;
  requests: number;
  wallMs: number;
  projectedMs: number;
  cpuMs: number;
  peakRssMb: number;
  peakHeapMb: number;
}

export interface ScenarioResult {
  name: string;
  changes: number;
  ours: RunFigures;
  baseline: RunFigures;
  /** ours / baseline: below 1 is better. */
  ratio: { requests: number; wallMs: number; projectedMs: number; cpuMs: number };
}

export interface CloudflareBenchOptions {
  origins: number;
  changes: number;
  latencyMs: number;
  quota: number;
  windowSeconds: number;
  redis: PrivateRedis;
}

interface Origin {
  ip: string;
  vendor: string;
  region: string;
}

function originSet(n: number, changed = 0): Origin[] {
  return Array.from({ length: n }, (_, i) => ({
    ip: i % 4 === 3 ? `2600:1f18:4000::${(i + 1).toString(16)}` : `3.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    vendor: 'aws',
    region: i < changed ? 'us-west-2' : 'us-east-1',
  }));
}

/** The emulator runs in its own process, so its CPU and memory are not counted as the daemon's. */
async function startEmulatorProcess(latencyMs: number, quota: number, windowSeconds: number): Promise<{ url: string; origin: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'emulate', 'cloudflare', '--port', '0', '--latency-ms', String(latencyMs), '--rate-limit', `${quota}/${windowSeconds}s`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { url, origin: new URL(url).origin, child };
}

async function admin(origin: string, path: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(`${origin}/__emulator${path}`, init);
  if (!res.ok) throw new Error(`emulator admin ${path}: HTTP ${res.status}`);
  return res.status === 204 ? null : res.json();
}

async function counts(origin: string): Promise<{ writes: number; reads: number }> {
  const stats = (await admin(origin, '/stats')) as { requests: Array<{ method: string; count: number; route: string }> };
  let writes = 0;
  let reads = 0;
  for (const r of stats.requests) {
    if (r.method === 'GET') reads += r.count;
    else writes += r.count;
  }
  return { writes, reads };
}

async function seed(origin: string, zone: string, list: Origin[]): Promise<void> {
  await admin(origin, `/zones/${zone}/mappings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(list.map((o) => ({ origin_ip: o.ip, vendor: o.vendor, region: o.region }))),
  });
}

/**
 * The naive baseline a per-resource tool gives: read the zone once, then one v1 PATCH per changed IP,
 * four at a time, under the same client-side budget, waiting out any 429.
 */
async function naiveSync(base: string, zone: string, desired: Origin[], quota: number, windowSeconds: number): Promise<void> {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const list = (await (await fetch(`${base}/zones/${zone}/cache/origin_cloud_regions`, { headers })).json()) as { result: { value: Array<Record<string, string>> } };
  const have = new Map(list.result.value.map((m) => [m['origin-ip'], `${m.vendor}/${m.region}`]));
  const todo = desired.filter((o) => have.get(o.ip) !== `${o.vendor}/${o.region}`);
  let windowStart = Date.now();
  let used = 1;
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const o = todo[next++]!;
      for (;;) {
        if (used >= quota) {
          const wait = windowStart + windowSeconds * 1000 - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          if (Date.now() >= windowStart + windowSeconds * 1000) {
            windowStart = Date.now();
            used = 0;
          }
          continue;
        }
        used++;
        const res = await fetch(`${base}/zones/${zone}/cache/origin_cloud_regions`, { method: 'PATCH', headers, body: JSON.stringify({ ip: o.ip, vendor: o.vendor, region: o.region }) });
        await res.arrayBuffer(); // v1 PATCH answers with the whole list: the naive tool pays for reading it
        if (res.status === 429) {
          await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? '1') * 1000));
          continue;
        }
        if (!res.ok) throw new Error(`naive PATCH ${o.ip}: HTTP ${res.status}`);
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

async function startDaemon(dir: string, redisUrl: string, apiBase: string, quota: number, windowSeconds: number): Promise<Runtime> {
  const file = join(dir, 'origin-region-sync.yaml');
  await writeFile(
    file,
    stringify({
      redis: { url: redisUrl, prefix: `bench${Date.now().toString(36)}` },
      cloudflare: { apiBase, token: '${BENCH_TOKEN}', api: 'auto', rateLimit: { requests: quota, perSeconds: windowSeconds } },
      zones: [{ id: OURS, policy: 'sync', deleteAfterMissedScans: 1, guard: { maxChangeFraction: 1 } }],
      connectors: [{ name: 'inventory', type: 'file', path: './inventory.yaml' }],
      log: { level: 'silent' },
    }),
  );
  const config = await loadConfig({ path: file, env: { ...process.env, BENCH_TOKEN: TOKEN } });
  return startRuntime({ config, logger: pino({ level: 'silent' }), workers: true, schedule: false });
}

export async function benchCloudflare(opts: CloudflareBenchOptions): Promise<ScenarioResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ors-bench-'));
  const emu = await startEmulatorProcess(opts.latencyMs, opts.quota, opts.windowSeconds);
  const rt = await startDaemon(dir, opts.redis.url, emu.url, opts.quota, opts.windowSeconds);
  const inventory = (list: Origin[]) => writeFile(join(dir, 'inventory.yaml'), stringify({ origins: list }));
  // Each measured run starts in a fresh rate-limit window.
  const freshWindow = () => new Promise((r) => setTimeout(r, opts.windowSeconds * 1000 + 100));
  const figures = async (fn: () => Promise<unknown>): Promise<RunFigures> => {
    await freshWindow();
    await admin(emu.origin, '/stats', { method: 'DELETE' });
    const m = await measure(fn);
    const c = await counts(emu.origin);
    const requests = c.writes + c.reads;
    return { ...c, requests, wallMs: m.wallMs, projectedMs: projectToRealWindow(m.wallMs, requests, opts.quota, opts.windowSeconds), cpuMs: m.cpuMs, peakRssMb: m.peakRssMb, peakHeapMb: m.peakHeapMb };
  };
  const ratio = (a: RunFigures, b: RunFigures) => ({
    requests: round(a.requests / Math.max(1, b.requests)),
    wallMs: round(a.wallMs / Math.max(1, b.wallMs)),
    projectedMs: round(a.projectedMs / Math.max(1, b.projectedMs)),
    cpuMs: round(a.cpuMs / Math.max(1, b.cpuMs)),
  });
  const results: ScenarioResult[] = [];
  try {
    const all = originSet(opts.origins);
    const changed = originSet(opts.origins, opts.changes);
    const scenarios: Array<{ name: string; changes: number; before: Origin[]; after: Origin[] }> = [
      { name: `full sync of ${opts.origins} origins into an empty zone`, changes: opts.origins, before: [], after: all },
      { name: 'a cycle with nothing changed', changes: 0, before: all, after: all },
      { name: `${opts.changes} changes in a zone of ${opts.origins}`, changes: opts.changes, before: all, after: changed },
    ];
    for (const s of scenarios) {
      await inventory(s.after);
      // Our zone already holds `before` from the previous scenario (the daemon wrote it); the naive zone is seeded.
      await seed(emu.origin, NAIVE, s.before);
      const ours = await figures(() => runOnce(rt, { reason: 'cli' }));
      const baseline = await figures(() => naiveSync(emu.url, NAIVE, s.after, opts.quota, opts.windowSeconds));
      results.push({ name: s.name, changes: s.changes, ours, baseline, ratio: ratio(ours, baseline) });
    }
  } finally {
    await rt.close(5000);
    emu.child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
