import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startAwsFake } from '../../src/emulators/aws/index.ts';
import { startAzureFake } from '../../src/emulators/azure/index.ts';
import { startGcpFake } from '../../src/emulators/gcp/index.ts';
import { loadInventoryFile, type Inventory } from '../../src/emulators/inventory.ts';
import { writeOciTestCredentials } from '../../src/emulators/oci/credentials.ts';
import { startOciFake } from '../../src/emulators/oci/index.ts';
import { startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

// Per vendor: inventory → fake → the official SDK → connector → pipeline → the emulator's zone.

interface Fake {
  url: string;
  close(): Promise<void>;
}

interface VendorCase {
  vendor: 'aws' | 'gcp' | 'azure' | 'oci';
  /** The fixture as served first, without its faults; `faulted` is served second. */
  faulted: (inv: Inventory) => Inventory;
  start: (inv: Inventory, port: number) => Promise<Fake & { caPem?: string }>;
  connector: (url: string, dir: string, fake: Fake & { caPem?: string }) => Promise<Record<string, unknown>>;
  /** Origins that must be in the zone (canonical spellings of what the inventory writes otherwise). */
  present: string[];
  /** What must be skipped, with its reason, and stay out of the zone. */
  skipped: Array<[string, string]>;
  /** What the connector's tag filter leaves out. */
  filteredOut: string[];
}

const fixture = (vendor: string) => fileURLToPath(new URL(`../fixtures/inventory-${vendor}.yaml`, import.meta.url));

function withoutFaults(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutFaults);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'faults' && k !== 'fault').map(([k, x]) => [k, withoutFaults(x)]));
  return v;
}

process.env.ORS_E2E_AWS_KEY = 'AKIDE2E0000000000001';
process.env.ORS_E2E_AWS_SECRET = 'e2e-secret-value-0001';
process.env.ORS_E2E_AZURE_TOKEN = 'e2e-azure-token';

const CASES: VendorCase[] = [
  {
    vendor: 'aws',
    faulted: (inv) => inv, // ap-southeast-2 denied by an SCP, eu-central-1 throttled (partial)
    start: (inventory, port) => startAwsFake({ inventory, port, pageSize: 2 }),
    connector: async (url) => ({
      name: 'aws',
      type: 'aws',
      endpoint: url,
      accounts: [{ roleArn: 'arn:aws:iam::111122223333:role/origin-region-sync' }, { roleArn: 'arn:aws:iam::444455556666:role/origin-region-sync', externalId: 'ors-demo-7f3a' }],
      credentials: { accessKeyIdEnv: 'ORS_E2E_AWS_KEY', secretAccessKeyEnv: 'ORS_E2E_AWS_SECRET' },
      tags: { 'cf-origin': 'true' },
    }),
    present: ['203.0.113.100', '2001:db8:a1::100', '2001:db8:a1:1::120', '203.0.113.120', '192.0.2.150'],
    skipped: [
      ['198.51.100.115', 'anycast'],
      ['fd00:ec2:a1::107', 'not-public'],
    ],
    filteredOut: ['198.51.100.105'],
  },
  {
    vendor: 'gcp',
    faulted: (inv) => inv, // analytics-789 answers 403, asia-east1 of staging is unreachable (partial)
    start: (inventory, port) => startGcpFake({ inventory, port, pageSize: 2 }),
    connector: async (url) => ({ name: 'gcp', type: 'gcp', projects: ['shop-prod-123', 'shop-staging-456', 'analytics-789'], endpoint: url, tags: { 'cf-origin': 'true' } }),
    present: ['203.0.113.10', '2001:db8:10::', '2001:db8:20::', '203.0.113.50', '2001:db8:30::'],
    skipped: [
      ['203.0.113.200', 'anycast'],
      ['2001:db8:ffff::', 'anycast'],
      ['10.128.0.50', 'not-public'],
    ],
    filteredOut: [],
  },
  {
    vendor: 'azure',
    faulted: (inv) => inv, // the sandbox subscription answers AuthorizationFailed
    start: (inventory, port) => startAzureFake({ inventory, port, pageSize: 2, token: process.env.ORS_E2E_AZURE_TOKEN! }),
    connector: async (url, dir, fake) => {
      await writeFile(join(dir, 'azure-ca.pem'), fake.caPem!);
      return { name: 'azure', type: 'azure', subscriptions: ['*'], endpoint: url, caFile: join(dir, 'azure-ca.pem'), tokenEnv: 'ORS_E2E_AZURE_TOKEN' };
    },
    present: ['2001:db8:10::10'],
    skipped: [
      ['198.51.100.30', 'anycast'],
      ['10.20.30.40', 'not-public'],
    ],
    filteredOut: [],
  },
  {
    vendor: 'oci',
    faulted: (inv) => {
      const copy = structuredClone(inv) as { oci: { regions: Record<string, Record<string, unknown>> } };
      copy.oci.regions['eu-frankfurt-1']!.fault = { status: 404 }; // the region stops answering
      return copy as Inventory;
    },
    start: (inventory, port) => startOciFake({ inventory, port, pageSize: 2 }),
    connector: async (url, dir) => {
      const creds = await writeOciTestCredentials(join(dir, 'oci'), { tenancy: 'ocid1.tenancy.oc1..aaaaaaaaexampletenancy', region: 'us-ashburn-1' });
      return { name: 'oci', type: 'oci', configFile: creds.configFile, endpoint: `${url}/{region}` };
    },
    present: ['2001:db8:0:10::a', '198.51.100.10'],
    skipped: [
      ['203.0.113.11', 'unassigned'],
      ['2001:db8:0:11::5', 'not-public'],
    ],
    filteredOut: [],
  },
];

