import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { configSchema, create } from '../../connectors/file/index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ors-file-'));
});

const connector = (path = 'inventory.yaml') => create(configSchema.parse({ name: 'inv', type: 'file', path }), { configDir: dir, logger: pino({ level: 'silent' }), env: {} });
const signal = () => AbortSignal.timeout(5000);

async function scan(text: string, name = 'inventory.yaml') {
  await writeFile(join(dir, name), text);
  const c = connector(name);
  const [scope] = await c.listScopes(signal());
  return c.discover(scope!, signal());
}

describe('file connector', () => {
  it('has one scope, resolved against the configuration folder', async () => {
    expect(await connector().listScopes(signal())).toEqual([{ id: 'inv/mixed/file/*', connector: 'inv', vendor: 'mixed', account: 'file', region: '*' }]);
  });

  it('reads YAML and JSON, canonicalizing IPs and keeping tags', async () => {
    const y = await scan(`origins:\n  - {ip: '2001:DB8::0:1', vendor: gcp, region: us-central1, tags: {tier: gold}}\n  - {ip: 192.0.2.1, vendor: aws, region: us-east-1}\n`);
    expect(y.status).toBe('complete');
    expect(y.origins).toMatchObject([
      { ip: '2001:db8::1', vendor: 'gcp', region: 'us-central1', tags: { tier: 'gold' }, scope: 'inv/mixed/file/*', source: 'inventory.yaml#origins[0]' },
      { ip: '192.0.2.1', vendor: 'aws', region: 'us-east-1', tags: {} },
    ]);
    const j = await scan(JSON.stringify({ origins: [{ ip: '198.51.100.1', vendor: 'oci', region: 'us-ashburn-1' }] }), 'inv.json');
    expect(j.origins.map((o) => o.ip)).toEqual(['198.51.100.1']);
  });

  it('skips each invalid entry with its reason and keeps the rest', async () => {
    const r = await scan(
      [
        'origins:',
        '  - {ip: 192.0.2.1, vendor: aws, region: us-east-1}',
        '  - {ip: 10.0.0.1, vendor: aws, region: us-east-1}',
        '  - {ip: nope, vendor: aws, region: us-east-1}',
        '  - {ip: 192.0.2.2, vendor: ibm, region: x}',
        '  - {ip: 192.0.2.3, vendor: gcp, region: global}',
        '  - {ip: 192.0.2.4, vendor: azure, region: East US}',
        '  - {ip: 192.0.2.5, vendor: aws, region: us-east-1, tags: [a]}',
        '  - just a string',
      ].join('\n'),
    );
    expect(r.status).toBe('complete');
    expect(r.origins.map((o) => o.ip)).toEqual(['192.0.2.1']);
    expect(r.skipped.map((s) => [s.ip, s.reason])).toEqual([
      ['10.0.0.1', 'not-public'],
      ['nope', 'invalid-ip'],
      ['192.0.2.2', 'invalid-vendor'],
      ['192.0.2.3', 'anycast'],
      ['192.0.2.4', 'invalid-region'],
      ['192.0.2.5', 'invalid-ip'],
      ['just a string', 'invalid-ip'],
    ]);
    expect(r.skipped[5]!.detail).toMatch(/tags/);
  });

  it('fails the scan, never "empty", when the file is missing or malformed', async () => {
    const missing = await connector('gone.yaml').discover((await connector('gone.yaml').listScopes(signal()))[0]!, signal());
    expect(missing).toMatchObject({ status: 'failed', origins: [], error: expect.stringMatching(/gone\.yaml: file not found/) });
    expect(await scan('origins: [\n')).toMatchObject({ status: 'failed', error: expect.stringMatching(/inventory\.yaml/) });
    expect(await scan('servers: []\n')).toMatchObject({ status: 'failed', error: expect.stringMatching(/expected a mapping with an "origins" list/) });
  });

  it('gives the same scan for an unchanged file without reading it again, and reads every edit', async () => {
    const path = join(dir, 'inventory.yaml');
    const one = (region: string) => `origins:\n  - {ip: 192.0.2.1, vendor: aws, region: ${region}}\n`;
    await writeFile(path, one('us-east-1'));
    const c = connector();
    const [scope] = await c.listScopes(signal());
    const first = await c.discover(scope!, signal());
    // Unchanged (same inode, size and times): the very origins of the last scan, not a new parse.
    expect((await c.discover(scope!, signal())).origins).toBe(first.origins);
    // Touched: read again (and equal).
    await utimes(path, new Date(2026, 0, 1), new Date(2026, 0, 1));
    const touched = await c.discover(scope!, signal());
    expect(touched.origins).not.toBe(first.origins);
    expect(touched.origins).toEqual(first.origins);
    const { mtime } = await stat(path);
    await writeFile(path, 'origins: [\n'.padEnd(one('us-east-1').length, ' '));
    await utimes(path, mtime, mtime);
    // Same size and modification time, but written again (ctime moved): read, and found malformed.
    expect(await c.discover(scope!, signal())).toMatchObject({ status: 'failed' });
    await writeFile(path, one('us-west-2')); // same size as before, another region
    expect((await c.discover(scope!, signal())).origins).toMatchObject([{ ip: '192.0.2.1', region: 'us-west-2' }]);
    await rm(path);
    expect(await c.discover(scope!, signal())).toMatchObject({ status: 'failed', error: expect.stringMatching(/file not found/) });
  });

  it('reads a YAML flow mapping that starts like JSON', async () => {
    expect((await scan(`{origins: [{ip: 192.0.2.9, vendor: aws, region: us-east-1}]}\n`)).origins.map((o) => o.ip)).toEqual(['192.0.2.9']);
  });

  it('an empty list is a complete scan of nothing (the file says so)', async () => {
    expect(await scan('origins: []\n')).toMatchObject({ status: 'complete', origins: [] });
  });
});
