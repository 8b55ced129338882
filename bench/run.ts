import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startPrivateRedis } from '../src/state/private-redis.ts';
import type { ScenarioResult } from './cloudflare.ts';
import type { DiscoveryAwsResult } from './discovery-aws.ts';

/**
 * `npm run bench`: measures, prints and writes bench/results/latest.json. Not a test: nothing here
 * passes or fails; the figures are for reading and comparing between commits.
 */
const QUOTA = 1200;
const WINDOW = 3; // Cloudflare's 300 s window, scaled down so the naive baseline finishes
const LATENCY = 50;

const fmtMs = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms} ms`);

function row(label: string, cells: Array<string | number>): string {
  return [label.padEnd(44), ...cells.map((c) => String(c).padStart(13))].join(' ');
}

function printScenarios(results: ScenarioResult[]): void {
  console.log(`\nCloudflare sync: emulator latency ${LATENCY} ms, rate limit ${QUOTA} requests / ${WINDOW} s (real: ${QUOTA} / 300 s)`);
  console.log(row('scenario / run', ['writes', 'reads', 'wall', 'at real window', 'cpu', 'peak heap', 'peak rss']));
  for (const s of results) {
    console.log(s.name);
    for (const [label, f] of [['  origin-region-sync', s.ours], ['  naive: one PATCH per change', s.baseline]] as const) {
      console.log(row(label, [f.writes, f.reads, fmtMs(f.wallMs), fmtMs(f.projectedMs), fmtMs(f.cpuMs), `${f.peakHeapMb} MB`, `${f.peakRssMb} MB`]));
    }
    console.log(row('  ratio (ours / naive)', [`requests ${s.ratio.requests}`, '', `${s.ratio.wallMs}`, `${s.ratio.projectedMs}`, `${s.ratio.cpuMs}`, '', '']));
  }
}

async function main(): Promise<void> {
  // Each part's modules are imported when it runs: a part that measures this process's memory (discovery)
  // then holds only what it needs, as the daemon would, not every other part's emulators.
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const redis = await startPrivateRedis();
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    // The daemon's own (Dockerfile, bin/): the parts run under them, the planner's children too.
    nodeFlags: process.execArgv,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30) },
    settings: { latencyMs: LATENCY, quota: QUOTA, windowSeconds: WINDOW, realWindowSeconds: 300 },
  };
  try {
    if (want('cloudflare')) {
      const results = await (await import('./cloudflare.ts')).benchCloudflare({ origins: 3500, changes: 200, latencyMs: LATENCY, quota: QUOTA, windowSeconds: WINDOW, redis });
      printScenarios(results);
      report.cloudflare = results;
    }
    if (want('cycle')) {
      const c = await (await import('./cycle.ts')).benchCycle({ redisUrl: redis.url, latencyMs: LATENCY, perZone: 3500, zones: 20, cycles: 5, changes: 50 });
      console.log(`\nSteady state: file inventories of 3,500 origins a zone, converged, emulator latency ${LATENCY} ms (in its own process), v2`);
      console.log(row('no-change cycle', ['cpu', 'cpu / zone', 'wall', 'Redis cmds', 'cmds / zone', 'CF requests']));
      for (const n of c.noChange) console.log(row(`  ${n.zones} zone(s) × ${n.perZone.toLocaleString('en')}${n.connectors === n.zones ? '' : `, ${n.connectors} shared inventory`}`, [fmtMs(n.cpuMs), fmtMs(n.cpuMsPerZone), fmtMs(n.wallMs), n.redisCommands, n.redisCommandsPerZone, n.cloudflareRequests]));
      for (const ch of c.change) console.log(`  change → applied on ${ch.api} (resync of a converged zone, 1 changed origin, ${ch.changes} times): p50 ${fmtMs(ch.p50Ms)}, p90 ${fmtMs(ch.p90Ms)}, p99 ${fmtMs(ch.p99Ms)}, max ${fmtMs(ch.maxMs)}`);
      report.cycle = c;
    }
    if (want('reads')) {
      const o = { zones: 50, mappings: 3500, cycleMinutes: 5, drift: [{ minutes: 30, share: 1 }, { minutes: 30, share: 0.1 }], periods: 1 };
      const { benchReads, printReads } = await import('./reads.ts');
      const runs = await benchReads({ ...o, redis });
      printReads(runs, o);
      report.reads = { ...o, runs };
    }
    if (want('discovery')) {
      // In a process of its own, as the planner's sizes: its peak RSS must not include what the parts before it left.
      const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, fileURLToPath(new URL('./discovery-aws.ts', import.meta.url))], { maxBuffer: 1 << 20 });
      const d = JSON.parse(stdout.trim().split('\n').pop()!) as DiscoveryAwsResult;
      console.log(`\nAWS discovery: 100,000 network interfaces across 20 regions through the EC2 fake (its own process) and @aws-sdk/client-ec2`);
      console.log(`  ${d.origins} origins from ${d.scopes} scopes in ${d.requests} requests: wall ${fmtMs(d.wallMs)}, cpu ${fmtMs(d.cpuMs)}, peak rss ${d.peakRssMb} MB, heap ${d.heapUsedMb} MB (after GC: ${d.startHeapMb} MB before, ${d.retainedHeapMb} MB with the results)`);
      console.log(`  the fake's process (not counted above): peak rss ${d.fake.peakRssMb} MB, cpu ${fmtMs(d.fake.cpuMs)}`);
      // Its peak RSS depends on node's flags: the daemon's are --max-semi-space-size=8 (Dockerfile, bin/), as `npm run bench` passes.
      report.discoveryAws = { interfaces: 100_000, regions: 20, ...d, nodeFlags: process.execArgv };
    }
    if (want('events')) {
      const e = await (await import('./events.ts')).benchEvents({ redisUrl: redis.url, latencyMs: LATENCY, events: 100, regions: 20, burst: 1000, debounceMs: 2000 });
      console.log(`\nCloud events (AWS: EventBridge envelopes on the fake's SQS queue, @aws-sdk/client-sqs long polling), emulator latency ${LATENCY} ms, debounce ${e.latency.debounceMs} ms`);
      console.log(`  event → applied over ${e.latency.events} events (20 regions, 20 at a time): p50 ${fmtMs(e.latency.p50Ms)}, p90 ${fmtMs(e.latency.p90Ms)}, p99 ${fmtMs(e.latency.p99Ms)}, max ${fmtMs(e.latency.maxMs)}`);
      console.log(`  burst of ${e.burst.events} events in one region: ${e.burst.discovers} discovers (${e.burst.describeAddressesCalls} DescribeAddresses calls), ${e.burst.cloudflareWrites} Cloudflare writes for a diff of ${e.burst.diffBatches} batches, converged in ${fmtMs(e.burst.convergeMs)}`);
      report.events = e;
    }
    if (want('audit')) {
      const a = await (await import('./audit.ts')).benchAudit({ redisUrl: redis.url, records: 1_000_000 });
      const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
      console.log(`\nAudit trail: ${a.records.toLocaleString('en')} write records in one zone's stream`);
      console.log(`  ${a.kept.toLocaleString('en')} kept, ${mb(a.bytes)} (MEMORY USAGE; ${a.bytesPerRecord} bytes a record), used_memory +${mb(a.usedMemoryDelta)}, written in ${fmtMs(a.wallMs)}`);
      report.audit = a;
    }
    if (want('planner')) {
      const p = await (await import('./planner.ts')).benchPlanner();
      const kb = (b: number) => (b >= 1048576 ? `${(b / 1048576).toFixed(1)} MB` : `${Math.round(b / 1024)} kB`);
      console.log(`\nPlanner: one zone of 3,500 mappings against N desired origins (20 scopes, some skipped, most over the budget), each size in its own process`);
      console.log(row('desired', ['cpu', 'peak rss', 'input rss', 'stored plan', '--all plan', '--all cpu']));
      for (const f of p) {
        console.log(row(`  ${f.desired.toLocaleString('en')}`, [fmtMs(f.cpuMs), `${f.peakRssMb} MB`, `${f.inputRssMb} MB`, kb(f.storedBytes), kb(f.fullBytes), fmtMs(f.allCpuMs)]));
      }
      report.planner = p;
    }
  } finally {
    await redis.stop();
  }
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  // A run of some parts (`npm run bench -- cycle`) replaces only their figures: the others, and the
  // figures kept from before a change (`before`), stay in the report.
  const previous = await readFile(`${dir}latest.json`, 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>, () => ({}));
  await writeFile(`${dir}latest.json`, JSON.stringify({ ...previous, ...report }, null, 2) + '\n');
  console.log(`\nwritten: bench/results/latest.json`);
}

await main();