let h: Harness | undefined;
const fakes: Fake[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
  await h?.close();
  h = undefined;
});

const zoneIps = () => h!.emu.mappings(ZONE).map((m) => `${m.origin_ip} ${m.vendor} ${m.region}`).sort();

describe.each(CASES)('$vendor end to end', (c) => {
  it('puts exactly what the cloud holds into the zone, skips with reasons, and a failed scope deletes nothing', { timeout: 120_000 }, async () => {
    const inventory = await loadInventoryFile(fixture(c.vendor));
    const first = await c.start(withoutFaults(inventory) as Inventory, 0);
    fakes.push(first);
    const files = await mkdtemp(join(tmpdir(), `ors-${c.vendor}-`));
    h = await startHarness({
      zones: [zoneYaml({ select: { connectors: [c.vendor] }, deleteAfterMissedScans: 1, guard: { maxChangeFraction: 1 } })],
      connectors: [await c.connector(first.url, files, first)],
    });

    // 1. Everything answers: the zone holds exactly what the scans found, in canonical form.
    const one = await h.once();
    expect(one.cycle.scopes.every((s) => s.status === 'complete'), JSON.stringify(one.cycle.scopes)).toBe(true);
    expect(one.zones[0]!.result.status).toBe('applied');
    const scopes = await h.rt.ctx.state.snapshots.getScopeViews(one.cycle.scopes.map((s) => ({ id: s.scope, connector: c.vendor })));
    const found = scopes.flatMap((v) => v.origins.map((o) => `${o.ip} ${o.vendor} ${o.region}`)).sort();
    expect(found.length).toBeGreaterThan(0);
    expect(zoneIps()).toEqual([...new Set(found)].sort());
    const held = new Set(h.emu.mappings(ZONE).map((m) => m.origin_ip));
    for (const ip of c.present) expect(held.has(ip), ip).toBe(true);
    for (const ip of c.filteredOut) expect(held.has(ip), ip).toBe(false);
    const plan = one.zones[0]!.plan!;
    for (const [ip, reason] of c.skipped) {
      expect(held.has(ip), ip).toBe(false);
      expect(plan.skipped, `${ip} ${reason}`).toContainEqual(expect.objectContaining({ ip, reason }));
    }

    // 2. The same cloud with a scope failing: its last good snapshot stays, nothing is deleted.
    const before = zoneIps();
    await first.close();
    fakes.pop();
    const second = await c.start(c.faulted(inventory), Number(new URL(first.url).port));
    fakes.push(second);
    const two = await h.once();
    const broken = two.cycle.scopes.filter((s) => s.status !== 'complete');
    expect(broken.length, JSON.stringify(two.cycle.scopes)).toBeGreaterThan(0);
    const registry = await h.rt.ctx.state.registry.get(ZONE);
    const inBroken = [...registry.entries()].filter(([, e]) => broken.some((b) => b.scope === e.scope));
    expect(inBroken.length).toBeGreaterThan(0); // the failing scopes did hold origins
    expect(two.zones[0]!.plan!.deletes).toEqual([]);
    expect(zoneIps()).toEqual(before);
  });
});
