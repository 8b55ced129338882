import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../connectors/oci/index.ts';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7secretmaterial\n-----END PRIVATE KEY-----';

function errors(input: unknown): string {
  const r = configSchema.safeParse(input);
  expect(r.success).toBe(false);
  return r.success ? '' : JSON.stringify(r.error.issues);
}

describe('oci connector config', () => {
  it('accepts the minimal and the full forms', () => {
    expect(configSchema.parse({ name: 'oci', type: 'oci' })).toEqual({ name: 'oci', type: 'oci' });
    const full = {
      name: 'oci-prod',
      type: 'oci',
      auth: 'config-file',
      configFile: '~/.oci/config',
      profile: 'PROD_RO',
      regions: ['eu-*', 'us-ashburn-1'],
      tags: { 'cf-origin': 'true', 'Operations.team': '*' },
      concurrency: 8,
      endpoint: 'http://127.0.0.1:8080/{region}',
    };
    expect(configSchema.parse(full)).toEqual(full);
    expect(configSchema.parse({ name: 'oci', type: 'oci', auth: 'instance-principal' }).auth).toBe('instance-principal');
  });

  it('rejects unknown keys, and an inline key never appears in the error', () => {
    const e = errors({ name: 'oci', type: 'oci', privateKey: PEM });
    expect(e).toMatch(/privateKey/);
    expect(e).not.toContain('secretmaterial');
    expect(errors({ name: 'oci', type: 'oci', key_file: '/k.pem' })).toMatch(/key_file/);
  });

  it('rejects key material where a path belongs', () => {
    const e = errors({ name: 'oci', type: 'oci', configFile: PEM });
    expect(e).toMatch(/not key material/);
    expect(e).not.toContain('secretmaterial');
  });

  it('rejects bad values with the key that holds them', () => {
    expect(errors({ name: 'oci', type: 'aws' })).toMatch(/type/);
    expect(errors({ name: 'oci', type: 'oci', concurrency: 0 })).toMatch(/concurrency/);
    expect(errors({ name: 'oci', type: 'oci', concurrency: 65 })).toMatch(/concurrency/);
    expect(errors({ name: 'oci', type: 'oci', concurrency: 2.5 })).toMatch(/concurrency/);
    expect(errors({ name: 'oci', type: 'oci', regions: [] })).toMatch(/regions/);
    expect(errors({ name: 'oci', type: 'oci', regions: ['US East'] })).toMatch(/region name/);
    expect(errors({ name: 'oci', type: 'oci', profile: 'a b' })).toMatch(/profile/);
    expect(errors({ name: 'oci', type: 'oci', auth: 'api-key' })).toMatch(/auth/);
    expect(errors({ name: 'oci', type: 'oci', tags: { a: 1 } })).toMatch(/tags/);
  });

  it('accepts only plain http(s) endpoints, never with credentials in them', () => {
    expect(errors({ name: 'oci', type: 'oci', endpoint: 'ftp://127.0.0.1/{region}' })).toMatch(/endpoint/);
    expect(errors({ name: 'oci', type: 'oci', endpoint: 'not a url' })).toMatch(/endpoint/);
    const e = errors({ name: 'oci', type: 'oci', endpoint: 'http://user:hunter2@127.0.0.1/{region}' });
    expect(e).toMatch(/without credentials/);
    expect(e).not.toContain('hunter2');
    expect(configSchema.parse({ name: 'oci', type: 'oci', endpoint: 'https://fake.example' }).endpoint).toBe('https://fake.example');
  });

  it('refuses config-file settings with instance principals', () => {
    expect(errors({ name: 'oci', type: 'oci', auth: 'instance-principal', profile: 'DEFAULT' })).toMatch(/only applies to auth: config-file/);
  });
});
