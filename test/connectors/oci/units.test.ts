import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { configFilePath } from '../../../connectors/oci/credentials.ts';
import { describeError, redact } from '../../../connectors/oci/errors.ts';
import { eachPage } from '../../../connectors/oci/pages.ts';
import { ociTags } from '../../../connectors/oci/tags.ts';
import { homedir } from 'node:os';

const ctx = (env: Record<string, string> = {}) => ({ configDir: '/etc/ors', logger: pino({ level: 'silent' }), env });

describe('oci tags', () => {
  it('flattens defined tags as Namespace.key next to freeform tags; defined wins on a clash', () => {
    expect(ociTags({ team: 'web', 'Ops.owner': 'freeform' }, { Ops: { owner: 'sre', cost: 42 }, Empty: {} })).toEqual({
      team: 'web',
      'Ops.owner': 'sre',
      'Ops.cost': '42',
    });
    expect(ociTags(undefined, undefined)).toEqual({});
  });
});

describe('oci error text', () => {
  it('formats service errors, transport errors and strings', () => {
    expect(describeError({ statusCode: 404, serviceCode: 'NotAuthorizedOrNotFound', message: 'nope', opcRequestId: 'ABC' })).toBe(
      '404 NotAuthorizedOrNotFound: nope (opc-request-id ABC)',
    );
    expect(describeError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' })).toBe('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1');
    expect(describeError('Failed to read private key')).toBe('Failed to read private key');
  });

  it('never lets key material, signatures or passphrases through', () => {
    const text = redact(
      'bad: -----BEGIN RSA PRIVATE KEY-----\nMIIsecret\n-----END RSA PRIVATE KEY----- header Signature version="1",keyId="t/u/f",signature="c2lnc2VjcmV0" pass_phrase=hunter2 ST$eyJhbGciOi.tokensecret',
    );
    for (const secret of ['MIIsecret', 'c2lnc2VjcmV0', 'hunter2', 'tokensecret']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted key]');
  });
});

describe('oci paging', () => {
  it('follows tokens to the end and stops on a repeated token', async () => {
    const pages: Record<string, { items: number[]; opcNextPage?: string }> = { '': { items: [1], opcNextPage: 'a' }, a: { items: [2], opcNextPage: 'b' }, b: { items: [3] } };
    const got: number[] = [];
    await eachPage(AbortSignal.timeout(1000), async (p) => pages[p ?? ''] ?? { items: [] }, (items) => got.push(...items));
    expect(got).toEqual([1, 2, 3]);

    const looping = async (p: string | undefined) => ({ items: [p ?? 'first'], opcNextPage: 'same' });
    const seen: string[] = [];
    await expect(eachPage(AbortSignal.timeout(1000), looping, (items) => seen.push(...items))).rejects.toThrow(/twice/);
    expect(seen).toEqual(['first', 'same']);
  });
});

describe('oci config file location', () => {
  it('resolves configFile against the config folder, else $OCI_CONFIG_FILE, else ~/.oci/config', () => {
    expect(configFilePath({ name: 'o', type: 'oci', configFile: 'oci/config' }, ctx())).toBe('/etc/ors/oci/config');
    expect(configFilePath({ name: 'o', type: 'oci', configFile: '~/x' }, ctx())).toBe(`${homedir()}/x`);
    expect(configFilePath({ name: 'o', type: 'oci' }, ctx({ OCI_CONFIG_FILE: '/run/oci/config' }))).toBe('/run/oci/config');
    expect(configFilePath({ name: 'o', type: 'oci' }, ctx())).toBe(`${homedir()}/.oci/config`);
  });
});
