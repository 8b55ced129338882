import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../../src/server/http.ts';
import { runCli } from '../helpers/cli.ts';
import { origins, startHarness, TOKEN, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
let srv: AdminServer | undefined;
afterEach(async () => {
  await srv?.close();
  await h?.close();
  srv = undefined;
  h = undefined;
});

const SCOPE = 'inventory/mixed/file/*';
const ADMIN = 'admin-secret-token-42';
const noCloudflare = { CLOUDFLARE_API_TOKEN: '' };

/** The harness's configuration file, changed by `edit`, written next to it. */
type Doc = { cloudflare: Record<string, unknown>; connectors: Array<Record<string, unknown>> };

async function variant(x: Harness, name: string, edit: (doc: Doc) => void): Promise<string> {
  const doc = load(await readFile(x.configFile, 'utf8')) as Doc;
  edit(doc);
  const file = join(x.dir, name);
  await writeFile(file, dump(doc));
  return file;
}

describe('commands need only what they use', () => {
  it('status, resync and approve run without connector credentials or the Cloudflare token; validate reports what run would refuse', { timeout: 120_000 }, async () => {
    h = await startHarness({ inventory: origins(3) });
    await h.once();
    const withAws = await variant(h, 'aws.yaml', (d) => {
      d.connectors.push({ name: 'aws', type: 'aws', accountId: '123456789012', regions: ['us-east-1'], credentials: { accessKeyIdEnv: 'ORS_TEST_UNSET_KEY_ID', secretAccessKeyEnv: 'ORS_TEST_UNSET_SECRET' } });
    });

    const status = await runCli(['status', '--json', '--config', withAws], { env: noCloudflare });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ zones: [{ id: ZONE, managed: 3 }] });
    const resync = await runCli(['resync', '--config', withAws], { env: noCloudflare });
    expect(resync.code, resync.stderr).toBe(0);
    expect(resync.stdout).toMatch(/resync queued/);
    const approve = await runCli(['approve', 'pnope', '--config', withAws], { env: noCloudflare });
    expect(approve.code, approve.stderr).toBe(1);
    expect(approve.stderr).toMatch(/no plan pnope/);

    const noToken = await runCli(['validate', '--config', withAws], { env: noCloudflare });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('cloudflare.token: environment variable CLOUDFLARE_API_TOKEN is not set');
    const noKey = await runCli(['validate', '--config', withAws], { env: { CLOUDFLARE_API_TOKEN: TOKEN } });
    expect(noKey.code, noKey.stdout).toBe(2);
    expect(noKey.stderr).toMatch(/connectors\[1\] \(aws\): .*ORS_TEST_UNSET_KEY_ID/);

    const noFile = await variant(h, 'nofile.yaml', (d) => (d.connectors[0]!.path = './nope.yaml'));
    const missing = await runCli(['validate', '--config', noFile], { env: { CLOUDFLARE_API_TOKEN: TOKEN } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`connectors[0] (inventory): path: ${join(h.dir, 'nope.yaml')}: file not found`);

    const tokenFile = await variant(h, 'tokenfile.yaml', (d) => {
      delete d.cloudflare.token;
      d.cloudflare.tokenFile = './no-such-token';
    });
    const unreadable = await runCli(['validate', '--config', tokenFile]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/cloudflare\.tokenFile: cannot read .*no-such-token: ENOENT/);
    const statusAnyway = await runCli(['status', '--config', tokenFile]);
    expect(statusAnyway.code, statusAnyway.stderr).toBe(0);

    const ok = await runCli(['validate', '--config', h.configFile], { env: { CLOUDFLARE_API_TOKEN: TOKEN } });
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('resync --scope', () => {
  it('refuses an unknown scope, or one the zone does not select, like an unknown zone, listing the known ones', { timeout: 120_000 }, async () => {
    const OTHER_ZONE = 'f'.repeat(32);
    h = await startHarness({
      inventory: origins(3),
      zones: [zoneYaml(), zoneYaml({ id: OTHER_ZONE, select: { connectors: ['other'] } })],
      connectors: [
        { name: 'inventory', type: 'file', path: './inventory.yaml' },
        { name: 'other', type: 'file', path: './inventory.yaml' },
      ],
      config: { server: { listen: '127.0.0.1:0', token: '${ORS_ADMIN_TOKEN}' } },
      env: { ORS_ADMIN_TOKEN: ADMIN },
    });
    await h.once(); // lists both connectors' scopes

    const cli = await runCli(['resync', '--scope', 'nosuch', '--config', h.configFile], { env: { CLOUDFLARE_API_TOKEN: TOKEN, ORS_ADMIN_TOKEN: ADMIN } });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('no scope "nosuch"');
    expect(cli.stderr).toContain(SCOPE);
    expect(cli.stderr).toContain('other/mixed/file/*');

    srv = await startAdminServer(h.rt, { port: 0 });
    const post = (body: unknown) => fetch(`${srv!.url}/resync`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${ADMIN}` } });
    const unknown = await post({ scope: 'nosuch' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/no scope "nosuch".*inventory\/mixed\/file\/\*/);
    const notSelected = await post({ zone: ZONE, scope: 'other/mixed/file/*' });
    expect(notSelected.status).toBe(404);
    expect(((await notSelected.json()) as { error: string }).error).toMatch(/not selected by zone .*scopes: inventory\/mixed\/file\/\*\)/);
    expect((await post({ zone: ZONE, scope: SCOPE })).status).toBe(202);
    expect((await post({ scope: 'other/mixed/file/*' })).status).toBe(202);
  });
});
