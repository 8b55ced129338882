import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import Fastify from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.ts';
import { presentedTokens, TokenCheck } from '../../src/events/webhook-auth.ts';
import { DEFAULT_MAX_BYTES, loadWebhookSource, oracleNotificationHost, registerWebhook, sourceSchema, webhookPathIssues } from '../../src/events/webhook.ts';
import { RecordingSink, TOKEN } from './webhook-helpers.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('webhook source configuration', () => {
  it('defaults path to /events and maxBytes to 1 MiB, and wants exactly one of token and tokenFile', () => {
    expect(sourceSchema.parse({ name: 'hook', type: 'webhook', token: TOKEN })).toEqual({ name: 'hook', type: 'webhook', token: TOKEN, path: '/events', maxBytes: DEFAULT_MAX_BYTES });
    const msg = (v: unknown) => sourceSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(msg({ name: 'hook', type: 'webhook' })).toEqual(['token: required: token (token: ${ORS_EVENTS_TOKEN}) or tokenFile']);
    expect(msg({ name: 'hook', type: 'webhook', token: TOKEN, tokenFile: '/run/secrets/t' })).toEqual(['tokenFile: give token or tokenFile, not both']);
    expect(msg({ name: 'hook', type: 'webhook', token: 'short' })).toEqual(['token: at least 16 characters (e.g. openssl rand -hex 32)']);
    expect(msg({ name: 'hook', type: 'webhook', token: TOKEN, path: 'events?x=1' })?.[0]).toMatch(/^path: an absolute URL path/);
    expect(msg({ name: 'hook', type: 'webhook', token: TOKEN, maxBytes: 10 })?.[0]).toMatch(/^maxBytes:/);
    expect(msg({ name: 'hook', type: 'webhook', token: TOKEN, secret: 'x' })?.[0]).toMatch(/Unrecognized key/);
  });

  it('names a second webhook source on an already used path', () => {
    const sources = [
      { type: 'webhook' },
      { type: 'aws-sqs' },
      { type: 'webhook', path: '/hooks/grid' },
      { type: 'webhook', path: '/events' },
    ];
    expect(webhookPathIssues(sources)).toEqual([{ index: 3, message: 'path /events is already used by webhook source 0; give each webhook source its own path' }]);
  });

  it('reads tokenFile relative to the configuration folder into a Secret that never prints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ors-hook-'));
    dirs.push(dir);
    await writeFile(join(dir, 'hook.token'), `${TOKEN}\n`);
    await writeFile(join(dir, 'weak.token'), 'abc\n');
    const src = await loadWebhookSource(sourceSchema.parse({ name: 'hook', type: 'webhook', tokenFile: 'hook.token' }), dir);
    expect(src.token.reveal()).toBe(TOKEN);
    expect(`${JSON.stringify(src)} ${inspect(src)}`).not.toContain(TOKEN);
    await expect(loadWebhookSource(sourceSchema.parse({ name: 'hook', type: 'webhook', tokenFile: 'missing.token' }), dir)).rejects.toThrow(/tokenFile: cannot read .*missing\.token: ENOENT/);
    await expect(loadWebhookSource(sourceSchema.parse({ name: 'hook', type: 'webhook', tokenFile: 'weak.token' }), dir)).rejects.toThrow(/fewer than 16 characters/);
  });

  it('refuses two sources on one path, or an empty token, when registering', async () => {
    const app = Fastify();
    const opts = { sink: new RecordingSink(), parsers: {}, logger: pino({ level: 'silent' }) };
    const token = new Secret(TOKEN, 'test');
    await expect(registerWebhook(app, { ...opts, sources: [{ name: 'a', path: '/e', token, maxBytes: 1024 }, { name: 'b', path: '/e', token, maxBytes: 1024 }] })).rejects.toThrow(/path \/e is used twice/);
    const other = Fastify();
    await expect(registerWebhook(other, { ...opts, sources: [{ name: 'a', path: '/e', token: new Secret('', 'test'), maxBytes: 1024 }] })).rejects.toThrow(/token is empty/);
    await app.close();
    await other.close();
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
