import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventSource, queueRegion, sourceSchema } from '../../connectors/aws/events.ts';
import { startAwsFake, type AwsFake } from '../../src/emulators/aws/index.ts';
import type { EventMeta, EventOutcome, EventSink, EventSource, ParsedEvent, SourceHealth } from '../../src/events/types.ts';

// The aws-sqs source against the AWS fake's SQS endpoint: the official client, real HTTP, a sink that records.

const ACCOUNT = '111122223333';
const KEY_ID = 'AKIAFAKEEXAMPLE12345';
const SECRET = 'fakeSecretKeyThatMustNeverBeLogged00000';
const ENV = { ORS_TEST_KEY: KEY_ID, ORS_TEST_SECRET: SECRET };
const inventory = (addresses: Array<{ publicIp: string }> = [], faults?: unknown[]) => ({
  aws: { accounts: { [ACCOUNT]: { regions: { 'eu-west-1': { addresses } }, ...(faults ? { faults } : {}) } } },
});

class RecordingSink implements EventSink {
  readonly taken: Array<{ source: string; parsed: ParsedEvent; meta: EventMeta | undefined }> = [];
  calls = 0;
  /** How many of the next takes fail, as when Redis does not answer. */
  refuse = 0;
  async take(source: string, parsed: ParsedEvent, meta?: EventMeta): Promise<EventOutcome> {
    this.calls++;
    if (this.refuse > 0) {
      this.refuse--;
      throw new Error('redis unavailable');
    }
    this.taken.push({ source, parsed, meta });
    return parsed.ok ? (parsed.hints.length > 0 ? 'enqueued' : 'ignored') : 'malformed';
  }
}

