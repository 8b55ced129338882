import { spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';

// `emulate aws --watch`: an edit of the inventory file becomes EventBridge events on the printed queue.

const COMMAND = new URL('../../../src/emulators/aws/command.ts', import.meta.url).href;
const RUNNER = `
import { Command } from 'commander';
import { registerCommand } from ${JSON.stringify(COMMAND)};
const emulate = new Command('emulate').exitOverride();
registerCommand(emulate);
await emulate.parseAsync(process.argv.slice(1), { from: 'user' });
`;
const dir = mkdtempSync(join(tmpdir(), 'ors-aws-sqs-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const yaml = (ips: string[]) =>
  `aws:\n  accounts:\n    '111122223333':\n      regions:\n        us-east-1:\n          addresses:\n${ips.map((ip) => `            - publicIp: ${ip}\n`).join('')}`;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('emulate aws --watch', () => {
  it('prints the events queue, and queues (and prints) the events of each saved edit', async () => {
    const file = join(dir, 'inventory.yaml');
    writeFileSync(file, yaml(['203.0.113.30']));
    const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER, 'aws', '--inventory', file, '--watch', '--events-queue', 'demo-events'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => /events queue \S+/.test(err));
      const url = out.split('\n')[0] as string;
      const queueUrl = /events queue (\S+)/.exec(err)?.[1] as string;
      expect(queueUrl).toBe(`${url}/111122223333/demo-events`);
      expect(err).toContain(`(watching ${file})`);
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(`${file}.tmp`, yaml(['203.0.113.30', '203.0.113.31']));
      renameSync(`${file}.tmp`, file);
      await until(() => err.includes('event AllocateAddress 111122223333/us-east-1'));
      const sqs = new SQSClient({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'AKIDCLI', secretAccessKey: 'x' }, maxAttempts: 1 });
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2 }));
      sqs.destroy();
      expect(JSON.parse(got.Messages?.[0]?.Body ?? '{}')).toMatchObject({ detail: { eventName: 'AllocateAddress', responseElements: { publicIp: '203.0.113.31' } } });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exit).toBe(0);
  });
});
