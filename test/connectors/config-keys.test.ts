import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { configSchema, create } from '../../connectors/file/index.ts';
import { parseConfig } from '../../src/config/load.ts';
import { runCli } from '../helpers/cli.ts';
import { configIssues } from '../helpers/config.ts';

// What a connector entry may hold, seen through the whole configuration loader (as `validate` and `run`
// see it): credential-looking keys get the vendor's way of giving credentials, and the keys the README
// lists for the file connector work.

const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const config = (connector: string) => `
cloudflare:
  token: \${CLOUDFLARE_API_TOKEN}
zones:
  - id: ${ZONE}
    policy: sync
connectors:
${connector}`;

const issues = (text: string): Promise<string[]> => configIssues(text, { CLOUDFLARE_API_TOKEN: 'cf-token-value' });

describe('credential-looking keys in a connector', () => {
  it.each([
    ['aws', 'secretAccessKey', '    accountId: "123456789012"\n    secretAccessKey: ' + SECRET, /credentials: \{accessKeyIdEnv, secretAccessKeyEnv\}/],
    ['aws', 'accessKeyId', '    accessKeyId: AKIAIOSFODNN7EXAMPLE', /accessKeyIdEnv/],
    ['gcp', 'private_key', '    projects: [my-project-1]\n    private_key: ' + SECRET, /Application Default Credentials/],
    ['gcp', 'credentials', '    projects: [my-project-1]\n    credentials: {client_email: sa@x.iam.gserviceaccount.com}', /GOOGLE_APPLICATION_CREDENTIALS/],
    ['azure', 'clientSecret', '    subscriptions: ["*"]\n    clientSecret: ' + SECRET, /DefaultAzureCredential.*tokenEnv/],
    ['oci', 'key_file', '    key_file: ~/.oci/key.pem', /OCI config file \(configFile, profile\).*instance-principal/],
    ['oci', 'fingerprint', '    fingerprint: "aa:bb"', /OCI config file/],
  ])('%s: %s is refused by name with the vendor hint, never its value', async (type, key, body, hint) => {
    const got = await issues(config(`  - name: c1\n    type: ${type}\n${body}\n`));
    expect(got).toEqual([expect.stringMatching(new RegExp(`^connectors\\[0\\]\\.${key}: credentials are never written in the config: `))]);
    expect(got[0]).toMatch(hint);
    expect(got.join('\n')).not.toContain(SECRET);
  });

  it('looks inside nested objects too, where only …Env names are allowed', async () => {
    const got = await issues(config(`  - name: c1\n    type: aws\n    credentials: {accessKeyIdEnv: K, secretAccessKeyEnv: S, secretAccessKey: ${SECRET}}\n`));
    expect(got).toEqual([expect.stringMatching(/^connectors\[0\]\.credentials\.secretAccessKey: credentials are never written in the config: use credentials: /)]);
  });

  it('still calls other unknown keys unknown, and leaves tag names alone', async () => {
    expect(await issues(config('  - name: c1\n    type: gcp\n    projects: [my-project-1]\n    zone: x\n'))).toEqual(['connectors[0]: unknown key "zone"']);
    const ok = await parseConfig(config('  - name: c1\n    type: gcp\n    projects: [my-project-1]\n    tags: {token: "yes"}\n'), '/etc/ors/config.yaml', { CLOUDFLARE_API_TOKEN: 'x' });
    expect(ok.connectors[0]).toMatchObject({ tags: { token: 'yes' } });
  });

  it('exits 2 from validate, naming the key and the hint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ors-keys-'));
    const file = join(dir, 'c.yaml');
    await writeFile(file, config(`  - name: c1\n    type: aws\n    secretAccessKey: ${SECRET}\n`));
    const r = await runCli(['validate', '--config', file], { env: { CLOUDFLARE_API_TOKEN: 'cf-token-value' } });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/connectors\[0\]\.secretAccessKey: credentials are never written in the config: use credentials: \{accessKeyIdEnv, secretAccessKeyEnv\}/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });
});

describe('file connector keys', () => {
  it('takes regions and tags as the README says, and filters its entries with them', async () => {
    const parsed = await parseConfig(config('  - name: inv\n    type: file\n    path: inv.yaml\n    regions: ["eu-*"]\n    tags: {tier: gold}\n'), '/etc/ors/config.yaml', {
      CLOUDFLARE_API_TOKEN: 'x',
    });
    expect(parsed.connectors[0]).toMatchObject({ regions: ['eu-*'], tags: { tier: 'gold' } });
    const dir = await mkdtemp(join(tmpdir(), 'ors-file-keys-'));
    await writeFile(
      join(dir, 'inv.yaml'),
      [
        'origins:',
        '  - {ip: 192.0.2.1, vendor: aws, region: eu-west-1, tags: {tier: gold}}',
        '  - {ip: 192.0.2.2, vendor: aws, region: us-east-1, tags: {tier: gold}}',
        '  - {ip: 192.0.2.3, vendor: gcp, region: europe-west1, tags: {tier: gold}}',
        '  - {ip: 192.0.2.4, vendor: aws, region: eu-central-1, tags: {tier: bronze}}',
        '  - {ip: 192.0.2.5, vendor: aws, region: eu-central-1}',
        '',
      ].join('\n'),
    );
    const c = create(configSchema.parse({ name: 'inv', type: 'file', path: 'inv.yaml', regions: ['eu-*'], tags: { tier: 'gold' } }), { configDir: dir, logger: pino({ level: 'silent' }), env: {} });
    const [scope] = await c.listScopes(AbortSignal.timeout(5000));
    const r = await c.discover(scope!, AbortSignal.timeout(5000));
    expect(r).toMatchObject({ status: 'complete', skipped: [] });
    expect(r.origins.map((o) => o.ip)).toEqual(['192.0.2.1']);
  });

  it('refuses the keys that mean nothing for a file (concurrency, endpoint) as unknown', async () => {
    expect(await issues(config('  - name: inv\n    type: file\n    path: inv.yaml\n    concurrency: 4\n'))).toEqual(['connectors[0]: unknown key "concurrency"']);
  });
});
