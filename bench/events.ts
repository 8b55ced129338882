import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump as stringify } from 'js-yaml';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { startAwsFake } from '../src/emulators/aws/index.ts';
import { startCloudflareEmulator } from '../src/emulators/cloudflare/index.ts';
import { startEvents } from '../src/events/index.ts';
import { runOnce } from '../src/pipeline/run-once.ts';
import { startRuntime } from '../src/pipeline/runtime.ts';

/**
 * Event-to-applied latency and the cost of a burst, end to end with the real parts: the AWS fake turns
 * inventory changes into EventBridge events on its SQS queue, the aws-sqs source long-polls it with the
 * official SDK, the daemon's runtime rediscovers through @aws-sdk/client-ec2 and writes to the Cloudflare
 * emulator (with its latency). Defaults as a user gets them: debounce 2 s, confirmAfter 30 s.
 */
export interface EventsBenchOptions {
  redisUrl: string;
  latencyMs: number;
  /** Events measured one by one (spread over `regions` scopes, `regions` at a time). */
  events: number;
  regions: number;
  /** Addresses allocated at once in one region. */
  burst: number;
  debounceMs: number;
}

export interface EventsBench {
  latency: { events: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number; debounceMs: number };
  burst: { events: number; discovers: number; describeAddressesCalls: number; cloudflareWrites: number; diffBatches: number; convergeMs: number };
}

const ACCOUNT = '111122223333';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const TOKEN = 'bench-token-0123456789';
const REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2', 'ca-central-1', 'sa-east-1', 'eu-south-1', 'ap-east-1', 'me-central-1'];

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function benchEvents(opts: EventsBenchOptions): Promise<EventsBench> {
  const regions = REGIONS.slice(0, opts.regions);
  const addresses = new Map<string, string[]>(regions.map((r) => [r, []]));
  const inventory = () => ({
    aws: { accounts: { [ACCOUNT]: { regions: Object.fromEntries(regions.map((r) => [r, { addresses: addresses.get(r)!.map((publicIp) => ({ publicIp, tags: { 'cf-origin': 'true' } })) }])) } } },
  });
  let n = 0;
  const nextIp = () => {
    n++;
    return `54.240.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  };

  const fake = await startAwsFake({ inventory: inventory(), events: { queue: 'ors-events' }, pageSize: 1000 });
  const emu = await startCloudflareEmulator({ tokens: [TOKEN], latencyMs: opts.latencyMs, rateLimit: false });
  const dir = await mkdtemp(join(tmpdir(), 'ors-bench-events-'));
  process.env.ORS_BENCH_AWS_KEY = 'AKIDBENCH00000000001';
  process.env.ORS_BENCH_AWS_SECRET = 'bench-secret-value-0001';
  const credentials = { accessKeyIdEnv: 'ORS_BENCH_AWS_KEY', secretAccessKeyEnv: 'ORS_BENCH_AWS_SECRET' };
  const file = join(dir, 'origin-region-sync.yaml');
  await writeFile(
    file,
    stringify({
      redis: { url: opts.redisUrl, prefix: `bench-events-${Date.now().toString(36)}` },
      cloudflare: { apiBase: emu.url, token: TOKEN, api: 'v2' },
      zones: [{ id: ZONE, policy: 'sync', guard: { maxChangeFraction: 1 } }],
      connectors: [{ name: 'aws', type: 'aws', accountId: ACCOUNT, regions, endpoint: fake.url, credentials }],
      schedule: { reconcileEvery: '1h' },
      events: { debounce: `${opts.debounceMs}ms`, sources: [{ name: 'aws-events', type: 'aws-sqs', queueUrl: fake.eventsQueueUrl, region: 'us-east-1', endpoint: fake.url, credentials }] },
      log: { level: 'silent' },
    }),
  );
  const config = await loadConfig({ path: file });
  const rt = await startRuntime({ config, logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }), workers: true, schedule: false });
  try {
    await runOnce(rt, { reason: 'cli' });
    const events = await startEvents(rt.ctx, { watchFiles: false });
    try {
      const held = () => new Set(emu.mappings(ZONE).map((m) => m.origin_ip));
      const waitFor = async (ips: string[], t0: number, seen: Map<string, number>) => {
        while (seen.size < ips.length) {
          const now = held();
          for (const ip of ips) if (!seen.has(ip) && now.has(ip)) seen.set(ip, performance.now() - t0);
          if (seen.size < ips.length) await new Promise((r) => setTimeout(r, 10));
        }
      };

      // Latency: `regions` allocations at a time, one per region (one scope each), until `events` are measured.
      const latencies: number[] = [];
      while (latencies.length < opts.events) {
        const round = regions.slice(0, Math.min(regions.length, opts.events - latencies.length)).map((r) => {
          const ip = nextIp();
          addresses.get(r)!.push(ip);
          return ip;
        });
        const t0 = performance.now();
        fake.setInventory(inventory());
        const seen = new Map<string, number>();
        await waitFor(round, t0, seen);
        latencies.push(...seen.values());
      }
      const sorted = [...latencies].sort((a, b) => a - b);

      // Burst: many allocations in one region at once, then converge.
      const discovers0 = (await rt.ctx.queues.discover.getJobCounts('completed')).completed ?? 0;
      const describe0 = fake.actionCount('DescribeAddresses');
      emu.clearStats();
      const burst = Array.from({ length: opts.burst }, () => nextIp());
      addresses.get(regions[0]!)!.push(...burst);
      const t0 = performance.now();
      const emitted = fake.setInventory(inventory());
      await waitFor(burst, t0, new Map());
      const convergeMs = performance.now() - t0;
      const writes = emu.stats().filter((s) => s.method !== 'GET').reduce((a, s) => a + s.count, 0);
      // Let queued follow-up scans (the one left behind a running scan) finish before counting them.
      await new Promise((r) => setTimeout(r, opts.debounceMs + 1500));
      const discovers = ((await rt.ctx.queues.discover.getJobCounts('completed')).completed ?? 0) - discovers0;
      return {
        latency: { events: latencies.length, p50Ms: Math.round(pct(sorted, 50)), p90Ms: Math.round(pct(sorted, 90)), p99Ms: Math.round(pct(sorted, 99)), maxMs: Math.round(sorted.at(-1)!), debounceMs: opts.debounceMs },
        burst: { events: emitted, discovers, describeAddressesCalls: fake.actionCount('DescribeAddresses') - describe0, cloudflareWrites: writes, diffBatches: Math.ceil(opts.burst / 100), convergeMs: Math.round(convergeMs) },
      };
    } finally {
      await events.stop();
    }
  } finally {
    await rt.close(5000);
    await emu.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}
