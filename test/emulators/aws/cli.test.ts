import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';

// `emulate aws` as a process: the command registered on a commander parent, run the way the CLI will.

const FIXTURE = fileURLToPath(new URL('../../fixtures/inventory-aws.yaml', import.meta.url));
const COMMAND = new URL('../../../src/emulators/aws/command.ts', import.meta.url).href;
const RUNNER = `
import { Command } from 'commander';
import { registerCommand } from ${JSON.stringify(COMMAND)};
const emulate = new Command('emulate').exitOverride();
registerCommand(emulate);
await emulate.parseAsync(process.argv.slice(1), { from: 'user' });
`;
const dir = mkdtempSync(join(tmpdir(), 'ors-aws-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, out: () => stdout, err: () => stderr };
}

async function firstLine(p: ReturnType<typeof run>): Promise<string> {
  for (let i = 0; i < 200 && !p.out().includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
  return p.out().split('\n')[0] ?? '';
}

describe('emulate aws', () => {
  it('prints its URL, answers the SDK, and stops cleanly on SIGTERM', async () => {
    const p = run(['aws', '--inventory', FIXTURE, '--port', '0', '--page-size', '7']);
    const url = await firstLine(p);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'AKIDCLI', secretAccessKey: 'x' }, maxAttempts: 1 });
    const out = await ec2.send(new DescribeRegionsCommand({}));
    expect(out.Regions?.map((r) => r.RegionName)).toContain('us-east-1');
    ec2.destroy();
    expect(p.err()).toMatch(/2 account\(s\), 6 region\(s\), page size 7/);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(p.err()).toMatch(/SIGTERM, stopping/);
  });

  it('exits 2 naming the file and the path of a bad inventory', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'aws:\n  accounts:\n    "111122223333":\n      regions:\n        us-east-1:\n          addresses: [{ publicIp: not-an-ip }]\n');
    const p = run(['aws', '--inventory', bad]);
    expect(await p.exit).toBe(2);
    expect(p.err()).toContain(`aws fake: ${bad}: invalid aws inventory:`);
    expect(p.err()).toContain('aws.accounts.111122223333.regions.us-east-1.addresses[0].publicIp: not an IPv4 address');
    const missing = run(['aws', '--inventory', join(dir, 'nope.yaml')]);
    expect(await missing.exit).toBe(2);
    expect(missing.err()).toContain('nope.yaml');
  });

  it('documents itself in --help', async () => {
    const p = run(['aws', '--help']);
    await p.exit;
    expect(p.out()).toMatch(/--inventory <file>/);
    expect(p.out()).toMatch(/--page-size <n>/);
    expect(p.out()).toMatch(/endpoint: <the URL printed on stdout>/);
  });
});
