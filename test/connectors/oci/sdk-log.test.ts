import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { create } from '../../../connectors/oci/index.ts';
import { loadInventoryFile } from '../../../src/emulators/inventory.ts';
import { startOciFake, writeOciTestCredentials } from '../../../src/emulators/oci/index.ts';
import type { OciInventoryInput } from '../../../src/emulators/oci/inventory.ts';

// The OCI SDK writes retry and failure lines with console.warn; they must land in our JSON log instead.

const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaaexampletenancy';
let dir: string;
const originalWarn = console.warn;
const warned = vi.fn();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-sdk-log-'));
  // Stands for the process's stderr: whatever reaches it is outside the JSON log.
  console.warn = warned;
});
afterAll(async () => {
  console.warn = originalWarn;
  await rm(dir, { recursive: true, force: true });
});

describe('oci SDK logging', () => {
  it('routes the SDK console lines into pino as JSON, and leaves other console calls alone', async () => {
    const creds = await writeOciTestCredentials(join(dir, 'creds'), { tenancy: TENANCY, region: 'us-ashburn-1' });
    const inv = (await loadInventoryFile('test/fixtures/inventory-oci.yaml')).oci as Required<OciInventoryInput>;
    inv.apiKeys = [creds.publicKey];
    inv.regions['us-ashburn-1']!.fault = { status: 500, operations: ['listPublicIps'] };
    const fake = await startOciFake({ inventory: inv });
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    try {
      const c = create({ name: 'oci-main', type: 'oci', configFile: creds.configFile, endpoint: `${fake.url}/{region}`, regions: ['us-ashburn-1'] }, { configDir: dir, logger, env: {} });
      const signal = AbortSignal.timeout(10_000);
      const [scope] = await c.listScopes(signal);
      const r = await c.discover(scope!, signal);
      expect(r.status).not.toBe('complete');
    } finally {
      await fake.close();
    }
    expect(warned).not.toHaveBeenCalled();
    const sdk = lines.filter((l) => l.sdk === 'oci');
    expect(sdk.length).toBeGreaterThan(0);
    expect(sdk.some((l) => /attempts have exhausted|cannot be retried/i.test(String(l.msg)))).toBe(true);
    console.warn('our own line');
    expect(warned).toHaveBeenCalledWith('our own line');
  });
});
