// `emulate oci`: the command as the CLI will run it, in a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dump as stringify } from 'js-yaml';
import { create } from '../../../connectors/oci/index.ts';
import { writeOciTestCredentials } from '../../../src/emulators/oci/index.ts';

const COMMAND = pathToFileURL(resolve('src/emulators/oci/command.ts')).href;
const MAIN = `
import { Command } from 'commander';
import { registerCommand } from ${JSON.stringify(COMMAND)};
const program = new Command('emulate');
registerCommand(program);
await program.parseAsync(process.argv.slice(1), { from: 'user' });
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function waitFor(get: () => string, re: RegExp, ms = 15_000): Promise<RegExpMatchArray> {
  const end = Date.now() + ms;
  for (;;) {
    const m = get().match(re);
    if (m) return m;
    if (Date.now() > end) throw new Error(`timed out waiting for ${re} in: ${get()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('emulate oci', () => {
  it('starts on a free port, prints its URL, answers the SDK, and stops on SIGTERM', async () => {
    const fixture = await readFile('test/fixtures/inventory-oci.yaml', 'utf8');
    const file = join(dir, 'inventory.yaml');
    await writeFile(file, fixture);
    const p = run(['oci', '--inventory', file, '--port', '0', '--page-size', '3']);
    try {
      const [, url] = await waitFor(p.out, /^(http:\/\/127\.0\.0\.1:\d+)$/m);
      // The details go to stderr, a pipe of its own: they may arrive just after the URL on stdout.
      await waitFor(p.err, /connector endpoint: /);
      expect(p.err()).toContain(`connector endpoint: ${url}/{region}`);

      const unsigned = await fetch(`${url}/us-ashburn-1/20160918/publicIps`);
      expect(unsigned.status).toBe(401);
      expect(await unsigned.json()).toMatchObject({ code: 'NotAuthenticated' });

      const creds = await writeOciTestCredentials(join(dir, 'creds'), { tenancy: 'ocid1.tenancy.oc1..aaaaaaaaexampletenancy', region: 'us-ashburn-1' });
      const c = create({ name: 'cli', type: 'oci', configFile: creds.configFile, endpoint: `${url}/{region}` }, { configDir: dir, logger: pino({ level: 'silent' }), env: {} });
      const scopes = await c.listScopes(AbortSignal.timeout(10_000));
      expect(scopes.map((s) => s.region)).toEqual(['ap-tokyo-1', 'eu-frankfurt-1', 'us-ashburn-1']);
      const tokyo = await c.discover(scopes[0]!, AbortSignal.timeout(10_000));
      expect(tokyo.origins.map((o) => o.ip)).toEqual(['192.0.2.10']);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exit).toBe(0);
    expect(p.err()).toMatch(/SIGTERM, stopping/);
  });

  it('exits 2 naming the file and the path of the problem in a bad inventory', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      stringify({ oci: { tenancy: 'ocid1.tenancy.oc1..aaaa', regions: { 'us-ashburn-1': {} }, publicIps: [{ region: 'eu-paris-1', lifetime: 'RESERVED', ipAddress: '192.0.2.1' }], extra: 1 } }),
    );
    const noSection = join(dir, 'aws-only.yaml');
    await writeFile(noSection, 'aws: {}\n');
    // Three processes at once: each spends most of its time starting Node.
    const [p, missing, none] = [run(['oci', '--inventory', file]), run(['oci', '--inventory', join(dir, 'nope.yaml')]), run(['oci', '--inventory', noSection])];
    expect(await p.exit).toBe(2);
    expect(p.err()).toContain(`${file}: oci: Unrecognized key: "extra"`);
    expect(p.out()).toBe('');
    expect(await missing.exit).toBe(2);
    expect(missing.err()).toMatch(/nope\.yaml: .*(ENOENT|no such file)/);
    expect(await none.exit).toBe(2);
    expect(none.err()).toContain('no oci section');
  });

  it('explains itself in --help', async () => {
    const p = run(['oci', '--help']);
    expect(await p.exit).toBe(0);
    for (const option of ['--inventory <file>', '--port <n>', '--host <host>', '--page-size <n>', '{region}']) expect(p.out()).toContain(option);
  });
});
