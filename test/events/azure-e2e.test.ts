import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventSource, sourceSchema } from '../../connectors/azure/events.ts';
import { startAzurite, type Azurite } from '../../src/emulators/azure/azurite.ts';
import { startAzureFake, type AzureFake } from '../../src/emulators/azure/index.ts';
import { startEvents, type Events } from '../../src/events/index.ts';
import { until } from '../helpers/cli.ts';
import { startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

// End to end, with the schedule an hour away so only events can explain what happens:
// the Azure fake's inventory changes → its Event Grid → Azurite queue → azure-storage-queue source (the
// official SDK) → intake → targeted discover through @azure/arm-network against the fake → the zone.

const SUB = '6b1f3c2e-8d4a-4b7e-9f10-2a3b4c5d6e7f';
const OTHER = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const QUEUE = 'ors-events';

process.env['ORS_E2E_AZURE_TOKEN'] = 'e2e-azure-token';

type Pip = { name: string; resourceGroup: string; location: string; ipAddress: string };
const pip = (i: number, location = 'eastus'): Pip => ({ name: `pip-${i}`, resourceGroup: 'web', location, ipAddress: `203.0.${113 + (i >> 8)}.${i & 255}` });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => pip(from + k));
const inventory = (ips: Pip[], other: Pip[] = [{ name: 'other', resourceGroup: 'rg', location: 'westeurope', ipAddress: '198.51.100.77' }]) => ({
  azure: { subscriptions: { [SUB]: { publicIPAddresses: ips }, [OTHER]: { publicIPAddresses: other } } },
});

let azurite: Azurite;
let fake: AzureFake;
let h: Harness;
let ev: Events;
let dir: string;

const held = () => new Map(h.emu.mappings(ZONE).map((m) => [m.origin_ip, m.region]));

beforeAll(async () => {
  azurite = await startAzurite();
  process.env['ORS_E2E_AZURE_QUEUE'] = azurite.connectionString;
  fake = await startAzureFake({ inventory: inventory(range(1, 3)), token: 'e2e-azure-token', events: { connectionString: azurite.connectionString, queue: QUEUE } });
  dir = await mkdtemp(join(tmpdir(), 'ors-azure-e2e-'));
  await writeFile(join(dir, 'azure-ca.pem'), fake.caPem);
  h = await startHarness({
    connectors: [{ name: 'azure', type: 'azure', subscriptions: [SUB, OTHER], endpoint: fake.url, caFile: join(dir, 'azure-ca.pem'), tokenEnv: 'ORS_E2E_AZURE_TOKEN' }],
    zones: [zoneYaml({ select: { connectors: ['azure'] }, deleteAfterMissedScans: 2, deleteGrace: '2s' })],
    config: {
      schedule: { reconcileEvery: '1h' },
      events: {
        debounce: '300ms',
        confirmAfter: '1s',
        sources: [{ name: 'azure-events', type: 'azure-storage-queue', queueUrl: azurite.queueUrl(QUEUE), connectionStringEnv: 'ORS_E2E_AZURE_QUEUE', pollInterval: '100ms', visibilityTimeout: '3s' }],
      },
    },
  });
  await h.once();
  ev = await startEvents(h.rt.ctx, { watchFiles: false });
}, 60_000);

