import { describe, expect, it } from 'vitest';
import { describeError, redact } from '../../../connectors/gcp/errors.ts';
import { configSchema } from '../../../connectors/gcp/index.ts';
import { locate, zoneRegion } from '../../../connectors/gcp/locations.ts';
import { addressOnly } from '../../../connectors/gcp/discover.ts';

const base = { name: 'gcp-main', type: 'gcp', projects: ['shop-prod-123'] };

describe('gcp connector config', () => {
  it('accepts the documented keys', () => {
    const full = {
      ...base,
      projects: ['shop-prod-123', 'example.com:legacy-proj'],
      regions: ['europe-*', 'us-central1'],
      tags: { 'cf-origin': 'true' },
      concurrency: 8,
      endpoint: 'http://127.0.0.1:8085',
    };
    expect(configSchema.parse(full)).toEqual(full);
    expect(configSchema.parse(base)).toEqual(base);
  });

  it('rejects unknown keys, an inline credential among them, without echoing the secret', () => {
    const secret = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    const r = configSchema.safeParse({ ...base, credentials: { client_email: 'sa@p.iam.gserviceaccount.com', private_key: secret } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['credentials'] });
    expect(JSON.stringify(r.error?.issues)).not.toContain('MIIEvQ');
    expect(r.error?.message).not.toContain('MIIEvQ');

    expect(configSchema.safeParse({ ...base, region: 'us-central1' }).success).toBe(false);
  });

  it('rejects an endpoint carrying credentials or a path, and non-http schemes', () => {
    const withPassword = configSchema.safeParse({ ...base, endpoint: 'http://user:hunter2@127.0.0.1:8085' });
    expect(withPassword.success).toBe(false);
    expect(withPassword.error?.issues[0]?.message).toContain('must not carry credentials');
    expect(JSON.stringify(withPassword.error?.issues)).not.toContain('hunter2');
    expect(configSchema.safeParse({ ...base, endpoint: 'http://127.0.0.1:8085/compute/v1' }).error?.issues[0]?.message).toContain('base URL');
    expect(configSchema.safeParse({ ...base, endpoint: 'ftp://127.0.0.1' }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, endpoint: 'not a url' }).success).toBe(false);
  });

  it.each([
    ['no project', { projects: [] }],
    ['a bad project id', { projects: ['Shop_Prod'] }],
    ['a too short project id', { projects: ['abc'] }],
    ['a duplicate project', { projects: ['shop-prod-123', 'shop-prod-123'] }],
    ['concurrency 0', { concurrency: 0 }],
    ['concurrency 65', { concurrency: 65 }],
    ['a fractional concurrency', { concurrency: 2.5 }],
    ['a region pattern with a slash', { regions: ['regions/us-central1'] }],
    ['a tag value that is not a string', { tags: { 'cf-origin': true } }],
    ['another type', { type: 'aws' }],
    ['a name with a slash (scope ids use it)', { name: 'a/b' }],
  ])('rejects %s', (_what, patch) => {
    expect(configSchema.safeParse({ ...base, ...patch }).success).toBe(false);
  });
});

describe('gcp locations', () => {
  it.each([
    ['regions/us-central1', undefined, { global: false, region: 'us-central1' }],
    ['zones/us-central1-a', undefined, { global: false, region: 'us-central1' }],
    ['zones/us-south1-ai1b', undefined, { global: false, region: 'us-south1' }],
    ['global', undefined, { global: true }],
    ['odd-key', 'https://www.googleapis.com/compute/v1/projects/p/regions/europe-west4', { global: false, region: 'europe-west4' }],
    ['odd-key', 'https://www.googleapis.com/compute/v1/projects/p/zones/asia-east1-c', { global: false, region: 'asia-east1' }],
    ['odd-key', null, null],
  ] as const)('%s (%s)', (key, url, want) => {
    expect(locate(key, url)).toEqual(want);
  });

  it('cuts a zone at its last hyphen', () => {
    expect(zoneRegion('europe-west1-b')).toBe('europe-west1');
    expect(zoneRegion('nozone')).toBe('nozone');
  });

  it('takes the address of an IPv6 value written with its prefix, and nothing else', () => {
    expect(addressOnly('2001:db8:10::/96')).toBe('2001:db8:10::');
    expect(addressOnly('2001:db8:10::')).toBe('2001:db8:10::');
    expect(addressOnly('203.0.113.0/24')).toBe('203.0.113.0/24'); // left for canonicalIp to refuse
    expect(addressOnly('2001:db8::/999')).toBe('2001:db8::/999');
  });
});

describe('gcp error messages', () => {
  it('keeps status, code name and message, and drops the request (with its headers) carried in cause', () => {
    const e = Object.assign(new Error("Required 'compute.addresses.list' permission for 'projects/p'"), {
      code: 7,
      httpStatusCode: 403,
      cause: { config: { headers: { Authorization: 'Bearer ya29.a0AfH6SMBsecret' } } },
    });
    const text = describeError(e);
    expect(text).toBe("HTTP 403 PERMISSION_DENIED: Required 'compute.addresses.list' permission for 'projects/p'");
  });

  it('redacts anything credential-shaped that reaches a message, and bounds its length', () => {
    const text = describeError(new Error(`refresh failed: Authorization: Bearer ya29.A0ARrdaM-secret "private_key": "-----BEGIN PRIVATE KEY-----abc-----END PRIVATE KEY-----" access_token=xyz123 ${'x'.repeat(1000)}`));
    expect(text).not.toMatch(/A0ARrdaM|abc-----|xyz123/);
    expect(text.length).toBeLessThan(500);
    expect(redact('client_secret: s3cr3t')).toBe('client_secret: [redacted]');
    expect(describeError('plain')).toBe('plain');
  });
});
