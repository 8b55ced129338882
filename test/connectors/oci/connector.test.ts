// OCI end to end: inventory → OCI fake (real HTTP) → official oci-core / oci-identity SDK → connector → ScanResult.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanResult, Scope } from '../../../connectors/connector.ts';
import { create, type Config } from '../../../connectors/oci/index.ts';
import { loadInventoryFile } from '../../../src/emulators/inventory.ts';
import { compareIps, mustCanonicalIp } from '../../../src/model/index.ts';
import { startOciFake, writeOciTestCredentials, type OciFake, type OciTestCredentials } from '../../../src/emulators/oci/index.ts';
import type { OciInventoryInput } from '../../../src/emulators/oci/inventory.ts';

const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaaexampletenancy';
const PROD = 'ocid1.compartment.oc1..aaaaaaaaprod';
const PROD_WEB = 'ocid1.compartment.oc1..aaaaaaaaprodweb';

let dir: string;
let creds: OciTestCredentials;
let fixture: OciInventoryInput;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-connector-'));
  creds = await writeOciTestCredentials(join(dir, 'creds'), { tenancy: TENANCY, region: 'us-ashburn-1' });
  fixture = (await loadInventoryFile('test/fixtures/inventory-oci.yaml')).oci as OciInventoryInput;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A deep copy of the fixture section, changed by `edit`, with signature verification on. */
function inventory(edit?: (inv: Required<OciInventoryInput>) => void): OciInventoryInput {
  const inv = structuredClone(fixture) as Required<OciInventoryInput>;
  inv.apiKeys = [creds.publicKey];
  edit?.(inv);
  return inv;
}

async function withFake<T>(inv: unknown, fn: (fake: OciFake) => Promise<T>, pageSize?: number): Promise<T> {
  const fake = await startOciFake({ inventory: inv, ...(pageSize ? { pageSize } : {}) });
  try {
    return await fn(fake);
  } finally {
    await fake.close();
  }
}

function connector(fake: OciFake, extra: Partial<Config> = {}) {
  const config: Config = { name: 'oci-main', type: 'oci', configFile: creds.configFile, endpoint: `${fake.url}/{region}`, ...extra };
  return create(config, { configDir: dir, logger: pino({ level: 'silent' }), env: {} });
}

const signal = () => AbortSignal.timeout(10_000);

function scope(region: string): Scope {
  return { id: `oci-main/oci/${TENANCY}/${region}`, connector: 'oci-main', vendor: 'oci', account: TENANCY, region };
}

async function discoverAll(fake: OciFake, extra: Partial<Config> = {}): Promise<Record<string, ScanResult>> {
  const c = connector(fake, extra);
  const out: Record<string, ScanResult> = {};
  for (const s of await c.listScopes(signal())) out[s.region] = await c.discover(s, signal());
  await c.close?.();
  return out;
}

const ips = (r: ScanResult | undefined) => (r?.origins ?? []).map((o) => o.ip).sort(compareIps);

describe('oci connector: scopes', () => {
  it('lists one scope per READY subscribed region, ids <name>/oci/<tenancy>/<region>', async () => {
    await withFake(inventory(), async (fake) => {
      const scopes = await connector(fake).listScopes(signal());
      expect(scopes).toEqual(['ap-tokyo-1', 'eu-frankfurt-1', 'us-ashburn-1'].map(scope));
    });
  });

  it('filters regions with wildcards', async () => {
    await withFake(inventory(), async (fake) => {
      const scopes = await connector(fake, { regions: ['eu-*', 'us-ashburn-1', 'sa-*'] }).listScopes(signal());
      // sa-saopaulo-1 matches but its subscription is IN_PROGRESS.
      expect(scopes.map((s) => s.region)).toEqual(['eu-frankfurt-1', 'us-ashburn-1']);
    });
  });

  it('throws a clear error when the region subscriptions cannot be listed', async () => {
    const inv = inventory((i) => (i.fault = { status: 404, code: 'NotAuthorizedOrNotFound', operations: ['listRegionSubscriptions'] }));
    await withFake(inv, async (fake) => {
      await expect(connector(fake).listScopes(signal())).rejects.toThrow(/oci-main.*region subscriptions.*404 NotAuthorizedOrNotFound/);
    });
  });
});