afterAll(async () => {
  await ev?.stop();
  await h?.close();
  await fake?.close();
  await azurite?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every queued and scheduled cycle done (the confirming scans included). */
async function settled(): Promise<void> {
  await until(async () => {
    const c = await h.rt.ctx.queues.cycle.getJobCounts('delayed', 'waiting', 'active');
    const d = await h.rt.ctx.queues.discover.getJobCounts('waiting', 'active', 'delayed');
    return Object.values(c).every((n) => n === 0) && Object.values(d).every((n) => n === 0);
  }, { timeoutMs: 20_000, what: 'cycles settled' });
}

describe('azure events end to end (Event Grid on Azurite → targeted resync)', () => {
  it('starts from the scheduled scan: both subscriptions in the zone, the source up', async () => {
    expect([...held().keys()].sort()).toEqual(['198.51.100.77', '203.0.113.1', '203.0.113.2']);
    await until(async () => (await h.rt.ctx.state.eventSources.list()).some((r) => r.source === 'azure-events' && r.state === 'up'), { timeoutMs: 5_000, what: 'source reported up' });
  });

  it('a public IP added in the fake reaches the zone within seconds, rediscovering only its subscription', { timeout: 30_000 }, async () => {
    const otherLists = fake.listRequestCount(OTHER);
    const t0 = Date.now();
    expect(await fake.setInventory(inventory(range(1, 4)))).toBe(1);
    await until(() => held().has('203.0.113.3'), { timeoutMs: 10_000, pollMs: 20, what: 'the new address in the zone' });
    const latency = Date.now() - t0;
    expect(latency).toBeLessThan(5_000);
    expect(held().get('203.0.113.3')).toBe('eastus');
    await settled();
    expect(fake.listRequestCount(OTHER)).toBe(otherLists);
    console.info(`azure e2e: add → zone in ${latency} ms (debounce 300 ms)`);
  });

  it('a region change moves the mapping; a delete is removed only after the confirming scan and deleteGrace', { timeout: 40_000 }, async () => {
    await fake.setInventory(inventory([pip(1), pip(2), pip(3, 'westus2')]));
    await until(() => held().get('203.0.113.3') === 'westus2', { timeoutMs: 10_000, what: 'the region change' });
    await settled();
    const t0 = Date.now();
    await fake.setInventory(inventory([pip(1), pip(2)]));
    await until(() => !held().has('203.0.113.3'), { timeoutMs: 20_000, what: 'the deleted address removed' });
    const took = Date.now() - t0;
    // Two complete scans spanning deleteGrace (2 s): never on the event's own scan, long before the hour.
    expect(took).toBeGreaterThanOrEqual(2_000);
    expect(took).toBeLessThan(12_000);
    const plans = await h.rt.ctx.state.plans.list(ZONE, 50);
    expect(plans.some((p) => p.reason === 'confirm' && p.deletes.length === 1)).toBe(true);
    console.info(`azure e2e: delete → removed in ${took} ms (confirmAfter 1 s, deleteGrace 2 s)`);
  });

  it('a burst of 200 events costs a handful of discovers of that one subscription', { timeout: 60_000 }, async () => {
    await settled();
    const lists = fake.listRequestCount(SUB);
    const otherLists = fake.listRequestCount(OTHER);
    const writesBefore = h.writes();
    const t0 = Date.now();
    // A deployment that creates 200 addresses: 200 events, delivered as fast as Azurite takes them.
    const sentBefore = fake.eventsSent();
    expect(await fake.setInventory(inventory(range(1, 203)))).toBe(200);
    expect(fake.eventsSent() - sentBefore).toBe(200);
    // pip-1 … pip-202 in this subscription, and the other subscription's one.
    await until(() => held().size === 202 + 1, { timeoutMs: 30_000, what: 'all 202 addresses of the subscription in the zone' });
    const converged = Date.now() - t0;
    await settled();
    const discovers = fake.listRequestCount(SUB) - lists;
    expect(discovers).toBeGreaterThanOrEqual(1);
    // Seen: 6 (the burst spans ~2.5 s of Azurite writes: a few debounced scans, each confirmed once).
    expect(discovers).toBeLessThanOrEqual(8);
    expect(fake.listRequestCount(OTHER)).toBe(otherLists);
    // Never more Cloudflare writes than the diff needs: 200 upserts, in batches of at most 100 per request.
    const writes = h.writes() - writesBefore;
    console.info(`azure e2e: 200 events → ${discovers} discovers, ${writes} Cloudflare writes, converged in ${converged} ms`);
    expect(writes).toBeLessThanOrEqual(discovers + 2);
    const q = new QueueClient(azurite.connectionString, QUEUE);
    await until(async () => (await q.getProperties()).approximateMessagesCount === 0, { timeoutMs: 10_000, what: 'queue drained' });
  });

  it('a malformed message is counted and deleted, and the events behind it still land', { timeout: 30_000 }, async () => {
    const q = new QueueClient(azurite.connectionString, QUEUE);
    await q.sendMessage('definitely not an event');
    await fake.setInventory(inventory([...range(1, 204), pip(900)]));
    await until(() => held().has('203.0.116.132'), { timeoutMs: 10_000, what: 'the address after the malformed message' });
    const metrics = await h.rt.ctx.metrics.registry.getSingleMetricAsString('ors_events_total');
    expect(metrics).toMatch(/source="azure-events",outcome="malformed"} 1|outcome="malformed",source="azure-events"} 1/);
    await until(async () => (await q.getProperties()).approximateMessagesCount === 0, { timeoutMs: 10_000, what: 'queue drained' });
  });

  it('a consumer that dies between receive and enqueue loses nothing: the message comes back to the next one', { timeout: 40_000 }, async () => {
    // The daemon's own consumer steps aside; a doomed one receives the event and never hands it on.
    await ev.stop();
    let die: (err: Error) => void = () => {};
    const doomed = createEventSource(sourceSchema.parse({ name: 'azure-events', type: 'azure-storage-queue', queueUrl: azurite.queueUrl(QUEUE), connectionStringEnv: 'ORS_E2E_AZURE_QUEUE', visibilityTimeout: '3s', pollInterval: '100ms' }), {
      sink: { take: () => new Promise((_, reject) => (die = reject)) },
      health: { up() {}, down() {}, lag() {} },
      logger: pino({ level: 'silent' }),
      configDir: dir,
      env: process.env,
    });
    let received = false;
    const q = new QueueClient(azurite.connectionString, QUEUE);
    doomed.start();
    await fake.setInventory(inventory([...range(1, 204), pip(900), pip(901)]));
    await until(async () => (received = (await q.peekMessages()).peekedMessageItems.length === 0 && (await q.getProperties()).approximateMessagesCount === 1), { timeoutMs: 10_000, what: 'the doomed consumer holding the message' });
    expect(received).toBe(true);
    // Killed: it never acknowledges. A restarted daemon gets the message once the visibility timeout ends.
    die(new Error('killed'));
    await doomed.stop();
    const t0 = Date.now();
    ev = await startEvents(h.rt.ctx, { watchFiles: false });
    await until(() => held().has('203.0.116.133'), { timeoutMs: 15_000, what: 'the change after the restart' });
    console.info(`azure e2e: redelivered and applied ${Date.now() - t0} ms after the restart (visibilityTimeout 3 s)`);
  });
});