class RecordingHealth implements SourceHealth {
  readonly log: Array<['up'] | ['down', string] | ['lag', number]> = [];
  up(): void {
    this.log.push(['up']);
  }
  down(error: string): void {
    this.log.push(['down', error]);
  }
  lag(seconds: number): void {
    this.log.push(['lag', seconds]);
  }
  get state(): 'up' | 'down' | undefined {
    return this.log.filter((e) => e[0] !== 'lag').at(-1)?.[0] as 'up' | 'down' | undefined;
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('aws-sqs source: configuration', () => {
  const base = { name: 'aws-events', type: 'aws-sqs' as const };

  it('takes the region from the queue URL host, or requires it', () => {
    expect(queueRegion('https://sqs.eu-central-1.amazonaws.com/111122223333/ors')).toBe('eu-central-1');
    expect(queueRegion('https://sqs.cn-north-1.amazonaws.com.cn/111122223333/ors')).toBe('cn-north-1');
    expect(queueRegion('https://sqs-fips.us-gov-west-1.amazonaws.com/111122223333/ors')).toBe('us-gov-west-1');
    expect(queueRegion('https://vpce-0a1b-c2d3.sqs.ap-south-1.vpce.amazonaws.com/111122223333/ors')).toBe('ap-south-1');
    expect(queueRegion('https://eu-west-1.queue.amazonaws.com/111122223333/ors')).toBe('eu-west-1');
    expect(queueRegion('https://queue.amazonaws.com/111122223333/ors')).toBe('us-east-1');
    expect(queueRegion('http://127.0.0.1:4566/111122223333/ors')).toBeUndefined();

    const ok = sourceSchema.parse({ ...base, queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/ors-events' });
    expect(ok).toMatchObject({ waitTimeSeconds: 20, maxMessages: 10 });
    expect(ok.region).toBeUndefined();
    const local = sourceSchema.safeParse({ ...base, queueUrl: 'http://127.0.0.1:4566/111122223333/ors-events' });
    expect(local.success).toBe(false);
    expect(local.error?.issues[0]).toMatchObject({ path: ['region'], message: expect.stringContaining('127.0.0.1:4566 does not name a region') });
    expect(sourceSchema.parse({ ...base, queueUrl: 'http://127.0.0.1:4566/1/q', region: 'us-east-1', visibilityTimeout: '2m' }).visibilityTimeout).toBe(120);
  });

  it('refuses SQS limits it cannot honour and inline credentials', () => {
    const url = 'https://sqs.us-east-1.amazonaws.com/111122223333/q';
    expect(sourceSchema.safeParse({ ...base, queueUrl: url, waitTimeSeconds: 21 }).success).toBe(false);
    expect(sourceSchema.safeParse({ ...base, queueUrl: url, maxMessages: 11 }).success).toBe(false);
    expect(sourceSchema.safeParse({ ...base, queueUrl: url, visibilityTimeout: '13h' }).success).toBe(false);
    const inline = sourceSchema.safeParse({ ...base, queueUrl: url, secretAccessKey: 'x' });
    expect(inline.error?.issues[0]?.message).toMatch(/never written in the config file/);
    const looksLikeKey = sourceSchema.safeParse({ ...base, queueUrl: url, credentials: { accessKeyIdEnv: KEY_ID, secretAccessKeyEnv: 'S' } });
    expect(looksLikeKey.success).toBe(false);
    expect(JSON.stringify(looksLikeKey.error?.issues)).not.toContain(KEY_ID);
  });
});

describe('aws-sqs source: consuming', () => {
  let fake: AwsFake;
  const sources: EventSource[] = [];
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  );

  // A fake per test: each starts with an empty events queue.
  beforeEach(async () => {
    fake = await startAwsFake({ inventory: inventory(), events: { queue: 'ors-events' } });
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop()));
    await fake.close();
  });

  async function start(over: Record<string, unknown> = {}, target: { url: string; queueUrl: string } = { url: fake.url, queueUrl: fake.eventsQueueUrl as string }) {
    const sink = new RecordingSink();
    const health = new RecordingHealth();
    const config = sourceSchema.parse({
      name: 'aws-events',
      type: 'aws-sqs',
      queueUrl: target.queueUrl,
      region: 'eu-west-1',
      endpoint: target.url,
      credentials: { accessKeyIdEnv: 'ORS_TEST_KEY', secretAccessKeyEnv: 'ORS_TEST_SECRET' },
      ...over,
    });
    const source = await createEventSource(config, { sink, health, logger, configDir: '.', env: ENV });
    sources.push(source);
    source.start();
    return { sink, health, source };
  }

  const depth = async () => (await (await fetch(`${fake.url}/_admin/events`)).json()) as { visible: number; inFlight: number };

  it('an inventory change reaches the sink as a hint, and the message is deleted once taken', async () => {
    const { sink, health } = await start();
    const sentBefore = Date.now();
    expect(fake.setInventory(inventory([{ publicIp: '203.0.113.50' }]))).toBe(1);
    await until('the event', () => sink.taken.length === 1);
    const [t] = sink.taken;
    expect(t?.source).toBe('aws-events');
    expect(t?.parsed).toMatchObject({ ok: true, hints: [{ vendor: 'aws', account: ACCOUNT, region: 'eu-west-1', action: 'AllocateAddress', resource: 'eipalloc-cb007132' }] });
    expect(t?.meta?.sentAt).toBeGreaterThanOrEqual(sentBefore - 1);
    expect(t?.meta?.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(t?.meta?.raw ?? '')).toMatchObject({ 'detail-type': 'AWS API Call via CloudTrail' });
    await until('the delete', () => fake.actionCount('DeleteMessageBatch') > 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(await depth()).toEqual({ queueUrl: fake.eventsQueueUrl, visible: 0, inFlight: 0 });
    expect(health.state).toBe('up');
    // One batch, one lag report; empty polls report none.
    const lags = health.log.filter((e) => e[0] === 'lag').map((e) => e[1] as number);
    expect(lags).toHaveLength(1);
    expect(lags[0]).toBeGreaterThanOrEqual(0);
    expect(lags[0]).toBeLessThan(5);
  });

  it('the lag is the age of the oldest message of the batch, by SentTimestamp', async () => {
    fake.sendRawEvent('{"waiting": "since before the consumer started"}');
    await new Promise((r) => setTimeout(r, 1200));
    const { health, sink } = await start();
    await until('the message', () => sink.taken.length === 1);
    const lag = health.log.find((e) => e[0] === 'lag')?.[1] as number;
    expect(lag).toBeGreaterThanOrEqual(1.1);
    expect(lag).toBeLessThan(10);
  });

  it('a malformed message is handed over as malformed and deleted; the messages behind it still arrive', async () => {
    const { sink } = await start();
    fake.sendRawEvent('this is not json {');
    fake.sendRawEvent(JSON.stringify({ hello: 'world' }));
    fake.setInventory(inventory([{ publicIp: '203.0.113.51' }]));
    await until('three messages', () => sink.taken.length === 3);
    expect(sink.taken.map((t) => (t.parsed.ok ? t.parsed.hints[0]?.action : t.parsed.reason))).toEqual([
      expect.stringMatching(/^body is not JSON/),
      'not an EventBridge event: missing id, detail-type, source, detail',
      'AllocateAddress',
    ]);
    expect(sink.taken[0]?.meta?.raw).toBe('this is not json {');
    await new Promise((r) => setTimeout(r, 200));
    expect(await depth()).toMatchObject({ visible: 0, inFlight: 0 });
  });

  it('a message the sink refuses stays on the queue and comes back after the visibility timeout; the others of its batch are deleted', async () => {
    const { sink } = await start({ visibilityTimeout: 1 });
    sink.refuse = 1;
    const t0 = Date.now();
    expect(fake.setInventory(inventory([{ publicIp: '203.0.113.52' }, { publicIp: '203.0.113.53' }, { publicIp: '203.0.113.54' }]))).toBe(3);
    await until('the batch', () => sink.calls === 3);
    await new Promise((r) => setTimeout(r, 150));
    // Two taken and deleted; the refused one in flight until its visibility timeout ends.
    expect(sink.taken).toHaveLength(2);
    expect(await depth()).toMatchObject({ visible: 0, inFlight: 1 });
    await until('the redelivery', () => sink.taken.length === 3, 6000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(sink.calls).toBe(4);
    const resources = sink.taken.map((t) => (t.parsed.ok ? t.parsed.hints[0]?.resource : undefined)).sort();
    expect(resources).toEqual(['eipalloc-cb007134', 'eipalloc-cb007135', 'eipalloc-cb007136']);
    await new Promise((r) => setTimeout(r, 200));
    expect(await depth()).toMatchObject({ visible: 0, inFlight: 0 });
  });

  it('an SNS-wrapped EventBridge event is unwrapped; an instance state change names its instance', async () => {
    const { sink } = await start();
    const state = {
      version: '0',
      id: 'e1',
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: 'eu-west-1',
      resources: [],
      detail: { 'instance-id': 'i-0a1b2c3d4e5f60042', state: 'stopped' },
    };
    fake.sendRawEvent(JSON.stringify({ Type: 'Notification', MessageId: 'm', TopicArn: 'arn:aws:sns:eu-west-1:111122223333:t', Message: JSON.stringify(state) }));
    await until('the event', () => sink.taken.length === 1);
    expect(sink.taken[0]?.parsed).toMatchObject({ ok: true, id: 'e1', hints: [{ resource: 'i-0a1b2c3d4e5f60042', action: 'instance stopped', region: 'eu-west-1' }] });
  });

  it('refused credentials: down with the error (no key in it), retried with backoff, up again once accepted', async () => {
    fake.setInventory(
      inventory([], [{ action: 'ReceiveMessage', code: 'InvalidClientTokenId', status: 403, message: `The security token included in the request is invalid: ${KEY_ID} ${SECRET}` }]),
    );
    const { health, sink } = await start();
    await until('down', () => health.state === 'down');
    const [, error] = health.log.find((e) => e[0] === 'down') as ['down', string];
    expect(error).toMatch(/InvalidClientTokenId/);
    expect(error).toContain('(HTTP 403)');
    expect(error).not.toContain(KEY_ID);
    expect(error).not.toContain(SECRET);
    await until('a retry', () => fake.actionCount('ReceiveMessage') >= 2, 4000);
    fake.setInventory(inventory([{ publicIp: '203.0.113.53' }]));
    await until('up again', () => health.state === 'up', 10_000);
    await until('the event', () => sink.taken.length === 1);
    const logged = lines.join('');
    expect(logged).toContain('cannot receive from the SQS queue');
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(KEY_ID);
  });

  it('an unreachable endpoint: down, and up once something answers there', async () => {
    // A port that was free a moment ago.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const url = `http://127.0.0.1:${port}`;
    const { health, sink } = await start({}, { url, queueUrl: `${url}/${ACCOUNT}/ors-events` });
    await until('down', () => health.state === 'down');
    expect(health.log.find((e) => e[0] === 'down')?.[1]).toMatch(/ECONNREFUSED/);
    const late = await startAwsFake({ inventory: inventory(), port, events: { queue: 'ors-events' } });
    try {
      late.setInventory(inventory([{ publicIp: '203.0.113.54' }]));
      await until('up', () => health.state === 'up', 10_000);
      await until('the event', () => sink.taken.length === 1);
    } finally {
      await Promise.all(sources.splice(0).map((s) => s.stop()));
      await late.close();
    }
  });

  it('stop() ends a 20-second long poll at once', async () => {
    const { source, health } = await start({ waitTimeSeconds: 20 });
    await until('the long poll', () => fake.actionCount('ReceiveMessage') > 0);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await source.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    // The aborted poll is not an outage.
    expect(health.log.some((e) => e[0] === 'down')).toBe(false);
  });
});
