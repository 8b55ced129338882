import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueClient } from '@azure/storage-queue';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEventSource, sourceSchema, type SourceConfig } from '../../connectors/azure/events.ts';
import { AZURITE_KEY, startAzurite, type Azurite } from '../../src/emulators/azure/azurite.ts';
import type { EventMeta, EventOutcome, EventSource, ParsedEvent } from '../../src/events/types.ts';

// The consumer with the official @azure/storage-queue SDK against Azurite, Microsoft's Storage emulator:
// real receive / delete / visibility timeouts, nothing stubbed below the SDK. The sink is the test's own.

const SUB = '6b1f3c2e-8d4a-4b7e-9f10-2a3b4c5d6e7f';

function armEvent(id: string, name = 'web-pip') {
  const resourceUri = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/${name}`;
  return {
    id,
    topic: `/subscriptions/${SUB}`,
    subject: resourceUri,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: new Date().toISOString(),
    data: { operationName: 'Microsoft.Network/publicIPAddresses/write', resourceUri, resourceProvider: 'Microsoft.Network', status: 'Succeeded', subscriptionId: SUB },
    dataVersion: '2',
    metadataVersion: '1',
  };
}
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

interface Taken {
  source: string;
  parsed: ParsedEvent;
  meta: EventMeta | undefined;
}

/** A sink that records, and refuses when `refuse` says so (Redis not taking the job). */
class RecordingSink {
  taken: Taken[] = [];
  refuse: (parsed: ParsedEvent, meta: EventMeta | undefined) => boolean = () => false;
  delayMs = 0;
  async take(source: string, parsed: ParsedEvent, meta?: EventMeta): Promise<EventOutcome> {
    if (this.delayMs) await sleep(this.delayMs);
    this.taken.push({ source, parsed, meta });
    if (this.refuse(parsed, meta)) throw new Error('redis unavailable');
    return parsed.ok ? (parsed.hints.length ? 'enqueued' : 'ignored') : 'malformed';
  }
  ids(): string[] {
    return this.taken.flatMap((t) => (t.parsed.ok ? [t.parsed.id] : []));
  }
}

class RecordingHealth {
  events: Array<{ kind: 'up' } | { kind: 'down'; error: string } | { kind: 'lag'; seconds: number }> = [];
  up() {
    this.events.push({ kind: 'up' });
  }
  down(error: string) {
    this.events.push({ kind: 'down', error });
  }
  lag(seconds: number) {
    this.events.push({ kind: 'lag', seconds });
  }
  downs(): string[] {
    return this.events.flatMap((e) => (e.kind === 'down' ? [e.error] : []));
  }
  last() {
    return this.events.at(-1);
  }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

let azurite: Azurite;
let queueSeq = 0;
const running: EventSource[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(() => azurite?.close());
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function newQueue(): Promise<{ name: string; url: string; q: QueueClient }> {
  const name = `ors-test-${++queueSeq}-${process.pid}`;
  const q = new QueueClient(azurite.connectionString, name);
  await q.create();
  return { name, url: azurite.queueUrl(name), q };
}

function start(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = { AZ_CS: azurite.connectionString }, configDir = '.') {
  const config: SourceConfig = sourceSchema.parse({ name: 'azure-events', type: 'azure-storage-queue', connectionStringEnv: 'AZ_CS', visibilityTimeout: '1s', pollInterval: '100ms', ...raw });
  const sink = new RecordingSink();
  const health = new RecordingHealth();
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const source = createEventSource(config, { sink, health, logger, configDir, env });
  running.push(source);
  source.start();
  return { source, sink, health, lines };
}

const depth = async (q: QueueClient) => (await q.getProperties()).approximateMessagesCount ?? -1;

describe('azure-storage-queue source against Azurite', () => {
  it('takes Base64 (as Event Grid writes) and plain JSON messages, then deletes them', async () => {
    const { url, q } = await newQueue();
    const sent = await q.sendMessage(b64(armEvent('ev-base64')));
    await q.sendMessage(JSON.stringify(armEvent('ev-plain')));
    const { sink, health } = start({ queueUrl: url });
    await until('two events taken', () => sink.taken.length >= 2);
    expect(sink.ids().sort()).toEqual(['ev-base64', 'ev-plain']);
    const first = sink.taken.find((t) => t.parsed.ok && t.parsed.id === 'ev-base64')!;
    expect(first.source).toBe('azure-events');
    expect(first.parsed).toMatchObject({ ok: true, hints: [{ vendor: 'azure', account: SUB, action: 'Microsoft.Network/publicIPAddresses/write' }] });
    expect(first.meta?.messageId).toBe(sent.messageId);
    expect(first.meta?.sentAt).toBe(sent.insertedOn.getTime());
    // Deleted, not merely hidden: the approximate count includes invisible messages.
    await until('queue empty', async () => (await depth(q)) === 0);
    expect(health.events.some((e) => e.kind === 'up')).toBe(true);
    expect(health.events.some((e) => e.kind === 'lag' && e.seconds >= 0 && e.seconds < 30)).toBe(true);
    expect(health.downs()).toEqual([]);
  });

  it('receives up to maxMessages per call and works through a backlog', async () => {
    const { url, q } = await newQueue();
    await Promise.all(Array.from({ length: 70 }, (_, i) => q.sendMessage(b64(armEvent(`bulk-${i}`)))));
    const { sink } = start({ queueUrl: url, maxMessages: 32 });
    await until('70 taken', () => sink.taken.length >= 70);
    expect(new Set(sink.ids()).size).toBe(70);
    await until('queue empty', async () => (await depth(q)) === 0);
  });

  it('leaves a message the sink refused for redelivery after the visibility timeout, and deletes it only once taken', async () => {
    const { url, q } = await newQueue();
    await q.sendMessage(b64(armEvent('ev-retry')));
    const { sink, health } = start({ queueUrl: url });
    let refusals = 0;
    sink.refuse = () => refusals++ < 2;
    await until('taken three times', () => sink.taken.length >= 3, 15_000);
    // Redelivered by the queue (visibilityTimeout 1 s), not re-handed by the consumer from memory.
    const times = sink.taken.map((t) => t.meta?.sentAt);
    expect(new Set(times).size).toBe(1);
    await until('queue empty', async () => (await depth(q)) === 0);
    expect(sink.taken).toHaveLength(3);
    // The queue worked all along: Redis refusing is not the source being down.
    expect(health.downs()).toEqual([]);
  });

  it('a message that keeps failing (high dequeueCount) stays until the sink takes it', async () => {
    const { url, q } = await newQueue();
    await q.sendMessage(b64(armEvent('ev-stubborn')));
    const first = start({ queueUrl: url });
    first.sink.refuse = () => true;
    await until('refused three times', () => first.sink.taken.length >= 3, 15_000);
    await first.source.stop();
    // Visible again once its last visibility timeout ran out: still there, and delivered that many times.
    await until('visible again', async () => (await q.peekMessages()).peekedMessageItems.length === 1, 5_000);
    expect((await q.peekMessages()).peekedMessageItems[0]?.dequeueCount).toBeGreaterThanOrEqual(3);
    const second = start({ queueUrl: url });
    await until('taken', () => second.sink.taken.length === 1);
    await until('queue empty', async () => (await depth(q)) === 0);
  });

  it('hands malformed messages to the sink with a reason, deletes them, and keeps consuming', async () => {
    const { url, q } = await newQueue();
    await q.sendMessage('this is not json');
    await q.sendMessage(Buffer.from('plain words').toString('base64'));
    await q.sendMessage('{"truncated": ');
    await q.sendMessage(b64([armEvent('in-an-array')]));
    await q.sendMessage(b64({ hello: 'world' }));
    await q.sendMessage(b64(armEvent('after-the-bad-ones')));
    const { sink } = start({ queueUrl: url, maxMessages: 2 });
    await until('six taken', () => sink.taken.length >= 6);
    const reasons = sink.taken.flatMap((t) => (t.parsed.ok ? [] : [t.parsed.reason])).sort();
    expect(reasons).toEqual([
      expect.stringMatching(/^Base64 that does not decode to JSON/),
      expect.stringMatching(/^an array of 1 event/),
      expect.stringMatching(/^neither JSON nor Base64/),
      expect.stringMatching(/^no id/),
      expect.stringMatching(/^not JSON/),
    ]);
    // The excerpt the sink logs is the decoded text when there is one.
    expect(sink.taken.find((t) => !t.parsed.ok && t.parsed.reason.startsWith('Base64'))?.meta?.raw).toBe('plain words');
    expect(sink.ids()).toEqual(['after-the-bad-ones']);
    await until('queue empty', async () => (await depth(q)) === 0);
  });

  it('a wrong account key: health down (no key in the error or the logs), then recovery when the key is fixed', async () => {
    const { url, q } = await newQueue();
    await q.sendMessage(b64(armEvent('after-recovery')));
    const wrong = Buffer.from('x'.repeat(64)).toString('base64');
    const env: NodeJS.ProcessEnv = { AZ_KEY: wrong };
    const { sink, health, lines } = start({ queueUrl: url, connectionStringEnv: undefined, accountKeyEnv: 'AZ_KEY' }, env);
    await until('down', () => health.downs().length > 0);
    expect(health.downs()[0]).toMatch(/AuthenticationFailed \(HTTP 403\)/);
    expect(sink.taken).toEqual([]);
    env['AZ_KEY'] = AZURITE_KEY;
    await until('taken after recovery', () => sink.ids().includes('after-recovery'), 15_000);
    expect(health.last()?.kind).not.toBe('down');
    const all = [...health.downs(), ...lines].join('\n');
    expect(all).not.toContain(wrong);
    expect(all).not.toContain(AZURITE_KEY);
  });

  it('a missing environment variable or a connection string for another queue is a health error, never a crash', async () => {
    const { url } = await newQueue();
    const a = start({ queueUrl: url }, {});
    await until('down', () => a.health.downs().length > 0);
    expect(a.health.downs()[0]).toMatch(/environment variable AZ_CS \(connectionStringEnv\) is empty or not set/);
    const other = azurite.connectionString.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:1');
    const b = start({ queueUrl: url }, { AZ_CS: other });
    await until('down', () => b.health.downs().length > 0);
    expect(b.health.downs()[0]).toMatch(/points at http:\/\/127\.0\.0\.1:1\/devstoreaccount1\/ors-test-\d+-\d+, not at queueUrl/);
    expect(b.health.downs()[0]).not.toContain(AZURITE_KEY);
  });

  it('reads the connection string from a file, relative to the configuration, re-read after a failure', async () => {
    const { url, q } = await newQueue();
    await q.sendMessage(b64(armEvent('from-file')));
    const dir = mkdtempSync(join(tmpdir(), 'ors-az-'));
    try {
      const file = join(dir, 'queue.cs');
      writeFileSync(file, 'AccountName=devstoreaccount1;AccountKey=bm9wZQ==;DefaultEndpointsProtocol=http;QueueEndpoint=' + azurite.queueEndpoint + '\n');
      const { sink, health } = start({ queueUrl: url, connectionStringEnv: undefined, connectionStringFile: 'queue.cs' }, {}, dir);
      await until('down', () => health.downs().length > 0);
      expect(health.downs()[0]).toMatch(/AuthenticationFailed/);
      writeFileSync(file, azurite.connectionString + '\n');
      await until('taken', () => sink.ids().includes('from-file'), 15_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a queue service that goes away: down, then back to consuming when it returns on the same port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ors-azurite-restart-'));
    let own = await startAzurite({ dir });
    try {
      const name = 'restart-q';
      const q = new QueueClient(own.connectionString, name);
      await q.create();
      const { sink, health } = start({ queueUrl: own.queueUrl(name) }, { AZ_CS: own.connectionString });
      await until('up', () => health.events.some((e) => e.kind === 'up'));
      await own.kill();
      await until('down', () => health.downs().length > 0);
      expect(health.downs()[0]).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up/);
      own = await startAzurite({ dir, port: own.port });
      // Azurite saves its metadata every few seconds: a SIGKILL may have lost the queue, as a real outage can.
      const again = new QueueClient(own.connectionString, name);
      await again.createIfNotExists();
      await again.sendMessage(b64(armEvent('after-restart')));
      await until('taken after restart', () => sink.ids().includes('after-restart'), 20_000);
    } finally {
      await own.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stop() waits for messages in hand and deletes those the sink took', async () => {
    const { url, q } = await newQueue();
    await q.sendMessage(b64(armEvent('in-hand')));
    const { source, sink } = start({ queueUrl: url, visibilityTimeout: '30s' });
    sink.delayMs = 500;
    await until('received', async () => (await q.peekMessages()).peekedMessageItems.length === 0);
    await source.stop();
    expect(sink.ids()).toEqual(['in-hand']);
    expect(await depth(q)).toBe(0);
  });
});

describe('azure-storage-queue configuration', () => {
  const base = { name: 'e', type: 'azure-storage-queue', queueUrl: 'https://acct.queue.core.windows.net/ors-events' };

  it('defaults: DefaultAzureCredential, 30 s visibility, 32 messages, 1 s poll', () => {
    expect(sourceSchema.parse(base)).toEqual({ ...base, visibilityTimeout: 30_000, maxMessages: 32, pollInterval: 1_000 });
  });

  it.each([
    [{ maxMessages: 33 }, /maxMessages/],
    [{ maxMessages: 0 }, /maxMessages/],
    [{ visibilityTimeout: '0s' }, /from 1s to 7d/],
    [{ visibilityTimeout: '8d' }, /from 1s to 7d/],
    [{ pollInterval: 'soon' }, /not a duration/],
    [{ queueUrl: 'https://acct.queue.core.windows.net/ors-events?sv=2024&sig=abc' }, /without a query/],
    [{ queueUrl: 'https://acct.queue.core.windows.net/Bad_Name' }, /queue name/],
    [{ queueUrl: 'ftp://acct/ors-events' }, /queueUrl/],
    [{ connectionString: 'DefaultEndpointsProtocol=https;AccountKey=abc' }, /connectionString: credentials never go in the configuration file/],
    [{ accountKey: 'abc' }, /accountKey: credentials never go/],
    [{ connectionStringEnv: 'AccountName=a;AccountKey=b' }, /NAME of an environment variable/],
    [{ connectionStringEnv: 'A', accountKeyEnv: 'B' }, /one way to authenticate, not connectionStringEnv and accountKeyEnv/],
    [{ accountKeyEnv: 'B', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' }, /tenantId is a DefaultAzureCredential setting/],
  ])('refuses %j', (over, message) => {
    const r = sourceSchema.safeParse({ ...base, ...over });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')).toMatch(message);
  });

  it('takes an Azurite path-style URL and durations as text or seconds', () => {
    const c = sourceSchema.parse({ ...base, queueUrl: 'http://127.0.0.1:10001/devstoreaccount1/ors-events', visibilityTimeout: 120, pollInterval: '250ms', accountKeyEnv: 'AZ_KEY' });
    expect(c).toMatchObject({ visibilityTimeout: 120_000, pollInterval: 250 });
  });
});
