import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { configSchema, create } from '../../../connectors/azure/index.ts';
import { EnvTokenCredential } from '../../../connectors/azure/credentials.ts';
import { describeAzureError } from '../../../connectors/azure/errors.ts';
import { Limiter } from '../../../connectors/shared/concurrency.ts';

const SUB = '6b1f3c2e-8d4a-4b7e-9f10-2a3b4c5d6e7f';
const base = { name: 'az', type: 'azure', subscriptions: [SUB] };

function issues(input: unknown): string {
  const r = configSchema.safeParse(input);
  return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
}

describe('azure connector config', () => {
  it('accepts the production shape and the fake shape', () => {
    expect(configSchema.parse({ ...base, regions: ['eu*', 'eastus'], tags: { 'cf-origin': 'true' }, concurrency: 8, cloud: 'AzureUSGovernment' })).toMatchObject({
      cloud: 'AzureUSGovernment',
    });
    expect(configSchema.parse({ ...base, subscriptions: ['*'], endpoint: 'https://127.0.0.1:4443', caFile: 'ca.pem', tokenEnv: 'AZURE_FAKE_TOKEN' })).toMatchObject({
      tokenEnv: 'AZURE_FAKE_TOKEN',
    });
  });

  it('rejects unknown keys', () => {
    expect(issues({ ...base, region: ['eastus'] })).toBe(': unknown key(s) region');
  });

  it.each(['clientSecret', 'token', 'accessToken', 'password', 'clientCertificate'])('refuses an inline credential under %s, pointing at the right way', (key) => {
    const msg = issues({ ...base, [key]: 'c2VjcmV0LXZhbHVl' });
    expect(msg).toContain(`${key}: credentials never go in the configuration file`);
    expect(msg).toContain('tokenEnv');
    expect(msg).not.toContain('c2VjcmV0LXZhbHVl');
  });

  it('refuses a token pasted into tokenEnv', () => {
    expect(issues({ ...base, tokenEnv: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln' })).toMatch(/tokenEnv: tokenEnv is the NAME of an environment variable/);
    expect(issues({ ...base, tokenEnv: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9' })).toMatch(/tokenEnv looks like a token itself/);
  });

  it.each([
    [{ subscriptions: [] }, /subscriptions/],
    [{ subscriptions: ['*', SUB] }, /cannot be combined/],
    [{ subscriptions: ['prod'] }, /subscriptions\.0: "prod" is not a subscription id/],
    [{ subscriptions: [SUB, SUB.toUpperCase()] }, /listed twice/],
    [{ concurrency: 0 }, /concurrency/],
    [{ concurrency: 65 }, /concurrency/],
    [{ endpoint: 'not a url' }, /endpoint/],
    [{ endpoint: 'ftp://127.0.0.1' }, /endpoint/],
    [{ cloud: 'AzureGermanCloud' }, /cloud/],
    [{ tenantId: 'contoso.onmicrosoft.com' }, /tenantId must be a GUID/],
    [{ type: 'aws' }, /type/],
  ])('rejects %j', (over, want) => {
    expect(issues({ ...base, ...over })).toMatch(want);
  });

  it('creates a production connector without network or credentials at hand', () => {
    const c = create(configSchema.parse(base), { configDir: '.', logger: pino({ level: 'silent' }), env: {} });
    expect(c).toMatchObject({ name: 'az', type: 'azure' });
  });
});

describe('EnvTokenCredential', () => {
  const jwt = (exp: number) => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.sig`;

  it('reads the variable at each call, with the JWT expiry when there is one', async () => {
    const env: NodeJS.ProcessEnv = { T: 'opaque-token' };
    const cred = new EnvTokenCredential('T', env);
    const a = await cred.getToken();
    expect(a.token).toBe('opaque-token');
    expect(a.expiresOnTimestamp).toBeGreaterThan(Date.now());
    const exp = Math.floor(Date.now() / 1000) + 3600;
    env['T'] = jwt(exp);
    expect(await cred.getToken()).toEqual({ token: jwt(exp), expiresOnTimestamp: exp * 1000 });
  });

  it('names the variable when it is missing or its token expired, never the token', async () => {
    await expect(new EnvTokenCredential('T', {}).getToken()).rejects.toThrow('environment variable T (tokenEnv) is not set or empty');
    const old = jwt(1_000_000_000);
    const err = await new EnvTokenCredential('T', { T: old }).getToken().catch((e: unknown) => e as Error);
    expect((err as Error).message).toBe('the access token in T (tokenEnv) expired at 2001-09-09T01:46:40.000Z');
    expect((err as Error).message).not.toContain(old);
  });
});

describe('describeAzureError', () => {
  it('masks known secrets and keeps one line', () => {
    const e = new Error('bad\n  token  abcdefghijk in\nmessage');
    expect(describeAzureError(e, ['abcdefghijk'])).toBe('bad token [redacted] in message');
  });
});

describe('Limiter', () => {
  it('lets a waiter leave the queue when its signal aborts', async () => {
    const l = new Limiter(1);
    let release!: () => void;
    const first = l.run(new AbortController().signal, () => new Promise<void>((r) => (release = r)));
    const ac = new AbortController();
    const second = l.run(ac.signal, () => Promise.resolve('ran'));
    ac.abort();
    await expect(second).rejects.toThrow();
    release();
    await first;
    await expect(l.run(new AbortController().signal, () => Promise.resolve('next'))).resolves.toBe('next');
  });
});
