import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import Fastify from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.ts';
import { presentedTokens, TokenCheck } from '../../src/events/webhook-auth.ts';
import { parseConfig } from '../../src/config/load.ts';
import { DEFAULT_MAX_BYTES, oracleNotificationHost, registerWebhook, sourceSchema } from '../../src/events/webhook.ts';
import { RecordingSink, TOKEN } from './webhook-helpers.ts';
import { configIssues } from '../helpers/config.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const config = (sources: string) => `
cloudflare:
  token: \${CLOUDFLARE_API_TOKEN}
zones:
  - id: ${ZONE}
    policy: sync
connectors:
  - name: inventory
    type: file
    path: ./inventory.yaml
events:
  sources:
${sources}`;
const env = { CLOUDFLARE_API_TOKEN: 'cf-secret-value', ORS_EVENTS_TOKEN: TOKEN };

const issues = (text: string): Promise<string[]> => configIssues(text, env);

describe('webhook source configuration', () => {
  it('defaults path to /events and maxBytes to 1 MiB, and refuses unknown keys', () => {
    expect(sourceSchema.parse({ name: 'hook', type: 'webhook', token: TOKEN })).toEqual({ name: 'hook', type: 'webhook', token: TOKEN, path: '/events', maxBytes: DEFAULT_MAX_BYTES });
    const msg = (v: unknown) => sourceSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(msg({ name: 'hook', type: 'webhook', token: TOKEN, path: 'events?x=1' })).toEqual(['path: a URL path such as /events']);
    expect(msg({ name: 'hook', type: 'webhook', token: TOKEN, maxBytes: 10 })?.[0]).toMatch(/^maxBytes:/);
    expect(msg({ name: 'hook', type: 'webhook', token: TOKEN, secret: 'x' })?.[0]).toMatch(/Unrecognized key/);
  });

  it('is an events.sources type of the configuration: tokenFile read relative to it, the token never printed, the result fit for registerWebhook', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ors-hook-'));
    dirs.push(dir);
    await writeFile(join(dir, 'hook.token'), `${TOKEN}\n`);
    const c = await parseConfig(config('    - { name: ci, type: webhook, tokenFile: hook.token }\n    - { name: grid, type: webhook, token: "${ORS_EVENTS_TOKEN}", path: /hooks/grid, maxBytes: 4096 }'), join(dir, 'ors.yaml'), env);
    expect(c.events.webhooks.map((w) => ({ ...w, token: w.token.reveal() }))).toEqual([
      { name: 'ci', path: '/events', maxBytes: DEFAULT_MAX_BYTES, token: TOKEN },
      { name: 'grid', path: '/hooks/grid', maxBytes: 4096, token: TOKEN },
    ]);
    expect(`${JSON.stringify(c.events)} ${inspect(c.events, { depth: 5 })}`).not.toContain(TOKEN);
    const app = Fastify();
    await registerWebhook(app, { sources: c.events.webhooks, sink: new RecordingSink(), parsers: {}, logger: pino({ level: 'silent' }) });
    await app.ready();
    expect(app.hasRoute({ method: 'POST', url: '/hooks/grid' })).toBe(true);
    await app.close();
    expect(await issues(config('    - { name: hook, type: webhook }'))).toEqual([expect.stringMatching(/^events\.sources(\.|\[)0\]?\.token: required/)]);
  });

  it('refuses two sources on one path or an empty token when registering, and warns about a short token', async () => {
    const app = Fastify();
    const lines: string[] = [];
    const opts = { sink: new RecordingSink(), parsers: {}, logger: pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) }) };
    const token = new Secret(TOKEN, 'test');
    await expect(registerWebhook(app, { ...opts, sources: [{ name: 'a', path: '/e', token, maxBytes: 1024 }, { name: 'b', path: '/e', token, maxBytes: 1024 }] })).rejects.toThrow(/path \/e is used twice/);
    const other = Fastify();
    await expect(registerWebhook(other, { ...opts, sources: [{ name: 'a', path: '/e', token: new Secret('', 'test'), maxBytes: 1024 }] })).rejects.toThrow(/token is empty/);
    const third = Fastify();
    await registerWebhook(third, { ...opts, sources: [{ name: 'weak', path: '/e', token: new Secret('abc', 'test'), maxBytes: 1024 }] });
    expect(lines.join('')).toContain('the token of weak is shorter than 16 characters');
    expect(lines.join('')).not.toContain('"abc"');
    await Promise.all([app.close(), other.close(), third.close()]);
  });
});

describe('webhook token check', () => {
  it('matches the token only, whatever the length of the wrong one, and among several candidates', () => {
    const check = new TokenCheck(new Secret(TOKEN, 'test'));
    expect(check.matches([TOKEN])).toBe(true);
    expect(check.matches(['x'.repeat(TOKEN.length)])).toBe(false);
    expect(check.matches([TOKEN.slice(0, -1)])).toBe(false);
    expect(check.matches([`${TOKEN} `])).toBe(false);
    expect(check.matches([])).toBe(false);
    expect(check.matches(['google-jwt', TOKEN])).toBe(true);
  });

  it('finds the token in Bearer, Basic and the query, and bounds how many it tries', () => {
    const q = (s: string) => new URLSearchParams(s);
    expect(presentedTokens({ authorization: 'bearer  abc ' }, q(''))).toEqual(['abc']);
    expect(presentedTokens({ authorization: `Basic ${Buffer.from('ors:p:w').toString('base64')}` }, q(''))).toEqual(['p:w', 'ors']);
    expect(presentedTokens({ authorization: 'Digest x' }, q('access_token=a&token=b'))).toEqual(['a', 'b']);
    expect(presentedTokens({}, q('token=a+b%2B'))).toEqual(['a b+']);
    expect(presentedTokens({}, q(Array.from({ length: 50 }, (_, i) => `token=t${i}`).join('&')))).toHaveLength(6);
  });
});

describe('OCI confirmation URL allow-check', () => {
  it('accepts https on a host under oraclecloud.com only', () => {
    const ok = (u: string) => oracleNotificationHost(new URL(u));
    expect(ok('https://notification.us-ashburn-1.oci.oraclecloud.com/20181201/subscriptions/ocid1.onssubscription.oc1.iad.aaaa/confirmation?token=t&protocol=CUSTOM_HTTPS')).toBe(true);
    expect(ok('https://cell1.notification.eu-frankfurt-1.oci.oraclecloud.com:443/x')).toBe(true);
    for (const bad of [
      'http://notification.us-ashburn-1.oci.oraclecloud.com/x', // not https
      'https://oraclecloud.com/x', // not a host under it
      'https://notification.oraclecloud.com.evil.example/x',
      'https://evil.example/?h=.oraclecloud.com',
      'https://evil.example#.oraclecloud.com',
      'https://user:pw@notification.us-ashburn-1.oci.oraclecloud.com/x',
      'https://notification.us-ashburn-1.oci.oraclecloud.com:8443/x',
      'https://127.0.0.1/x',
      'https://[::1]/x',
      'file:///etc/passwd',
    ]) {
      expect({ url: bad, ok: ok(bad) }).toEqual({ url: bad, ok: false });
    }
  });
});
