import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerCommand } from '../../../src/emulators/gcp/command.ts';

// `emulate gcp` as a real process: the subcommand registered on a parent command, as the CLI wires it.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../fixtures/inventory-gcp.yaml', import.meta.url));
const COMMAND = pathToFileURL(join(ROOT, 'src/emulators/gcp/command.ts')).href;
const SCRIPT = `
import { Command } from 'commander';
import { registerCommand } from ${JSON.stringify(COMMAND)};
const emulate = new Command('emulate');
registerCommand(emulate);
await emulate.parseAsync(process.argv.slice(1), { from: 'user' });
`;

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function run(args: string[]) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, ...args], { cwd: ROOT, stdio: 'pipe' });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function waitFor(check: () => RegExpMatchArray | null, what: () => string, ms = 15_000): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  for (;;) {
    const m = check();
    if (m) return m;
    if (Date.now() > until) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('emulate gcp', () => {
  it('serves the inventory, prints its URL, and stops cleanly on SIGTERM', async () => {
    const p = run(['gcp', '--inventory', FIXTURE, '--port', '0', '--page-size', '3']);
    const m = await waitFor(() => /^(http:\/\/127\.0\.0\.1:\d+)$/m.exec(p.out()), () => p.out() + p.err());
    const url = m[1] as string;
    const res = await fetch(`${url}/compute/v1/projects/shop-prod-123/aggregated/addresses`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Record<string, { addresses?: unknown[] }>; nextPageToken?: string };
    expect(Object.values(body.items).reduce((n, s) => n + (s.addresses?.length ?? 0), 0)).toBe(3);
    expect(body.nextPageToken).toBeTruthy();

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.err()).toContain('SIGTERM, stopping');
    await expect(fetch(`${url}/compute/v1/projects/shop-prod-123/aggregated/addresses`)).rejects.toThrow();
  });

  it('exits 2 naming the file and the bad path when the inventory is invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gcp-cli-'));
    try {
      const file = join(dir, 'bad.yaml');
      await writeFile(file, 'gcp:\n  projects:\n    shop-prod-123:\n      addresses:\n        - name: a\n          region: us-east1\n');
      const p = run(['gcp', '--inventory', file]);
      expect(await p.exited).toBe(2);
      expect(p.err()).toContain(file);
      expect(p.err()).toContain('gcp.projects.shop-prod-123.addresses[0].address');

      const missing = run(['gcp', '--inventory', join(dir, 'missing.yaml')]);
      expect(await missing.exited).toBe(2);
      expect(missing.err()).toContain('missing.yaml');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('documents itself and refuses a bad port (in process)', async () => {
    const emulate = new Command('emulate').exitOverride();
    registerCommand(emulate);
    const gcp = emulate.commands.find((c) => c.name() === 'gcp') as Command;
    let errors = '';
    gcp.exitOverride().configureOutput({ writeErr: (s) => (errors += s), writeOut: () => undefined });
    const help = gcp.helpInformation();
    expect(help).toContain('--inventory <file>');
    expect(help).toContain('--page-size <n>');
    expect(gcp.description()).toContain('fake GCP compute API');

    await expect(emulate.parseAsync(['gcp', '--inventory', FIXTURE, '--port', '70000'], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
    expect(errors).toContain('an integer from 0 to 65535');
  });
});
