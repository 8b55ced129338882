// OCI events end to end: the daemon's runtime with the oci connector against the OCI fake, and the
// oci-streaming source reading the fake's stream. The schedule is an hour, so only events can explain
// what reaches the zone within seconds.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEvents, type Events } from '../../src/events/index.ts';
import { loadInventoryFile } from '../../src/emulators/inventory.ts';
import { startOciFake, writeOciTestCredentials, type OciFake } from '../../src/emulators/oci/index.ts';
import type { OciInventoryInput } from '../../src/emulators/oci/inventory.ts';
import { until } from '../helpers/cli.ts';
import { startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

type Inv = OciInventoryInput;

let h: Harness | undefined;
let ev: Events | undefined;
let oci: OciFake | undefined;
let credsDir: string | undefined;
afterEach(async () => {
  await ev?.stop();
  ev = undefined;
  await h?.close();
  h = undefined;
  await oci?.close();
  oci = undefined;
  if (credsDir) await rm(credsDir, { recursive: true, force: true });
  credsDir = undefined;
});

const NEW_IP = '203.0.113.101';
const held = () => h!.emu.mappings(ZONE).map((m) => `${m.origin_ip} ${m.region}`);
const discovers = async () => (await h!.rt.ctx.queues.discover.getJobCounts('completed')).completed ?? 0;
const idle = async () => {
  const c = await h!.rt.ctx.queues.cycle.getJobCounts('delayed', 'waiting', 'active');
  return (c.delayed ?? 0) + (c.waiting ?? 0) + (c.active ?? 0) === 0;
};

function withNewIp(inv: Inv, displayName = 'new'): Inv {
  return {
    ...inv,
    publicIps: [
      ...(inv.publicIps ?? []),
      { id: 'ocid1.publicip.oc1.iad.aaaaaaaanew1', displayName, region: 'us-ashburn-1', lifetime: 'RESERVED', ipAddress: NEW_IP, assignedEntityType: 'PRIVATE_IP', assignedEntityId: 'ocid1.privateip.oc1.iad.aaaaaaaanew1' },
    ],
  };
}

async function setup(zone: Record<string, unknown>): Promise<Inv> {
  const fixture = (await loadInventoryFile('test/fixtures/inventory-oci.yaml')).oci as Inv;
  credsDir = await mkdtemp(join(tmpdir(), 'ors-oci-e2e-'));
  const creds = await writeOciTestCredentials(credsDir, { tenancy: fixture.tenancy, region: 'us-ashburn-1' });
  const base: Inv = { ...fixture, apiKeys: [creds.publicKey] };
  oci = await startOciFake({ inventory: base, pageSize: 100 });
  h = await startHarness({
    zones: [zoneYaml({ select: { connectors: ['oci'] }, guard: { maxChangeFraction: 1 }, ...zone })],
    connectors: [{ name: 'oci', type: 'oci', configFile: creds.configFile, endpoint: `${oci.url}/{region}` }],
    config: {
      schedule: { reconcileEvery: '1h' },
      events: {
        debounce: '300ms',
        confirmAfter: '1s',
        sources: [{ name: 'oci-events', type: 'oci-streaming', streamId: oci.streamId, messagesEndpoint: oci.messagesEndpoint, configFile: creds.configFile, pollInterval: '200ms' }],
      },
    },
  });
  const first = await h.once();
  expect(first.cycle.scopes.map((s) => `${s.scope} ${s.status}`)).toEqual([
    'oci/oci/ocid1.tenancy.oc1..aaaaaaaaexampletenancy/ap-tokyo-1 complete',
    'oci/oci/ocid1.tenancy.oc1..aaaaaaaaexampletenancy/eu-frankfurt-1 complete',
    'oci/oci/ocid1.tenancy.oc1..aaaaaaaaexampletenancy/us-ashburn-1 complete',
  ]);
  ev = await startEvents(h.rt.ctx, { watchFiles: false });
  await until(async () => (await h!.rt.ctx.state.eventSources.list()).some((r) => r.source === 'oci-events' && r.state === 'up'), { timeoutMs: 10_000, what: 'the source up' });
  return base;
}

describe('oci events end to end', () => {
  it('a new public IP reaches the zone within seconds; its release is removed after the confirming scan', { timeout: 60_000 }, async () => {
    const base = await setup({ deleteAfterMissedScans: 2, deleteGrace: '1s' });
    expect(held()).not.toContain(`${NEW_IP} us-ashburn-1`);

    const added = Date.now();
    oci!.setInventory(withNewIp(base));
    await until(() => held().includes(`${NEW_IP} us-ashburn-1`), { timeoutMs: 10_000, what: 'the new IP in the zone' });
    expect(Date.now() - added).toBeLessThan(5_000);
    // Only the region the event named was scanned again.
    const plans = await h!.rt.ctx.state.plans.list(ZONE, 20);
    expect(plans.some((p) => p.reason === 'event')).toBe(true);

    await until(idle, { timeoutMs: 10_000, what: 'the confirming scan of the add' });
    const removed = Date.now();
    oci!.setInventory(base);
    await until(() => !held().includes(`${NEW_IP} us-ashburn-1`), { timeoutMs: 20_000, what: 'the released IP deleted' });
    // Two complete scans a second apart (confirmAfter and deleteGrace): not at the first scan, long before the hour.
    expect(Date.now() - removed).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - removed).toBeLessThan(10_000);
    const after = await h!.rt.ctx.state.plans.list(ZONE, 20);
    expect(after.some((p) => p.reason === 'confirm' && p.deletes.length === 1)).toBe(true);
  });

  it('a burst of 200 events costs a few scans of one region and no Cloudflare write', { timeout: 60_000 }, async () => {
    const base = await setup({});
    oci!.setInventory(withNewIp(base));
    await until(() => held().includes(`${NEW_IP} us-ashburn-1`), { timeoutMs: 10_000, what: 'the new IP in the zone' });
    await until(idle, { timeoutMs: 10_000, what: 'the add settled' });
    await new Promise((r) => setTimeout(r, 1_200));
    await until(idle, { timeoutMs: 10_000, what: 'its confirming scan' });

    const scans0 = await discovers();
    const lists0 = oci!.operationCount('listPublicIps');
    const writes0 = h!.writes();
    // 200 renames of the address: 200 updatepublicip events, and nothing for the zone to change.
    for (let i = 0; i < 200; i++) expect(oci!.setInventory(withNewIp(base, `renamed-${i}`))).toBe(1);
    await until(
      async () => {
        const m = await h!.rt.ctx.metrics.registry.getSingleMetricAsString('ors_events_total');
        const n = [...m.matchAll(/source="oci-events"[^}]*outcome="(?:enqueued|coalesced)"} (\d+)/g)].reduce((a, x) => a + Number(x[1]), 0);
        return n >= 201;
      },
      { timeoutMs: 20_000, what: 'the 200 events taken' },
    );
    await new Promise((r) => setTimeout(r, 1_500)); // the confirming scan's delay
    await until(idle, { timeoutMs: 15_000, what: 'the burst settled' });

    const scans = (await discovers()) - scans0;
    const lists = oci!.operationCount('listPublicIps') - lists0;
    expect(scans).toBeGreaterThanOrEqual(2); // the event's scan and its confirmation
    expect(scans).toBeLessThanOrEqual(5);
    // One ashburn scan lists 4 compartments × (the region + 3 availability domains): 16 ListPublicIps.
    expect(lists).toBe(16 * scans);
    expect(h!.writes() - writes0).toBe(0);
  });
});
