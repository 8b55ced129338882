import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionGroups } from '../../../src/model/regions.ts';
import { VENDORS } from '../../../src/model/vendor.ts';
import { defaultSupportedRegions, loadSupportedRegionsFile, startCloudflareEmulator } from '../../../src/emulators/cloudflare/index.ts';
import { parseSupportedRegions } from '../../../src/emulators/cloudflare/supported-regions.ts';

// The supported_regions catalogue: the default data file, and replacing it from a file.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cf-emu-catalogue-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('default catalogue', () => {
  const PUBLIC = { aws: 'aws', gcp: 'public', azure: 'public', oci: 'oc1' } as const;

  it('lists exactly the public/commercial regions of the model catalogues, each with IATA colo codes', () => {
    const sr = defaultSupportedRegions();
    expect(sr.obtained_codes).toBe(true);
    for (const vendor of VENDORS) {
      const names = (sr.vendors[vendor] ?? []).map((r) => r.name);
      expect(new Set(names)).toEqual(new Set(regionGroups(vendor)[PUBLIC[vendor]]));
      for (const r of sr.vendors[vendor] ?? []) {
        expect(r.upper_tier_colos.length).toBeGreaterThan(0);
        for (const c of r.upper_tier_colos) expect(c).toMatch(/^[A-Z]{3}$/);
      }
    }
  });

  it('carries the documented examples', () => {
    const find = (v: 'aws' | 'gcp', name: string) => defaultSupportedRegions().vendors[v]?.find((r) => r.name === name)?.upper_tier_colos;
    expect(find('aws', 'us-east-1')).toEqual(['IAD', 'EWR']);
    expect(find('aws', 'us-west-2')).toEqual(['SEA']);
    expect(find('aws', 'eu-west-1')).toEqual(['DUB']);
    expect(find('gcp', 'us-central1')).toEqual(['ORD']);
    expect(find('gcp', 'europe-west1')).toBeDefined();
  });

  it('regions outside the public partitions (GovCloud, China, sovereign clouds) are refused with 1157', async () => {
    const emu = await startCloudflareEmulator();
    try {
      for (const [vendor, region] of [
        ['aws', 'us-gov-west-1'],
        ['aws', 'cn-north-1'],
        ['azure', 'usgovvirginia'],
        ['oci', 'us-langley-1'],
      ]) {
        const res = await fetch(`${emu.url}/zones/z/origin/cloud_regions/192.0.2.1`, {
          method: 'PUT',
          headers: { Authorization: 'Bearer t' },
          body: JSON.stringify({ origin_ip: '192.0.2.1', vendor, region }),
        });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { errors: Array<{ code: number }> }).errors[0]?.code).toBe(1157);
      }
    } finally {
      await emu.close();
    }
  });
});

describe('replacing the catalogue', () => {
  it('from a YAML file: its regions are accepted, others refused, and supported_regions answers it verbatim', async () => {
    const file = join(dir, 'regions.yaml');
    await writeFile(file, 'obtained_codes: false\nvendors:\n  aws:\n    - name: eu-west-1\n      upper_tier_colos: []\n');
    const catalogue = await loadSupportedRegionsFile(file);
    const emu = await startCloudflareEmulator({ supportedRegions: catalogue });
    try {
      const put = (region: string) =>
        fetch(`${emu.url}/zones/z/origin/cloud_regions/192.0.2.1`, {
          method: 'PUT',
          headers: { Authorization: 'Bearer t' },
          body: JSON.stringify({ origin_ip: '192.0.2.1', vendor: 'aws', region }),
        });
      expect((await put('eu-west-1')).status).toBe(200);
      expect((await put('us-east-1')).status).toBe(400);
      const sr = await fetch(`${emu.url}/zones/z/origin/cloud_regions/supported_regions`, { headers: { Authorization: 'Bearer t' } });
      expect(((await sr.json()) as { result: unknown }).result).toEqual({ obtained_codes: false, vendors: { aws: [{ name: 'eu-west-1', upper_tier_colos: [] }] } });
    } finally {
      await emu.close();
    }
  });

  it('accepts a saved API answer (the whole envelope) as the file', async () => {
    const file = join(dir, 'saved.json');
    await writeFile(file, JSON.stringify({ success: true, errors: [], messages: [], result: { obtained_codes: true, vendors: { gcp: [{ name: 'us-east1', upper_tier_colos: ['ATL'] }] } } }));
    expect((await loadSupportedRegionsFile(file)).vendors).toEqual({ gcp: [{ name: 'us-east1', upper_tier_colos: ['ATL'] }] });
  });

  it.each([
    [{ vendors: { ibm: [] } }, /unknown vendor "ibm"/],
    [{ vendors: { aws: [{ upper_tier_colos: [] }] } }, /vendors.aws\[0\]: needs a non-empty string "name"/],
    [{ vendors: { aws: [{ name: 'a' }, { name: 'a' }] } }, /listed twice/],
    [{ vendors: { aws: [{ name: 'a', upper_tier_colos: 'IAD' }] } }, /upper_tier_colos/],
    [{ obtained_codes: 'yes', vendors: {} }, /obtained_codes/],
    [[], /expected an object/],
  ])('refuses a malformed catalogue %j', (doc, message) => {
    expect(() => parseSupportedRegions(doc, 'file.json')).toThrow(message);
  });

  it('refuses a file that is not JSON or YAML, naming the file', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{"vendors": [');
    await expect(loadSupportedRegionsFile(file)).rejects.toThrow(/broken\.json: not valid JSON or YAML/);
  });
});
