import { loadConfig } from '../config/load.ts';
import { formatDuration } from '../config/duration.ts';
import { cycleJson, writeJson } from '../commands/json.ts';
import { exitCodeOf, renderOnce, showProgress, table } from '../commands/render.ts';
import { createLogger } from '../log.ts';
import { runOnce } from '../pipeline/run-once.ts';
import { startRuntime, type Runtime } from '../pipeline/runtime.ts';
import { startAdminServer } from '../server/http.ts';
import { startEvents } from '../events/index.ts';
import { planSummary } from '../commands/plan-summary.ts';
import type { PipelineEvents } from '../pipeline/context.ts';
import { DEMO_CONFIG, startDemoEnvironment, type DemoEnvironment } from './environment.ts';

export interface DemoOptions {
  watch: boolean;
  listen?: string;
  verbose?: boolean;
  /** Print the two cycles as one JSON document on stdout (the narrative goes to stderr). */
  json?: boolean;
  out?: NodeJS.WritableStream;
}

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

/**
 * `npm run demo`: the whole product on an embedded default. A Cloudflare API emulator and fakes of the
 * four clouds run in this process; the pipeline (queues, workers, Redis) is the real one, driven by
 * config/demo.yaml. Two cycles: the first converges the zone, the second writes nothing.
 */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.out ?? (opts.json ? process.stderr : process.stdout);
  const say = (s = '') => out.write(s + '\n');
  say(bold('origin-region-sync demo'));
  const demo = await startDemoEnvironment();
  let rt: Runtime | undefined;
  try {
    // Connectors read the credentials their configuration names from the environment, as in production.
    Object.assign(process.env, demo.env, opts.listen ? { DEMO_LISTEN: opts.listen } : {});
    const config = await loadConfig({ path: DEMO_CONFIG });
    const logger = createLogger({ level: opts.verbose ? 'info' : 'error', stream: 'stderr' });
    say(`  configuration   ${DEMO_CONFIG}`);
    say(`  Redis           ${demo.redisLabel}`);
    say(`  Cloudflare API  ${demo.cloudflare.url} (emulator; zone shop.example.com holds ${demo.cloudflare.mappings(config.zones[0]!.id).length} mappings managed by someone else)`);
    for (const [v, url] of Object.entries(demo.endpoints)) say(`  ${v.padEnd(15)} ${url} (fake, answering the official SDK)`);
    say(`  file inventory  ${demo.inventory}`);
    say(`  clouds          ${demo.clouds} (served by the four fakes)`);

    rt = await startRuntime({ config, logger, workers: true, schedule: opts.watch });
    const zoneId = config.zones[0]!.id;

    say('\n' + bold('Cycle 1: discover every scope, plan the zone, apply'));
    const first = await cycle(rt, out);
    say(renderOnce(config, first, { limit: 12 }));
    say('\n' + bold('The zone now'));
    say(zoneTable(demo, zoneId, await rt.ctx.state.registry.get(zoneId)));

    demo.cloudflare.clearStats();
    say('\n' + bold('Cycle 2: nothing changed at the clouds'));
    const second = await cycle(rt, out);
    const writes = demo.cloudflare.stats().filter((s) => s.method !== 'GET').reduce((a, s) => a + s.count, 0);
    const reads = demo.cloudflare.stats().filter((s) => s.method === 'GET').reduce((a, s) => a + s.count, 0);
    const z = second.zones[0]!;
    say(`plan ${z.result.planId}: ${z.result.status}; Cloudflare saw ${reads} read request(s) and ${writes} write(s).`);

    const code = Math.max(exitCodeOf(first), exitCodeOf(second));
    if (opts.json) writeJson('demo', { cycles: [cycleJson(config, first), cycleJson(config, second)] }, code);
    if (!opts.watch) {
      say(`\n${code === 0 ? 'Converged.' : 'Finished with problems (see above).'} Keep it running with its dashboard: npm run demo -- --watch`);
      return code;
    }
    return await watch(rt, demo, out);
  } finally {
    await rt?.close(5_000);
    await demo.close();
  }
}

async function cycle(rt: Runtime, out: NodeJS.WritableStream) {
  const stop = showProgress(rt.ctx.events);
  const t0 = Date.now();
  try {
    const r = await runOnce(rt, { reason: 'cli' });
    out.write(`(${formatDuration(Date.now() - t0)})\n`);
    return r;
  } finally {
    stop();
  }
}

