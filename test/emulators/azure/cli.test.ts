import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `emulate azure` as an operator runs it: a separate process, its URL on stdout, stopped by a signal.

const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURE = join(ROOT, 'test/fixtures/inventory-azure.yaml');
const ENTRY = `
import { Command } from 'commander';
import { registerCommand } from './src/emulators/azure/command.ts';
const program = new Command('emulate');
registerCommand(program);
await program.parseAsync(process.argv.slice(1), { from: 'user' });
`;

const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];
// Cleanup after all: the tests run concurrently (each waits on a process start), so none may kill another's child.
afterAll(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, ['--input-type=module', '-e', ENTRY, '--', ...args], { cwd: ROOT });
  children.push(child);
  return child;
}

function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((res) => child.on('exit', (code) => res({ code, stdout, stderr })));
}

function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((res, rej) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl !== -1) res(buf.slice(0, nl));
    });
    child.on('exit', (code) => rej(new Error(`exited ${code} before printing its URL`)));
  });
}

describe.concurrent('emulate azure (CLI)', () => {
  it('starts, prints its URL, answers through TLS with the written certificate, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'azure-cli-'));
    dirs.push(dir);
    const ca = join(dir, 'ca.pem');
    const child = run(['azure', '--inventory', FIXTURE, '--port', '0', '--page-size', '2', '--ca-out', ca]);
    const done = exited(child);
    const url = await firstLine(child);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const body = await new Promise<{ value: unknown[]; nextLink?: string }>((res, rej) => {
      request(`${url}/subscriptions?api-version=2022-12-01`, { headers: { authorization: 'Bearer cli' }, ca: readFileSync(ca) }, (r) => {
        let text = '';
        r.on('data', (d: Buffer) => (text += d.toString()));
        r.on('end', () => res(JSON.parse(text) as { value: unknown[]; nextLink?: string }));
      })
        .on('error', rej)
        .end();
    });
    expect(body.value).toHaveLength(2);
    expect(body.nextLink?.startsWith(`${url}/subscriptions?`)).toBe(true);
    child.kill('SIGTERM');
    const { code, stderr } = await done;
    expect(code).toBe(0);
    expect(stderr).toContain('4 subscription(s), 18 public IP address(es), page size 2');
    expect(stderr).toContain('SIGTERM, stopping');
    expect(existsSync(ca)).toBe(true); // the operator asked for it: left in place
  });

  it('exits 2 naming the file and the path of a bad inventory entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'azure-cli-'));
    dirs.push(dir);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'azure:\n  subscriptions:\n    6b1f3c2e-8d4a-4b7e-9f10-2a3b4c5d6e7f:\n      publicIPAddresses:\n        - { name: a, resourceGroup: rg }\n');
    const { code, stderr, stdout } = await exited(run(['azure', '--inventory', bad]));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${bad}: invalid azure inventory`);
    expect(stderr).toContain('azure.subscriptions.6b1f3c2e-8d4a-4b7e-9f10-2a3b4c5d6e7f.publicIPAddresses[0].location');
  });

  it('exits 2 when the inventory file is missing', async () => {
    const { code, stderr } = await exited(run(['azure', '--inventory', '/nonexistent/inv.yaml']));
    expect(code).toBe(2);
    expect(stderr).toMatch(/\/nonexistent\/inv\.yaml: .*ENOENT/);
  });

  it('documents itself in --help', async () => {
    const { code, stdout } = await exited(run(['azure', '--help']));
    expect(code).toBe(0);
    for (const s of ['--inventory <file>', '--port <n>', '--host <host>', '--page-size <n>', '--ca-out <file>', 'caFile', 'tokenEnv']) expect(stdout).toContain(s);
  });
});
