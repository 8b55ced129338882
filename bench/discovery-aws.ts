import { fork, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { configSchema, create } from '../connectors/aws/index.ts';
import { mapBounded } from '../connectors/shared/concurrency.ts';
import { regionGroups } from '../src/model/index.ts';

/**
 * Discovery benchmark: `interfaces` network interfaces spread over `regions` regions of one account,
 * served by the AWS fake (pages of 1,000, as the connector asks), discovered through the real
 * @aws-sdk/client-ec2. Half the interfaces belong to instances (so instance tags are looked up, 200 ids a
 * request), half stand alone (load balancers, NAT gateways); a quarter also carry an IPv6 address.
 * The fake runs in a child process of its own, as a cloud would: its memory (the inventory, the XML it
 * renders) and CPU are reported apart, and the discovery figures are the daemon's alone.
 */

export interface DiscoveryAwsResult {
  origins: number;
  scopes: number;
  requests: number;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  heapUsedMb: number;
  /** Heap still used after a full GC with every result held (needs --expose-gc, as `npm run bench` runs): what discovery keeps, against the garbage it makes. */
  retainedHeapMb: number | undefined;
  /** Heap used after a full GC before discovery: Node, the SDK and the connector. */
  startHeapMb: number | undefined;
  /** The fake's own process, for the record: not part of the figures above. */
  fake: { peakRssMb: number; cpuMs: number };
}

/** What the fake's process answers on its IPC channel. */
type FakeMessage = { url: string } | { requests: number; peakRssMb: number; cpuMs: number };

const ACCOUNT = '123456789012';
const KINDS = ['network_load_balancer', 'nat_gateway', 'interface'] as const;

function inventory(interfaces: number, regionNames: readonly string[]) {
  const regions: Record<string, { networkInterfaces: unknown[]; instances: unknown[] }> = {};
  for (const r of regionNames) regions[r] = { networkInterfaces: [], instances: [] };
  for (let i = 0; i < interfaces; i++) {
    const regionIndex = i % regionNames.length;
    // Position within the region: what kind of interface this is does not depend on the region.
    const j = Math.floor(i / regionNames.length);
    const region = regions[regionNames[regionIndex] as string] as (typeof regions)[string];
    const hex = i.toString(16).padStart(8, '0');
    const eni: Record<string, unknown> = {
      networkInterfaceId: `eni-0${hex}`,
      privateIpAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      // 3.0.0.0/8 onwards: public, unique for up to 16M interfaces.
      association: { publicIp: `${3 + (i >> 24)}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
    };
    if (j % 4 === 0) eni.ipv6Addresses = [`2600:1f18:${regionIndex.toString(16)}::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`];
    if (j % 2 === 0) {
      region.instances.push({ instanceId: `i-0${hex}`, tags: { Name: `web-${i}`, 'cf-origin': 'true' }, networkInterfaces: [eni] });
    } else {
      eni.interfaceType = KINDS[j % KINDS.length];
      eni.tags = { 'cf-origin': 'true' };
      region.networkInterfaces.push(eni);
    }
  }
  return { aws: { accounts: { [ACCOUNT]: { regions } } } };
}

export async function benchDiscoveryAws(opts: { interfaces: number; regions: number }): Promise<DiscoveryAwsResult> {
  const all = regionGroups('aws').aws ?? [];
  if (opts.regions < 1 || opts.regions > all.length) throw new Error(`regions must be 1..${all.length}`);
  const regionNames = all.slice(0, opts.regions);
  const fake = await forkFake(opts.interfaces, regionNames);
  const config = configSchema.parse({
    name: 'bench-aws',
    type: 'aws',
    endpoint: fake.url,
    accountId: ACCOUNT,
    credentials: { accessKeyIdEnv: 'BENCH_KEY', secretAccessKeyEnv: 'BENCH_SECRET' },
    tags: { 'cf-origin': 'true' },
  });
  const connector = create(config, { configDir: '.', logger: pino({ level: 'silent' }), env: { BENCH_KEY: 'AKIDBENCH', BENCH_SECRET: 'bench' } });
  const concurrency = config.concurrency ?? 4;

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const before = await fake.stats();
  global.gc?.();
  const startHeap = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let origins = 0;
  let scopes = 0;
  try {
    const signal = new AbortController().signal;
    const list = await connector.listScopes(signal);
    scopes = list.length;
    const results = await mapBounded(list, concurrency, (s) => connector.discover(s, signal));
    for (const r of results) {
      if (r.status !== 'complete') throw new Error(`a scope ended ${r.status}: ${r.error}`);
      origins += r.origins.length;
    }
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const after = await fake.stats();
    global.gc?.();
    const retained = process.memoryUsage().heapUsed;
    const mb = (b: number) => Math.round(b / 1048576);
    return {
      origins,
      scopes,
      requests: after.requests - before.requests,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      peakRssMb: Math.round(peakRss / 1048576),
      heapUsedMb: mb(process.memoryUsage().heapUsed),
      retainedHeapMb: global.gc ? mb(retained) : undefined,
      startHeapMb: global.gc ? mb(startHeap) : undefined,
      fake: { peakRssMb: after.peakRssMb, cpuMs: after.cpuMs - before.cpuMs },
    };
  } finally {
    clearInterval(sampler);
    await connector.close?.();
    await fake.close();
  }
}

const SELF = fileURLToPath(import.meta.url);
const FAKE_FLAG = '--serve-fake';

interface ForkedFake {
  url: string;
  stats(): Promise<{ requests: number; peakRssMb: number; cpuMs: number }>;
  close(): Promise<void>;
}

/** Starts this file as the fake's process (below) and waits for its URL. */
async function forkFake(interfaces: number, regionNames: readonly string[]): Promise<ForkedFake> {
  const child: ChildProcess = fork(SELF, [FAKE_FLAG, String(interfaces), regionNames.join(',')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () =>
    new Promise<FakeMessage>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the fake's process exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as FakeMessage);
      });
    });
  const first = await next();
  if (!('url' in first)) throw new Error('the fake did not say its URL');
  return {
    url: first.url,
    stats: async () => {
      const answer = next();
      child.send('stats');
      const m = await answer;
      if ('url' in m) throw new Error('unexpected message from the fake');
      return m;
    },
    close: async () => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The fake's process: builds the inventory, serves it, and answers `stats` with its request count and peak RSS. */
async function serveFake(interfaces: number, regionNames: string[]): Promise<void> {
  // Imported here, in the fake's process only: the daemon never loads the fake, so neither does the process measured.
  const { startAwsFake } = await import('../src/emulators/aws/index.ts');
  const fake = await startAwsFake({ inventory: inventory(interfaces, regionNames), pageSize: 1000 });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  process.on('message', () => {
    const cpu = process.cpuUsage();
    peak = Math.max(peak, process.memoryUsage().rss);
    process.send?.({ requests: fake.requestCount(), peakRssMb: Math.round(peak / 1048576), cpuMs: Math.round((cpu.user + cpu.system) / 1000) });
  });
  process.once('SIGTERM', () => {
    clearInterval(sampler);
    void fake.close().then(() => process.exit(0));
  });
  process.send?.({ url: fake.url });
}

const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === realpathSync(SELF) && process.argv[2] === FAKE_FLAG) {
  await serveFake(Number(process.argv[3]), (process.argv[4] ?? '').split(','));
} else if (invoked === realpathSync(SELF)) {
  const interfaces = 100_000;
  const regions = 20;
  const r = await benchDiscoveryAws({ interfaces, regions });
  console.log(`discovery-aws: ${interfaces} interfaces across ${regions} regions through the fake (in its own process)`);
  console.log(`  origins ${r.origins}, scopes ${r.scopes}, requests ${r.requests}`);
  console.log(`  wall ${r.wallMs} ms, cpu ${r.cpuMs} ms, peak rss ${r.peakRssMb} MB, heap used ${r.heapUsedMb} MB (after GC: ${r.startHeapMb} MB before, ${r.retainedHeapMb} MB with the results)`);
  console.log(`  the fake's process: peak rss ${r.fake.peakRssMb} MB, cpu ${r.fake.cpuMs} ms (not counted above)`);
  console.log(JSON.stringify(r));
}
