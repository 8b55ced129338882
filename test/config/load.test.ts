import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { parseDuration } from '../../src/config/duration.ts';
import { configIssues } from '../helpers/config.ts';

const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const base = `
cloudflare:
  token: \${CLOUDFLARE_API_TOKEN}
zones:
  - id: ${ZONE}
    policy: sync
connectors:
  - name: inventory
    type: file
    path: ./inventory.yaml
`;
const env = { CLOUDFLARE_API_TOKEN: 'cf-secret-value' };

const issues = (text: string, e: NodeJS.ProcessEnv = env): Promise<string[]> => configIssues(text, e);

describe('configuration', () => {
  it('fills the documented defaults', async () => {
    const c = await parseConfig(base, '/etc/ors/config.yaml', env);
    expect(c.zones[0]).toMatchObject({ adopt: false, maxMappings: 3500, reserve: 0, deleteAfterMissedScans: 2, guard: { maxChangeFraction: 0.3, minEntries: 10 }, select: {}, priority: [] });
    expect(c.cloudflare).toMatchObject({ apiBase: 'https://api.cloudflare.com/client/v4', api: 'auto', rateLimit: { requests: 1200, perSeconds: 300 }, timeoutMs: 30_000 });
    expect(c.schedule).toEqual({ reconcileEveryMs: 300_000, maxScanAgeMs: 900_000, discoverTimeoutMs: 300_000 });
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 9464 });
    expect(c.redis).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379', prefix: 'ors' });
    expect(c.dir).toBe('/etc/ors');
    expect(c.warnings).toEqual([]);
  });

  it('requires the policy, with no default', async () => {
    expect(await issues(base.replace('    policy: sync\n', ''))).toEqual([expect.stringMatching(/^zones\[0\]\.policy: required, one of sync, upsert-only, create-only/)]);
    expect(await issues(base.replace('policy: sync', 'policy: mirror'))).toEqual([expect.stringMatching(/^zones\[0\]\.policy: "mirror" is not one of/)]);
  });

  it('rejects unknown keys and names their path', async () => {
    expect(await issues(base.replace('    policy: sync', '    policy: sync\n    adpot: true'))).toEqual(['zones[0]: unknown key "adpot"']);
    expect(await issues(base + 'extra: 1\n')).toEqual(['(root): unknown key "extra"']);
  });

  it('names the key of every invalid value', async () => {
    const bad = base.replace('    policy: sync', '    policy: sync\n    maxMappings: 4000\n    guard: { maxChangeFraction: 2 }\n    select: { cidrs: [nope], connectors: [ghost] }') + 'schedule: { reconcileEvery: soon }\n';
    const got = await issues(bad);
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^zones\[0\]\.maxMappings: /),
        expect.stringMatching(/^zones\[0\]\.guard\.maxChangeFraction: /),
        expect.stringMatching(/^zones\[0\]\.select\.cidrs\[0\]: not a CIDR/),
        expect.stringMatching(/^schedule\.reconcileEvery: "soon" is not a duration/),
      ]),
    );
    expect(await issues(base.replace(ZONE, 'example.com'))).toEqual([expect.stringMatching(/^zones\[0\]\.id: a Cloudflare zone id/)]);
    expect(await issues(base.replace('type: file', 'type: ibm'))).toEqual([expect.stringMatching(/^connectors\[0\]\.type: unknown connector type "ibm"/)]);
    expect(await issues(base.replace('    policy: sync', '    policy: sync\n    select: { connectors: [ghost] }'))).toEqual([expect.stringMatching(/^zones\[0\]\.select\.connectors\[0\]: no connector named "ghost"/)]);
  });

  it('expands ${ENV} references and names a missing variable', async () => {
    expect(await issues(base, {})).toEqual(['cloudflare.token: environment variable CLOUDFLARE_API_TOKEN is not set']);
    const c = await parseConfig(base + 'redis: { url: "${MY_REDIS:-redis://10.0.0.5:6379}" }\n', '/x.yaml', env);
    expect(c.redis).toMatchObject({ mode: 'single', url: 'redis://10.0.0.5:6379' });
    const esc = await parseConfig(base.replace('    policy: sync', () => '    policy: sync\n    name: "literal $${HOME} here"'), '/x.yaml', env);
    expect(esc.zones[0]!.name).toBe('literal ${HOME} here');
  });

  it('lets $REDIS_URL override redis.url', async () => {
    const c = await parseConfig(base, '/x.yaml', { ...env, REDIS_URL: 'redis://redis.internal:6379' });
    expect(c.redis).toMatchObject({ mode: 'single', url: 'redis://redis.internal:6379' });
  });

  it('keeps secrets out of every printed form, and warns about inline ones', async () => {
    const c = await parseConfig(base, '/x.yaml', env);
    const token = 'token' in c.cloudflare.auth ? c.cloudflare.auth.token : undefined;
    expect(token?.reveal()).toBe('cf-secret-value');
    for (const printed of [JSON.stringify(c), String(token), inspect(c, { depth: 10 }), `${token}`]) expect(printed).not.toContain('cf-secret-value');
    const inline = await parseConfig(base.replace('${CLOUDFLARE_API_TOKEN}', 'pasted-token'), '/x.yaml', {});
    expect(inline.warnings).toEqual([expect.stringMatching(/cloudflare\.token is written inline/)]);
    expect(inline.warnings.join()).not.toContain('pasted-token');
  });

  it('reads secrets from files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ors-cfg-'));
    await writeFile(join(dir, 'cf-token'), 'from-a-file\n');
    await writeFile(join(dir, 'c.yaml'), base.replace('token: ${CLOUDFLARE_API_TOKEN}', 'tokenFile: ./cf-token'));
    const c = await loadConfig({ path: join(dir, 'c.yaml'), env: {} });
    expect('token' in c.cloudflare.auth && c.cloudflare.auth.token.reveal()).toBe('from-a-file');
    await writeFile(join(dir, 'd.yaml'), base.replace('token: ${CLOUDFLARE_API_TOKEN}', 'tokenFile: ./missing'));
    await expect(loadConfig({ path: join(dir, 'd.yaml'), env: {} })).rejects.toThrow(/cloudflare\.tokenFile: cannot read/);
  });

  it('accepts email + global key, and refuses half of it', async () => {
    const c = await parseConfig(base.replace('token: ${CLOUDFLARE_API_TOKEN}', 'email: ops@example.com\n  key: ${CF_KEY}'), '/x.yaml', { CF_KEY: 'k' });
    expect(c.cloudflare.auth).toMatchObject({ email: 'ops@example.com' });
    expect(await issues(base.replace('token: ${CLOUDFLARE_API_TOKEN}', 'key: ${CF_KEY}'), { CF_KEY: 'k' })).toEqual([expect.stringMatching(/^cloudflare\.email: required/)]);
  });

  it('finds the file: --config, else $ORS_CONFIG, else ./origin-region-sync.yaml', async () => {
    await expect(loadConfig({ env: {}, cwd: '/nonexistent' })).rejects.toThrow(/\/nonexistent\/origin-region-sync\.yaml: .*file not found/);
    await expect(loadConfig({ env: { ORS_CONFIG: '/elsewhere/x.yaml' } })).rejects.toThrow(/\/elsewhere\/x\.yaml/);
  });

  it('reports YAML syntax errors', async () => {
    expect((await issues('zones: [\n'))[0]).toMatch(/^YAML: /);
  });

  it('parses durations', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('soon')).toBeNull();
  });
});