describe('oci connector: discovery', () => {
  it('finds exactly the expected origins of every region, with canonical IPv6, tags and sources', async () => {
    await withFake(inventory(), async (fake) => {
      const results = await discoverAll(fake);
      expect(Object.keys(results).sort()).toEqual(['ap-tokyo-1', 'eu-frankfurt-1', 'us-ashburn-1']);
      for (const r of Object.values(results)) expect(r.status).toBe('complete');

      const ashburn = results['us-ashburn-1'];
      expect(ips(ashburn)).toEqual(['203.0.113.10', '203.0.113.20', '203.0.113.30', '203.0.113.31', '2001:db8:0:10::a']);
      const byIp = new Map(ashburn?.origins.map((o) => [o.ip, o]));
      expect(byIp.get('203.0.113.10')).toEqual({
        ip: '203.0.113.10',
        vendor: 'oci',
        region: 'us-ashburn-1',
        scope: scope('us-ashburn-1').id,
        source: 'ocid1.publicip.oc1.iad.aaaaaaaaweb1 (reserved public IP on PRIVATE_IP)',
        tags: { 'cf-origin': 'true', app: 'shop' },
      });
      expect(byIp.get('203.0.113.20')?.source).toBe('ocid1.publicip.oc1.iad.aaaaaaaanat (ephemeral public IP on NAT_GATEWAY)');
      expect(byIp.get('203.0.113.30')?.tags).toEqual({ 'Operations.cf-origin': 'true' });
      // Written 2001:0DB8:0000:0010:0000:0000:0000:000A in the inventory and answered that way by the fake.
      expect(byIp.get('2001:db8:0:10::a')).toMatchObject({ source: 'ocid1.ipv6.oc1.iad.aaaaaaaaweb1 (IPv6 on ocid1.vnic.oc1.iad.aaaaaaaaweb1)', region: 'us-ashburn-1' });

      expect(ashburn?.skipped.map((s) => [s.ip, s.reason])).toEqual([
        ['203.0.113.11', 'unassigned'],
        ['2001:db8:0:11::5', 'not-public'],
      ]);
      expect(ashburn?.skipped[0]?.detail).toMatch(/AVAILABLE, not ASSIGNED/);
      expect(ashburn?.skipped[1]?.detail).toMatch(/prohibits internet ingress/);

      expect(results['eu-frankfurt-1']?.origins.map((o) => [o.ip, o.region])).toEqual([
        ['198.51.100.10', 'eu-frankfurt-1'],
        ['198.51.100.20', 'eu-frankfurt-1'],
      ]);
      expect(ips(results['ap-tokyo-1'])).toEqual(['192.0.2.10']);
    });
  });

  it('depends on no optional filter: an endpoint refusing `lifetime` gives the same origins, pages asked 1000 at a time', async () => {
    const plain = await withFake(inventory(), (fake) => discoverAll(fake));
    const strict = await withFake(
      inventory((i) => ((i as { unsupportedParams?: string[] }).unsupportedParams = ['lifetime'])),
      (fake) => discoverAll(fake),
      1000,
    );
    expect(Object.keys(strict).sort()).toEqual(Object.keys(plain).sort());
    for (const [region, r] of Object.entries(strict)) {
      expect(r.status, `${region}: ${r.error ?? ''}`).toBe('complete');
      expect(ips(r)).toEqual(ips(plain[region]));
      expect(r.skipped.map((x) => x.ip).sort()).toEqual((plain[region]?.skipped ?? []).map((x) => x.ip).sort());
    }
    // A `limit` outside 1–1000 is refused, as OCI refuses it: the connector's 1000 is accepted.
    expect(Object.values(strict).every((r) => r.error === undefined)).toBe(true);
  });

  it('keeps only resources whose freeform or defined tags match the filter', async () => {
    await withFake(inventory(), async (fake) => {
      const regions = ['us-ashburn-1', 'eu-frankfurt-1'];
      const freeform = await discoverAll(fake, { regions, tags: { 'cf-origin': 'true' } });
      expect(ips(freeform['us-ashburn-1'])).toEqual(['203.0.113.10', '2001:db8:0:10::a']);
      // A matching but unassigned address is still reported as skipped; non-matching ones are not origins at all.
      expect(freeform['us-ashburn-1']?.skipped.map((s) => s.ip)).toEqual(['203.0.113.11']);
      expect(ips(freeform['eu-frankfurt-1'])).toEqual(['198.51.100.10']);

      const defined = await discoverAll(fake, { regions, tags: { 'Operations.cf-origin': 'true' } });
      expect(ips(defined['us-ashburn-1'])).toEqual(['203.0.113.30']);
      expect(ips(defined['eu-frankfurt-1'])).toEqual([]);

      const anyValue = await discoverAll(fake, { regions: ['us-ashburn-1'], tags: { app: '*' } });
      expect(ips(anyValue['us-ashburn-1'])).toEqual(['203.0.113.10', '2001:db8:0:10::a']);
    });
  });

  it('follows every page of compartments, public IPs (each kind), subnets and IPv6 addresses', async () => {
    const region = 'eu-frankfurt-1';
    const ad = 'Uocm:EU-FRANKFURT-1-AD-1';
    const inv = inventory((i) => {
      i.publicIps = [];
      i.subnets = [];
      i.ipv6 = [];
      // 12 compartments below the root: three pages of five.
      for (let c = 0; c < 12; c++) i.compartments.push({ id: `ocid1.compartment.oc1..aaaapage${c}`, name: `page${c}`, compartmentId: c % 2 ? PROD : undefined });
      const deep = 'ocid1.compartment.oc1..aaaapage11';
      for (let n = 0; n < 11; n++) {
        i.publicIps.push({ region, compartmentId: deep, lifetime: 'RESERVED', ipAddress: `198.51.100.${n + 1}` });
        i.publicIps.push({ region, compartmentId: deep, lifetime: 'EPHEMERAL', ipAddress: `198.51.100.${n + 101}`, assignedEntityType: 'NAT_GATEWAY' });
        i.publicIps.push({ region, compartmentId: deep, lifetime: 'EPHEMERAL', availabilityDomain: ad, ipAddress: `203.0.113.${n + 1}` });
        i.subnets.push({ id: `ocid1.subnet.oc1.fra.aaaapage${n}`, region, compartmentId: deep, vcnId: 'ocid1.vcn.oc1.fra.aaaapage', ipv6CidrBlocks: [`2001:db8:${n}::/64`] });
        i.ipv6.push({ subnetId: `ocid1.subnet.oc1.fra.aaaapage${n}`, ipAddress: `2001:db8:${n}::1`, vnicId: 'ocid1.vnic.oc1.fra.aaaapage' });
        i.ipv6.push({ subnetId: 'ocid1.subnet.oc1.fra.aaaapage0', ipAddress: `2001:db8:0::${(n + 2).toString(16)}`, vnicId: 'ocid1.vnic.oc1.fra.aaaapage' });
      }
    });
    await withFake(
      inv,
      async (fake) => {
        const r = await connector(fake).discover(scope(region), signal());
        expect(r.status).toBe('complete');
        const want = [
          ...Array.from({ length: 11 }, (_, n) => `198.51.100.${n + 1}`),
          ...Array.from({ length: 11 }, (_, n) => `198.51.100.${n + 101}`),
          ...Array.from({ length: 11 }, (_, n) => `203.0.113.${n + 1}`),
          ...Array.from({ length: 11 }, (_, n) => `2001:db8:${n}::1`),
          ...Array.from({ length: 11 }, (_, n) => `2001:db8::${(n + 2).toString(16)}`),
        ];
        expect(ips(r)).toEqual([...new Set(want.map(mustCanonicalIp))].sort(compareIps));
      },
      5,
    );
  });

  it('skips non-public addresses with reasons and never reports them as origins', async () => {
    const inv = inventory((i) => {
      i.publicIps = [
        { region: 'ap-tokyo-1', lifetime: 'RESERVED', ipAddress: '10.0.0.5' },
        { region: 'ap-tokyo-1', lifetime: 'RESERVED', ipAddress: '192.0.2.44', lifecycleState: 'UNASSIGNING' },
        { region: 'ap-tokyo-1', lifetime: 'RESERVED', ipAddress: '::ffff:192.0.2.45' },
      ];
      i.subnets = [{ id: 'ocid1.subnet.oc1.nrt.aaaaula', region: 'ap-tokyo-1', vcnId: 'ocid1.vcn.oc1.nrt.aaaa', ipv6CidrBlocks: ['fd00::/64'] }];
      i.ipv6 = [
        { subnetId: 'ocid1.subnet.oc1.nrt.aaaaula', ipAddress: 'fd00::7', vnicId: 'ocid1.vnic.oc1.nrt.aaaa' },
        { subnetId: 'ocid1.subnet.oc1.nrt.aaaaula', ipAddress: '2001:db8::8', ipState: 'AVAILABLE' },
      ];
    });
    await withFake(inv, async (fake) => {
      const r = await connector(fake).discover(scope('ap-tokyo-1'), signal());
      expect(r.status).toBe('complete');
      // IPv4-mapped IPv6 is reported as the IPv4 address it maps.
      expect(ips(r)).toEqual(['192.0.2.45']);
      expect(r.skipped.map((s) => [s.ip, s.reason]).sort()).toEqual([
        ['10.0.0.5', 'not-public'],
        ['192.0.2.44', 'unassigned'],
        ['2001:db8::8', 'unassigned'],
        ['fd00::7', 'not-public'],
      ]);
      const detail = new Map(r.skipped.map((s) => [s.ip, s.detail]));
      expect(detail.get('10.0.0.5')).toMatch(/private/);
      expect(detail.get('192.0.2.44')).toMatch(/UNASSIGNING/);
      expect(detail.get('2001:db8::8')).toMatch(/not assigned to a VNIC/);
      expect(detail.get('fd00::7')).toMatch(/unique-local/);
    });
  });
});

