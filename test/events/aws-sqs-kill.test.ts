import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createEventSource, sourceSchema } from '../../connectors/aws/events.ts';
import { startAwsFake, type AwsFake } from '../../src/emulators/aws/index.ts';
import type { EventMeta, EventSource, ParsedEvent } from '../../src/events/types.ts';

// At least once: a consumer killed (SIGKILL) after receiving a message and before the sink took it leaves
// the message on the queue; the next consumer gets it once the visibility timeout ends.

const EVENTS = new URL('../../connectors/aws/events.ts', import.meta.url).href;
const CHILD = `
import { createEventSource, sourceSchema } from ${JSON.stringify(EVENTS)};
import { pino } from 'pino';
const config = sourceSchema.parse(JSON.parse(process.argv[1]));
// The sink never answers: the process dies "between receive and enqueue".
const sink = { take: (_s, _p, meta) => { process.stdout.write('received ' + meta.messageId + '\\n'); return new Promise(() => {}); } };
const health = { up() {}, down() {}, lag() {} };
const source = await createEventSource(config, { sink, health, logger: pino({ level: 'silent' }), configDir: '.', env: process.env });
source.start();
// A daemon holds Redis and its server open; this stand-in would otherwise exit once the sink hangs.
setInterval(() => {}, 60_000);
`;

const ACCOUNT = '111122223333';
const inventory = (ips: string[]) => ({ aws: { accounts: { [ACCOUNT]: { regions: { 'us-east-1': { addresses: ips.map((publicIp) => ({ publicIp })) } } } } } });

let fake: AwsFake;
let source: EventSource | undefined;
beforeEach(async () => {
  fake = await startAwsFake({ inventory: inventory([]), events: { queue: 'ors-events' } });
});
afterEach(async () => {
  await source?.stop();
  source = undefined;
  await fake.close();
});

describe('aws-sqs: kill -9 between receive and enqueue', () => {
  it('the message comes back to the next consumer after the visibility timeout', { timeout: 30_000 }, async () => {
    const config = {
      name: 'aws-events',
      type: 'aws-sqs',
      queueUrl: fake.eventsQueueUrl,
      region: 'us-east-1',
      endpoint: fake.url,
      credentials: { accessKeyIdEnv: 'ORS_KILL_KEY', secretAccessKeyEnv: 'ORS_KILL_SECRET' },
      visibilityTimeout: 2,
    };
    const env = { ...process.env, ORS_KILL_KEY: 'AKIDKILL000000000001', ORS_KILL_SECRET: 'kill-test-secret-0001' };
    fake.setInventory(inventory(['203.0.113.70']));
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    for (let i = 0; i < 200 && !out.includes('received '); i++) await new Promise((r) => setTimeout(r, 50));
    const messageId = /received (\S+)/.exec(out)?.[1];
    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    // (A consumer that died on its own first would show why here: the point is that it never deleted.)
    expect(await exited, err).toBe('SIGKILL');

    const taken: Array<{ parsed: ParsedEvent; meta?: EventMeta }> = [];
    source = await createEventSource(sourceSchema.parse(config), {
      sink: { take: async (_s, parsed, meta) => (taken.push({ parsed, meta }), 'enqueued') },
      health: { up() {}, down() {}, lag() {} },
      logger: pino({ level: 'silent' }),
      configDir: '.',
      env,
    });
    source.start();
    for (let i = 0; i < 200 && taken.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(taken).toHaveLength(1);
    expect(taken[0]?.meta?.messageId).toBe(messageId);
    expect(taken[0]?.parsed).toMatchObject({ ok: true, hints: [{ action: 'AllocateAddress', account: ACCOUNT, region: 'us-east-1' }] });
    // Hidden for the rest of its visibility timeout, not lost.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1000);
  });
});
