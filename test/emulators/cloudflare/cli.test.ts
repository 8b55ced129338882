import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Command, CommanderError } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerCommand } from '../../../src/emulators/cloudflare/command.ts';

// `origin-region-sync emulate cloudflare`: option parsing in process, the running server in a child process.
const ROOT = resolve(import.meta.dirname, '../../..');
const SCRIPT = `import { Command } from 'commander';
import { registerCommand } from './src/emulators/cloudflare/command.ts';
const program = new Command('origin-region-sync');
registerCommand(program.command('emulate'));
await program.parseAsync(process.argv);`;

let dir: string;
let child: ChildProcess | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cf-emu-cli-'));
});
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Parses in process; errors come back as CommanderError (exitOverride) with what was written to stderr. */
async function parse(args: string[]): Promise<{ error: CommanderError; stderr: string }> {
  let stderr = '';
  const program = new Command('origin-region-sync').exitOverride().configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => {} });
  registerCommand(program.command('emulate'));
  const error = await program.parseAsync(['emulate', 'cloudflare', ...args], { from: 'user' }).then(
    () => {
      throw new Error('expected the command to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CommanderError);
  return { error: error as CommanderError, stderr };
}

function run(args: string[]): { proc: ChildProcess; firstLine: Promise<string>; stderr: () => string; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, 'origin-region-sync', 'emulate', 'cloudflare', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const firstLine = new Promise<string>((ok, fail) => {
    createInterface({ input: proc.stdout! }).once('line', ok);
    proc.once('exit', () => fail(new Error(`exited before printing its URL: ${err}`)));
  });
  const exit = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
  return { proc, firstLine, stderr: () => err, exit };
}

describe('option validation (exit 2, clear message)', () => {
  it.each([
    [['--port', 'http'], /--port.*Expected a port number/],
    [['--port', '70000'], /Expected a port number/],
    [['--rate-limit', '1200 per 5m'], /Expected REQUESTS\/SECONDS/],
    [['--rate-limit', '0/10s'], /Expected REQUESTS\/SECONDS/],
    [['--fault-rate', '1.5'], /--fault-rate expects a share from 0 to 1/],
    [['--drop-rate', 'often'], /--drop-rate expects a share/],
    [['--latency-ms', '-5'], /--latency-ms expects a number ≥ 0/],
    [['--max-mappings', '2.5'], /--max-mappings expects an integer/],
    [['--token', 'has space'], /without spaces/],
  ])('%j', async (args, message) => {
    const { error, stderr } = await parse(args);
    expect(error.exitCode).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('an unreadable or invalid seed file, or a bad supported-regions file, is exit 2 naming the problem', async () => {
    const missing = await parse(['--seed', join(dir, 'nope.json')]);
    expect(missing.error.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json/);

    const badSeed = join(dir, 'bad-seed.yaml');
    await writeFile(badSeed, 'zone1:\n  - origin_ip: 192.0.2.1\n    vendor: aws\n    region: pluto-1\n');
    const bad = await parse(['--seed', badSeed, '--port', '0']);
    expect(bad.error.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/zone zone1 entry 0: vendor\/region aws\/pluto-1 is not in supported_regions/);

    const badRegions = join(dir, 'regions.json');
    await writeFile(badRegions, '{"vendors": {"alibaba": []}}');
    const r = await parse(['--supported-regions', badRegions]);
    expect(r.error.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown vendor "alibaba"/);
  });

  it('--help describes the admin API and the seed format', async () => {
    let out = '';
    const program = new Command('origin-region-sync').exitOverride().configureOutput({ writeOut: (s) => (out += s) });
    registerCommand(program.command('emulate'));
    await expect(program.parseAsync(['emulate', 'cloudflare', '--help'], { from: 'user' })).rejects.toMatchObject({ exitCode: 0 });
    expect(out).toContain('--rate-limit <spec>');
    expect(out).toContain('/__emulator/zones/{zone_id}/mappings');
    expect(out).toContain('--seed FILE is JSON or YAML');
  });
});

describe('the running emulator', () => {
  it('prints its URL, serves the YAML seed with the configured token and rate limit, stops on SIGTERM with exit 0', async () => {
    const seed = join(dir, 'seed.yaml');
    await writeFile(seed, 'zone1:\n  - origin_ip: "2001:DB8::1"\n    vendor: gcp\n    region: us-central1\n');
    const r = run(['--port', '0', '--token', 'cli-token', '--rate-limit', '20/2s', '--seed', seed, '--retire-v1']);
    const url = await r.firstLine;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);

    const ok = await fetch(`${url}/zones/zone1/origin/cloud_regions`, { headers: { Authorization: 'Bearer cli-token' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-policy')).toBe('"default";q=20;w=2');
    expect(((await ok.json()) as { result: Array<{ origin_ip: string }> }).result.map((m) => m.origin_ip)).toEqual(['2001:db8::1']);
    expect((await fetch(`${url}/zones/zone1/origin/cloud_regions`, { headers: { Authorization: 'Bearer other' } })).status).toBe(403);
    expect((await fetch(`${url}/zones/zone1/cache/origin_cloud_regions`, { headers: { Authorization: 'Bearer cli-token' } })).status).toBe(400);
    expect(r.stderr()).not.toContain('cli-token');

    r.proc.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  });

  it('with no --token any well-formed credential is accepted; SIGINT also exits 0', async () => {
    const r = run(['--port', '0', '--rate-limit', 'off']);
    const url = await r.firstLine;
    const res = await fetch(`${url}/zones/z/origin/cloud_regions/supported_regions`, { headers: { Authorization: 'Bearer whatever' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit')).toBeNull();
    r.proc.kill('SIGINT');
    expect(await r.exit).toBe(0);
  });
});