describe('oci connector: failures', () => {
  it('fails one region alone when OCI refuses it, and the other regions complete', async () => {
    const inv = inventory((i) => (i.regions['eu-frankfurt-1']!.fault = { status: 404, code: 'NotAuthorizedOrNotFound', message: 'Authorization failed or requested resource not found.' }));
    await withFake(inv, async (fake) => {
      const results = await discoverAll(fake);
      expect(results['eu-frankfurt-1']).toMatchObject({ status: 'failed', origins: [] });
      expect(results['eu-frankfurt-1']?.error).toMatch(/eu-frankfurt-1.*404 NotAuthorizedOrNotFound/);
      expect(results['us-ashburn-1']?.status).toBe('complete');
      expect(ips(results['us-ashburn-1'])).toHaveLength(5);
      expect(results['ap-tokyo-1']?.status).toBe('complete');
    });
  });

  it('is partial when one compartment fails, keeping what the others found', async () => {
    const inv = inventory((i) => {
      const web = i.compartments.find((c) => c.id === PROD_WEB);
      web!.fault = { status: 500, regions: ['us-ashburn-1'] };
    });
    await withFake(inv, async (fake) => {
      const results = await discoverAll(fake);
      const ashburn = results['us-ashburn-1'];
      expect(ashburn?.status).toBe('partial');
      expect(ashburn?.error).toContain(PROD_WEB);
      expect(ashburn?.error).toMatch(/500 InternalServerError/);
      // prod-web held 203.0.113.10, 203.0.113.30 and the public subnet's IPv6; the rest is still reported.
      expect(ips(ashburn)).toEqual(['203.0.113.20', '203.0.113.31']);
      // The fault is limited to us-ashburn-1: prod-web in Frankfurt is read.
      expect(results['eu-frankfurt-1']?.status).toBe('complete');
      expect(ips(results['eu-frankfurt-1'])).toEqual(['198.51.100.10', '198.51.100.20']);
    });
  });

  it('fails the scope when every listing in it fails', async () => {
    const inv = inventory((i) => (i.regions['us-ashburn-1']!.fault = { status: 503, operations: ['listPublicIps', 'listSubnets'] }));
    await withFake(inv, async (fake) => {
      const r = await connector(fake).discover(scope('us-ashburn-1'), signal());
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/503 ServiceUnavailable/);
      expect(r.origins).toEqual([]);
    });
  });

  it('does not retry when pointed at a fake: one request per call, even on 5xx', async () => {
    const inv = inventory((i) => (i.regions['ap-tokyo-1']!.fault = { status: 500, operations: ['listCompartments'] }));
    await withFake(inv, async (fake) => {
      const before = fake.requestCount();
      const r = await connector(fake).discover(scope('ap-tokyo-1'), signal());
      expect(r.status).toBe('failed');
      expect(fake.requestCount() - before).toBe(1);
    });
  });

  it('stops when the signal aborts, and reports the scope failed', async () => {
    const inv = inventory((i) => (i.regions['us-ashburn-1']!.fault = { delayMs: 20_000 }));
    await withFake(inv, async (fake) => {
      const started = Date.now();
      const r = await connector(fake).discover(scope('us-ashburn-1'), AbortSignal.timeout(200));
      // The fake would answer after 20 s.
      expect(Date.now() - started).toBeLessThan(8000);
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/abort/i);
    });
  });

  it('runs at most `concurrency` calls at once inside one scope', async () => {
    // Slow enough that calls overlap whenever the connector lets them, even on a loaded machine.
    const inv = inventory((i) => (i.regions['ap-tokyo-1']!.fault = { delayMs: 100, operations: ['listPublicIps'] }));
    for (const concurrency of [1, 3]) {
      await withFake(inv, async (fake) => {
        const r = await connector(fake, { concurrency }).discover(scope('ap-tokyo-1'), signal());
        expect(r.status).toBe('complete');
        expect(fake.maxInFlight()).toBe(concurrency);
      });
    }
  });

  it('is refused by OCI when signing with a key OCI does not know', async () => {
    const other = await writeOciTestCredentials(join(dir, 'other'), { tenancy: TENANCY, region: 'us-ashburn-1' });
    await withFake(inventory(), async (fake) => {
      const c = connector(fake, { configFile: other.configFile });
      await expect(c.listScopes(signal())).rejects.toThrow(/401 NotAuthenticated/);
      const r = await c.discover(scope('us-ashburn-1'), signal());
      expect(r).toMatchObject({ status: 'failed', origins: [] });
      expect(r.error).toMatch(/401 NotAuthenticated/);
    });
  });

  it('reports a broken OCI config file without quoting it, and reads it again once fixed', async () => {
    const file = join(dir, 'broken-config');
    await writeFile(file, '[DEFAULT]\npass_phrase hunter2-secret\n');
    await withFake(inventory(), async (fake) => {
      const c = connector(fake, { configFile: 'broken-config' }); // relative to configDir
      const r = await c.discover(scope('ap-tokyo-1'), signal());
      expect(r.status).toBe('failed');
      expect(r.error).toContain(file);
      expect(r.error).toMatch(/not a valid OCI config file/);
      expect(r.error).not.toContain('hunter2');
      await expect(c.listScopes(signal())).rejects.toThrow(/not a valid OCI config file/);

      await writeFile(file, `[DEFAULT]\nuser=ocid1.user.oc1..aaaa\nfingerprint=00:11\ntenancy=${TENANCY}\nregion=us-ashburn-1\nkey_file=${join(dir, 'missing.pem')}\n`);
      await expect(c.listScopes(signal())).rejects.toThrow(/key_file cannot be read/);
    });
  });

  it('refuses a scope of another tenancy or connector', async () => {
    await withFake(inventory(), async (fake) => {
      const c = connector(fake);
      const foreign = { ...scope('us-ashburn-1'), account: 'ocid1.tenancy.oc1..aaaaaaaaother' };
      expect(await c.discover(foreign, signal())).toMatchObject({ status: 'failed', error: expect.stringMatching(/credentials are for/) });
      expect(await c.discover({ ...scope('us-ashburn-1'), connector: 'someone-else' }, signal())).toMatchObject({ status: 'failed' });
    });
  });
});
