import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Origin, Skipped, Vendor } from '../src/model/index.ts';
import { PLAN_SAMPLE, planZone } from '../src/reconcile/plan.ts';
import type { CurrentMapping, PlanInput, RegistryEntry, ScopeView, ZoneSettings } from '../src/reconcile/types.ts';

/**
 * The planner at scale: one zone of 3,500 current mappings against N desired origins from 20 scopes of
 * three vendors, with some origins skipped (a region the zone does not support, non-public addresses
 * the connectors set aside) and most of them over the budget. Each size runs in its own child process,
 * so its peak RSS is its own and not what the previous size left behind.
 */
export interface PlannerFigures {
  desired: number;
  /** CPU of planZone alone (input already built). */
  cpuMs: number;
  wallMs: number;
  /** RSS once the input is built, before planning: what the scenario costs without the planner. */
  inputRssMb: number;
  /** Heap the input holds (after a GC). */
  inputHeapMb: number;
  peakRssMb: number;
  /** Heap used above the level before planning, at its peak (sampled). */
  peakHeapMb: number;
  /** The plan as the pipeline stores it (JSON), in bytes. */
  storedBytes: number;
  /** The whole plan, every skipped and overflow entry (what `plan --json --all` prints), in bytes. */
  fullBytes: number;
  /** CPU of planning with every entry listed (`plan --json --all`). */
  allCpuMs: number;
  upserts: number;
  deletes: number;
  skipped: number;
  overflow: number;
}

const SIZES = [10_000, 100_000, 1_000_000];

export async function benchPlanner(sizes = SIZES): Promise<PlannerFigures[]> {
  const out: PlannerFigures[] = [];
  for (const n of sizes) {
    // With this process's node flags (npm run bench gives the daemon's): the planner runs inside the daemon.
    const flags = [...new Set([...process.execArgv, '--expose-gc'])];
    const { stdout } = await promisify(execFile)(process.execPath, [...flags, fileURLToPath(import.meta.url), '--child', String(n)], { maxBuffer: 1 << 20 });
    out.push(JSON.parse(stdout.trim().split('\n').pop()!) as PlannerFigures);
  }
  return out;
}

const REGIONS: Array<[Vendor, string]> = [
  ['aws', 'us-east-1'], ['aws', 'us-west-2'], ['aws', 'eu-west-1'], ['aws', 'eu-central-1'], ['aws', 'ap-southeast-1'],
  ['aws', 'ap-northeast-1'], ['aws', 'sa-east-1'], ['aws', 'us-east-2'], ['gcp', 'us-central1'], ['gcp', 'europe-west1'],
  ['gcp', 'asia-east1'], ['gcp', 'us-east1'], ['gcp', 'europe-west4'], ['gcp', 'asia-northeast1'], ['azure', 'westeurope'],
  ['azure', 'eastus'], ['azure', 'northeurope'], ['azure', 'westus2'], ['azure', 'southeastasia'], ['azure', 'japaneast'],
];

/** Deterministic pseudo-random numbers (mulberry32): the same input every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The i-th desired address: distinct (an odd multiplier is a bijection mod 2^24), scattered, one in ten IPv6. */
function address(i: number): string {
  if (i % 10 === 9) return `2600:1f18:${(i >>> 16).toString(16)}::${(i & 0xffff).toString(16)}`;
  const n = (Math.imul(i, 2654435761) & 0xffffff) >>> 0;
  return `52.${n >>> 16}.${(n >>> 8) & 255}.${n & 255}`;
}

