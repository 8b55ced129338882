import { afterEach, describe, expect, it } from 'vitest';
import { startGcpFake, type GcpFake } from '../../src/emulators/gcp/index.ts';
import { startEvents, type Events } from '../../src/events/index.ts';
import { until } from '../helpers/cli.ts';
import { startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

// End to end, with the schedule an hour away so only events can explain what happens: the GCP fake's
// inventory changes → its audit entries on the Pub/Sub emulator → the gcp-pubsub source (official
// client) → the intake → a targeted discover through the gcp connector (official compute client,
// against the same fake) → reconcile → the Cloudflare emulator's zone.

const P = 'shop-prod-123';

let fake: GcpFake | undefined;
let h: Harness | undefined;
let ev: Events | undefined;
afterEach(async () => {
  await ev?.stop();
  ev = undefined;
  await h?.close();
  h = undefined;
  await fake?.close();
  fake = undefined;
});

type Address = { name: string; region: string; address: string };
const address = (i: number, region = 'us-central1'): Address => ({ name: `ip-${i}`, region, address: `34.118.${i >> 8}.${i & 255}` });
const inventory = (addresses: Address[]) => ({ projects: { [P]: { addresses } } });
const held = (hh: Harness) => hh.emu.mappings(ZONE).map((m) => m.origin_ip).sort();

async function setup(addresses: Address[]) {
  // Page size 500: one discover is one request per aggregated list, so list requests count discovers.
  fake = await startGcpFake({ inventory: inventory(addresses), events: true, pageSize: 500 });
  h = await startHarness({
    connectors: [{ name: 'gcp-main', type: 'gcp', projects: [P], endpoint: fake.url }],
    zones: [zoneYaml({ deleteAfterMissedScans: 2, deleteGrace: '2s', select: { connectors: ['gcp-main'] } })],
    config: {
      schedule: { reconcileEvery: '1h' },
      events: {
        debounce: '300ms',
        confirmAfter: '1s',
        sources: [{ name: 'gcp-events', type: 'gcp-pubsub', subscription: fake.events!.subscription, endpoint: fake.pubsubHost }],
      },
    },
  });
  await h.once();
  expect(held(h)).toHaveLength(addresses.length);
  ev = await startEvents(h.rt.ctx, { watchFiles: false });
  const f = fake;
  await until(() => f.pubsub!.streams(f.events!.subscription) > 0, { timeoutMs: 10_000, what: 'the source streaming' });
  return { fake: f, h };
}

describe('gcp events end to end', () => {
  it('an address added in the fake reaches the zone within seconds; a release is removed after confirmAfter and deleteGrace', { timeout: 60_000 }, async () => {
    const start = [address(1), address(2)];
    const { fake, h } = await setup(start);

    const added = Date.now();
    fake.setInventory(inventory([...start, address(3, 'europe-west1')]));
    await until(() => held(h).length === 3, { timeoutMs: 10_000, what: 'the added address in the zone' });
    expect(Date.now() - added).toBeLessThan(5_000);
    const mapping = h.emu.mappings(ZONE).find((m) => m.origin_ip === address(3).address);
    expect(mapping).toMatchObject({ vendor: 'gcp', region: 'europe-west1' });

    const removed = Date.now();
    fake.setInventory(inventory(start));
    await until(() => held(h).length === 2, { timeoutMs: 20_000, what: 'the released address removed' });
    expect(Date.now() - removed).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - removed).toBeLessThan(10_000);
    const plans = await h.rt.ctx.state.plans.list(ZONE, 20);
    expect(plans.some((p) => p.reason === 'event')).toBe(true);
    expect(plans.some((p) => p.reason === 'confirm' && p.deletes.length === 1)).toBe(true);

    await until(async () => (await h.rt.ctx.state.eventSources.list()).some((r) => r.source === 'gcp-events' && r.state === 'up'), { timeoutMs: 10_000, what: 'the source reported up' });
    expect(fake.pubsub!.backlog(fake.events!.subscription)).toBe(0);
  });

  it('a burst of 200 audit entries costs a handful of discovers; a malformed message is counted and the next change still lands', { timeout: 60_000 }, async () => {
    const start = [address(1)];
    const { fake, h } = await setup(start);
    const listsBefore = fake.listRequests('addresses');

    // 100 reservations in one edit: 100 operations, a first and a last entry each.
    const burst = [...start, ...Array.from({ length: 100 }, (_, i) => address(10 + i))];
    fake.setInventory(inventory(burst));
    await until(() => held(h).length === 101, { timeoutMs: 20_000, what: 'the burst in the zone' });
    await until(() => fake.pubsub!.backlog(fake.events!.subscription) === 0, { timeoutMs: 10_000, what: 'every entry acknowledged' });
    await new Promise((r) => setTimeout(r, 2_000)); // room for the confirming scan
    const discovers = fake.listRequests('addresses') - listsBefore;
    expect(discovers).toBeGreaterThanOrEqual(1);
    expect(discovers).toBeLessThanOrEqual(5);

    fake.publishRaw('{"this is": not a log entry');
    fake.setInventory(inventory([...burst, address(200, 'asia-east1')]));
    await until(() => held(h).length === 102, { timeoutMs: 10_000, what: 'the change after the malformed message' });
    const metrics = await h.rt.ctx.metrics.registry.getSingleMetricAsString('ors_events_total');
    expect(metrics).toMatch(/source="gcp-events"[^}]*outcome="malformed"[^}]*} 1|outcome="malformed"[^}]*source="gcp-events"[^}]*} 1/);
    expect(metrics).toMatch(/outcome="ignored"/); // the operations' first entries
  });
});