/** Mappings by vendor and region, with the upper-tier data centers Cloudflare routes them through. */
function zoneTable(demo: DemoEnvironment, zoneId: string, registry: Map<string, unknown>): string {
  const groups = new Map<string, { vendor: string; region: string; managed: number; unmanaged: number }>();
  for (const m of demo.cloudflare.mappings(zoneId)) {
    const key = `${m.vendor}/${m.region}`;
    const g = groups.get(key) ?? { vendor: m.vendor, region: m.region, managed: 0, unmanaged: 0 };
    if (registry.has(m.origin_ip)) g.managed++;
    else g.unmanaged++;
    groups.set(key, g);
  }
  const rows = [...groups.values()].sort((a, b) => a.vendor.localeCompare(b.vendor) || a.region.localeCompare(b.region));
  const total = rows.reduce((a, r) => a + r.managed + r.unmanaged, 0);
  return (
    table(
      ['vendor', 'region', 'managed', 'someone else\'s'],
      rows.map((r) => [r.vendor, r.region, r.managed, r.unmanaged]),
    ) + `\n${total} mappings in ${rows.length} vendor regions (Cloudflare's cap: 3,500 per zone)`
  );
}

async function watch(rt: Runtime, demo: DemoEnvironment, out: NodeJS.WritableStream): Promise<number> {
  const events = await startEvents(rt.ctx);
  const server = await startAdminServer({ config: rt.ctx.config, logger: rt.ctx.logger, metrics: rt.ctx.metrics, health: rt.health, runtime: rt, events });
  const say = (s = '') => out.write(s + '\n');
  say(`\n${bold('Watching')} (Ctrl-C to stop). Cloud events trigger resyncs within seconds; the full cycle runs every ${formatDuration(rt.ctx.config.schedule.reconcileEveryMs)}.`);
  say(`  dashboard  ${server.url}/`);
  say(`  metrics    ${server.url}/metrics`);
  say(`  queues     ${server.url}/queues  (Bull Board: type the admin token on the dashboard, press "Queues")`);
  say(`  resync     curl -X POST -H 'Authorization: Bearer ${demo.adminToken}' ${server.url}/resync`);
  say(`  edit       ${demo.clouds}`);
  say(`             (what the AWS, GCP, Azure and OCI fakes serve: each turns an edit into its own cloud events)`);
  say(`  edit       ${demo.inventory}  (the file connector's inventory, watched too)`);
  say(`  sources    ${rt.ctx.config.events.sources.map((s) => `${s.name} (${s.type})`).join(', ')}`);
  const stopTelling = tellEvents(rt, say);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  say('\nstopping');
  stopTelling();
  await server.close();
  await events.stop();
  return 0;
}

/** One line per event taken, per plan an event caused, and per batch of its writes. */
function tellEvents(rt: Runtime, say: (s: string) => void): () => void {
  const time = () => new Date().toISOString().slice(11, 19);
  const onEvent = (e: PipelineEvents['event'][0]) => {
    const h = e.hints[0];
    const what = h ? [h.action, h.resource].filter(Boolean).join(' ') || `${h.vendor} ${h.account ?? ''} ${h.region ?? ''}`.trim() : 'file edited';
    const to = e.scopes.length > 0 ? ` → rediscover ${e.scopes.join(', ')}` : '';
    say(`${time()}  event  ${e.source}: ${what} (${e.outcome})${to}`);
  };
  // A pending delete is said once per step (each plan of the zone lists it again).
  const told = new Set<string>();
  const onPlan = (p: PipelineEvents['plan'][0]) => {
    if (p.reason !== 'event' && p.reason !== 'confirm') return;
    const why = p.reason === 'confirm' ? 'confirming scan' : `event ${p.cause?.eventId ?? ''} from ${p.cause?.source ?? '?'}`;
    say(`${time()}  plan   ${p.id} (${why}): ${planSummary(p)}; ${p.status}`);
    for (const s of p.skipped.filter((x) => x.reason === 'tombstone-pending')) {
      if (told.has(`${s.ip} ${s.detail}`)) continue;
      told.add(`${s.ip} ${s.detail}`);
      say(`${time()}         kept for now: ${s.ip}: ${s.detail}`);
    }
  };
  const onBatch = (b: PipelineEvents['batch'][0]) => say(`${time()}  write  ${b.kind} batch ${b.batch + 1}/${b.of}: ${b.succeeded} of ${b.sent} applied${b.failed ? `, ${b.failed} failed` : ''}`);
  rt.ctx.events.on('event', onEvent);
  rt.ctx.events.on('plan', onPlan);
  rt.ctx.events.on('batch', onBatch);
  return () => {
    rt.ctx.events.off('event', onEvent);
    rt.ctx.events.off('plan', onPlan);
    rt.ctx.events.off('batch', onBatch);
  };
}
