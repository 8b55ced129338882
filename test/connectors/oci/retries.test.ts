// The production retry policy (no `endpoint`), exercised against the fake by pointing the clients at it
// after they were built exactly as in production.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuth, type OciAuth } from '../../../connectors/oci/credentials.ts';
import { regionClients } from '../../../connectors/oci/clients.ts';
import { describeError } from '../../../connectors/oci/errors.ts';
import { loadInventoryFile } from '../../../src/emulators/inventory.ts';
import { startOciFake } from '../../../src/emulators/oci/index.ts';
import { writeOciTestCredentials } from '../../../src/emulators/oci/credentials.ts';
import type { OciInventoryInput } from '../../../src/emulators/oci/inventory.ts';

const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaaexampletenancy';
const PROD = 'ocid1.compartment.oc1..aaaaaaaaprod';
let dir: string;
let auth: OciAuth;
let fixture: Required<OciInventoryInput>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-retries-'));
  const creds = await writeOciTestCredentials(dir, { tenancy: TENANCY, region: 'us-ashburn-1' });
  auth = await loadAuth({ name: 'oci', type: 'oci', configFile: creds.configFile }, { configDir: dir, logger: pino({ level: 'silent' }), env: {} }, AbortSignal.timeout(5000));
  fixture = (await loadInventoryFile('test/fixtures/inventory-oci.yaml')).oci as Required<OciInventoryInput>;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('oci production retry policy', () => {
  it('retries a throttled or failing call and succeeds', async () => {
    const inv = structuredClone(fixture);
    inv.regions['us-ashburn-1']!.fault = { status: 503, times: 1, operations: ['listSubnets'] };
    const fake = await startOciFake({ inventory: inv });
    try {
      const { network } = regionClients(auth, 'us-ashburn-1', undefined, AbortSignal.timeout(10_000));
      expect(network.endpoint).toMatch(/^https:\/\/iaas\.us-ashburn-1\..*oraclecloud\.com/);
      network.endpoint = `${fake.url}/us-ashburn-1`;
      const r = await network.listSubnets({ compartmentId: PROD });
      expect(r.items.map((s) => s.displayName)).toEqual(['private', 'ipv4-only']);
      expect(fake.requestCount()).toBe(2);
    } finally {
      await fake.close();
    }
  });

  it('stops retrying once the scan is aborted', async () => {
    const inv = structuredClone(fixture);
    inv.regions['us-ashburn-1']!.fault = { status: 503 };
    const fake = await startOciFake({ inventory: inv });
    try {
      const { network } = regionClients(auth, 'us-ashburn-1', undefined, AbortSignal.timeout(300));
      network.endpoint = `${fake.url}/us-ashburn-1`;
      const started = Date.now();
      const error = await network.listSubnets({ compartmentId: PROD }).then(() => null, (e: unknown) => e);
      // The first backoff (0.5–1 s) runs out; the next attempt is aborted before it is sent, and no more
      // follow: without the abort check, two more backoffs (1–2 s, 2–4 s) would pass first.
      expect(Date.now() - started).toBeLessThan(3000);
      expect(describeError(error)).toMatch(/abort/i);
      expect(fake.requestCount()).toBe(1);
    } finally {
      await fake.close();
    }
  });
});
