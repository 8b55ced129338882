import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('validate with event sources', () => {
  it('names every source whose credentials run could not find, and exits 2; passes once they are there', { timeout: 60_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'ors-validate-events-'));
    await writeFile(join(dir, 'inv.yaml'), 'origins: []\n');
    const config = (sources: string) => `cloudflare: { token: '\${CF}' }
zones: [{ id: 023e105f4ecef8ad9ca31a8372d0c353, policy: sync }]
connectors: [{ name: inv, type: file, path: ./inv.yaml }]
events:
  sources:
${sources}`;
    const sources = `    - { name: aws-events, type: aws-sqs, queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/q', credentials: { accessKeyIdEnv: V_KEY, secretAccessKeyEnv: V_SECRET } }
    - { name: azure-events, type: azure-storage-queue, queueUrl: 'https://acct.queue.core.windows.net/ors-events', connectionStringEnv: V_CS }
    - { name: gcp-events, type: gcp-pubsub, subscription: projects/shop-prod-123/subscriptions/ors-events, credentials: { keyFile: ./gcp-key.json } }
    - { name: oci-events, type: oci-streaming, streamId: ocid1.stream.oc1.iad.abc, messagesEndpoint: 'https://cell-1.streaming.us-ashburn-1.oci.oraclecloud.com', configFile: ./oci-config }
    - { name: hook, type: webhook, tokenFile: ./hook-token }
`;
    await writeFile(join(dir, 'c.yaml'), config(sources));
    const env = { CF: 'cf-token-0123456789' };
    // The loader reads secrets first: an unreadable webhook token file is refused before anything else.
    const noToken = await runCli(['validate', '--config', join(dir, 'c.yaml')], { env });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/events\.sources\[4\]\.tokenFile: cannot read .*hook-token/);
    await writeFile(join(dir, 'hook-token'), 'hook-token-0123456789abcdef\n');
    const bad = await runCli(['validate', '--config', join(dir, 'c.yaml')], { env });
    expect(bad.code).toBe(2);
    for (const expected of [
      /events\.sources\[0\] \(aws-events\):.*V_KEY/,
      /events\.sources\[1\] \(azure-events\): connectionStringEnv: environment variable V_CS is not set/,
      /events\.sources\[2\] \(gcp-events\): credentials\.keyFile: cannot read .*gcp-key\.json/,
      /events\.sources\[3\] \(oci-events\): configFile: cannot read .*oci-config/,
    ]) {
      expect(bad.stderr).toMatch(expected);
    }

    await writeFile(join(dir, 'gcp-key.json'), '{}\n');
    await writeFile(join(dir, 'c.yaml'), config(sources.split('\n').filter((l) => !l.includes('oci-events')).join('\n')));
    const good = await runCli(['validate', '--config', join(dir, 'c.yaml')], { env: { ...env, V_KEY: 'AKIDVALIDATE00000001', V_SECRET: 'validate-secret', V_CS: 'UseDevelopmentStorage=true' } });
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('4 event source(s)');
  });
});