export function scenario(n: number): PlanInput {
  const rand = rng(n);
  const now = 10_000_000;
  const scopes: ScopeView[] = REGIONS.map(([vendor, region]) => ({
    scope: `inv/${vendor}/acct/${region}`,
    connector: 'inv',
    status: 'complete',
    scannedAt: now - 60_000,
    origins: [],
    skipped: [],
  }));
  // address() is one-to-one, so no set of what was generated is needed (it would stay in the RSS).
  for (let i = 0; i < n; i++) {
    const ip = address(i);
    const s = Math.floor(rand() * scopes.length);
    const view = scopes[s]!;
    const [vendor, region] = REGIONS[s]!;
    const r = rand();
    if (r < 0.02) {
      // Non-public addresses the connector set aside: they reach the plan as skipped entries.
      const skip: Skipped = { ip: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`, reason: 'not-public', detail: `10.x is private-use address space`, scope: view.scope, source: `eni-${i}` };
      view.skipped.push(skip);
      continue;
    }
    const o: Origin = {
      ip,
      vendor,
      // One in a hundred in a region the zone's supported_regions does not list.
      region: r < 0.03 ? `${region}-local` : region,
      scope: view.scope,
      source: `eni-${i.toString(16)}`,
      tags: r < 0.1 ? { tier: 'gold' } : {},
    };
    view.origins.push(o);
  }
  // The zone: 3,200 owned (most still desired, some moved region, some gone), 300 someone else's.
  const current: CurrentMapping[] = [];
  const taken = new Set<string>();
  const registry = new Map<string, RegistryEntry>();
  for (let i = 0; i < 3_500; i++) {
    const gone = i % 16 === 0;
    const from = scopes[i % scopes.length]!.origins;
    const ip = gone ? `54.${200 + (i % 50)}.${(i >>> 8) & 255}.${i & 255}` : from[(i * 7919) % from.length]!.ip;
    if (taken.has(ip)) continue;
    taken.add(ip);
    const [vendor, region] = REGIONS[i % REGIONS.length]!;
    current.push({ ip, vendor, region });
    if (i < 3_200) registry.set(ip, { vendor, region, scope: `inv/${vendor}/acct/${region}`, planId: 'p0', at: now - 3_600_000 });
  }
  const supported = new Map<Vendor, Set<string>>();
  for (const [v, r] of REGIONS) supported.set(v, (supported.get(v) ?? new Set()).add(r));
  const zone: ZoneSettings = {
    id: 'bench-zone',
    policy: 'sync',
    adopt: false,
    maxMappings: 3_500,
    reserve: 50,
    deleteAfterMissedScans: 3,
    deleteGrace: 0,
    guard: { maxChangeFraction: 0.3, minEntries: 10 },
    select: {},
    priority: [{ tags: { tier: 'gold' } }, { regions: ['us-*', 'eu*'] }],
  };
  return { zone, now, maxScanAgeMs: 3_600_000, scopes, current, registry, tombstones: new Map(), supportedRegions: supported };
}

async function child(n: number): Promise<void> {
  const input = scenario(n);
  global.gc?.();
  const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
  const inputRss = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  let peak = inputRss;
  let heapPeak = heap0;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
  };
  // The planner is synchronous: a timer cannot sample during it, so sample around it and read the
  // process's own high-water mark (maxRSS), which the kernel keeps.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const plan = planZone({ ...input, sample: PLAN_SAMPLE });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  sample();
  const storedBytes = Buffer.byteLength(JSON.stringify(plan));
  sample();
  const maxRss = process.resourceUsage().maxRSS * 1024;
  // After the peak figures: every entry is the `plan --json --all` path, not what a cycle does.
  const cpuAll0 = process.cpuUsage();
  const full = planZone(input);
  const cpuAll = process.cpuUsage(cpuAll0);
  const fullBytes = Buffer.byteLength(JSON.stringify(full));
  const figures: PlannerFigures = {
    desired: n,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    wallMs: Math.round(wallMs),
    inputRssMb: mb(inputRss),
    inputHeapMb: mb(heap0),
    peakRssMb: mb(Math.max(peak, maxRss)),
    peakHeapMb: mb(heapPeak - heap0),
    storedBytes,
    fullBytes,
    allCpuMs: Math.round((cpuAll.user + cpuAll.system) / 1000),
    upserts: plan.upserts.length,
    deletes: plan.deletes.length,
    skipped: plan.totals.skipped,
    overflow: plan.budget.overflow,
  };
  console.log(JSON.stringify(figures));
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]));