describe('the shipped configuration files', () => {
  it.each(['example.yaml', 'demo.yaml'])('config/%s is valid', async (name) => {
    const env = { CLOUDFLARE_API_TOKEN: 't', ORS_ADMIN_TOKEN: 'a', DEMO_CLOUDFLARE_URL: 'http://127.0.0.1:1/client/v4', DEMO_CLOUDFLARE_TOKEN: 't', DEMO_AWS_ENDPOINT: 'http://127.0.0.1:2', DEMO_GCP_ENDPOINT: 'http://127.0.0.1:3', DEMO_AZURE_ENDPOINT: 'https://127.0.0.1:4', DEMO_AZURE_CA_FILE: '/tmp/ca.pem', DEMO_OCI_ENDPOINT: 'http://127.0.0.1:5', DEMO_OCI_CONFIG_FILE: '/tmp/oci', DEMO_ADMIN_TOKEN: 'a', DEMO_AWS_EVENTS_QUEUE: 'http://127.0.0.1:2/111122223333/ors-events', DEMO_GCP_SUBSCRIPTION: 'projects/ors-fake/subscriptions/ors-events', DEMO_PUBSUB_HOST: '127.0.0.1:6', DEMO_AZURE_EVENTS_QUEUE: 'http://127.0.0.1:7/devstoreaccount1/ors-events', DEMO_OCI_STREAM: 'ocid1.stream.oc1.iad.fakeorsevents' };
    const c = await loadConfig({ path: new URL(`../../config/${name}`, import.meta.url).pathname, env });
    expect(c.zones.length).toBeGreaterThan(0);
    expect(c.warnings).toEqual([]);
  });
});
