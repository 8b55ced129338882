import { credentials } from '@grpc/grpc-js';
import { PubSub, v1, type Message } from '@google-cloud/pubsub';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startPubsubEmulator, type PubsubEmulator } from '../../../src/emulators/gcp/pubsub.ts';

// The official @google-cloud/pubsub client, unmodified, against the emulator over gRPC: the high-level
// PubSub/Subscription objects (StreamingPull, lease management) and the generated v1 clients (raw RPCs,
// to check what the high-level client never sends: flow control, stream deadlines, bad ack ids).

const TOPIC = 'projects/ors-fake/topics/ors-events';
const SUB = 'projects/ors-fake/subscriptions/ors-events';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function emulator(): Promise<PubsubEmulator> {
  const emu = await startPubsubEmulator();
  cleanups.push(() => emu.close());
  return emu;
}

// How a user points the official client at an emulator. universeDomain: no metadata-server lookup for it.
function client(emu: PubsubEmulator): PubSub {
  const ps = new PubSub({ projectId: 'ors-fake', apiEndpoint: emu.host, emulatorMode: true, universeDomain: 'googleapis.com' });
  cleanups.push(() => ps.close());
  return ps;
}

function rawSubscriber(emu: PubsubEmulator): v1.SubscriberClient {
  const c = new v1.SubscriberClient({ apiEndpoint: '127.0.0.1', port: emu.port, sslCreds: credentials.createInsecure(), universeDomain: 'googleapis.com' });
  cleanups.push(() => c.close());
  return c;
}

function rawPublisher(emu: PubsubEmulator): v1.PublisherClient {
  const c = new v1.PublisherClient({ apiEndpoint: '127.0.0.1', port: emu.port, sslCreds: credentials.createInsecure(), universeDomain: 'googleapis.com' });
  cleanups.push(() => c.close());
  return c;
}


async function rejects(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; details: string };
  }
  throw new Error('expected a rejection');
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('Pub/Sub emulator: resources and limits', () => {
  it('creates, gets and refuses duplicates and bad names as the service does', async () => {
    const emu = await emulator();
    const ps = client(emu);
    const [topic] = await ps.createTopic(TOPIC);
    expect(topic.name).toBe(TOPIC);
    const dup = await rejects(ps.createTopic(TOPIC));
    expect(dup.code).toBe(6);
    expect(dup.details).toBe('Resource already exists in the project (resource=ors-events).');

    const [sub] = await topic.createSubscription(SUB, { ackDeadlineSeconds: 30 });
    const [meta] = await sub.getMetadata();
    expect(meta).toMatchObject({ name: SUB, topic: TOPIC, ackDeadlineSeconds: 30 });
    const [defaulted] = await topic.createSubscription('projects/ors-fake/subscriptions/other-sub');
    expect((await defaulted.getMetadata())[0].ackDeadlineSeconds).toBe(10);

    const missing = await rejects(ps.topic('projects/ors-fake/topics/nope-topic').publishMessage({ data: Buffer.from('x') }));
    expect(missing).toMatchObject({ code: 5, details: 'Resource not found (resource=nope-topic).' });
    const badName = await rejects(ps.createTopic('projects/ors-fake/topics/go'));
    expect(badName.code).toBe(3);
    expect(badName.details).toMatch(/^Invalid resource name given \(name=projects\/ors-fake\/topics\/go\)/);
    expect((await rejects(ps.createTopic('projects/ors-fake/topics/goog-reserved'))).code).toBe(3);
    expect((await rejects(topic.createSubscription('projects/ors-fake/subscriptions/fast-sub', { ackDeadlineSeconds: 5 }))).code).toBe(3);
    expect((await rejects(topic.createSubscription('projects/ors-fake/subscriptions/slow-sub', { ackDeadlineSeconds: 601 }))).code).toBe(3);
    const noTopic = await rejects(ps.topic('projects/ors-fake/topics/gone-topic').createSubscription('projects/ors-fake/subscriptions/orphan'));
    expect(noTopic).toMatchObject({ code: 5, details: 'Resource not found (resource=gone-topic).' });
  });

  it('Publish: 1 to 1000 messages, at most 10 MB per request, no empty message', async () => {
    const emu = await emulator();
    emu.createTopic(TOPIC);
    const pub = rawPublisher(emu);
    const [ok] = await pub.publish({ topic: TOPIC, messages: Array.from({ length: 1000 }, (_, i) => ({ data: Buffer.from(`m${i}`) })) });
    expect(ok.messageIds).toHaveLength(1000);
    expect(new Set(ok.messageIds).size).toBe(1000);

    const tooMany = await rejects(pub.publish({ topic: TOPIC, messages: Array.from({ length: 1001 }, () => ({ data: Buffer.from('x') })) }));
    expect(tooMany).toMatchObject({ code: 3, details: 'The value for 1001 is too large. You passed message_count in the request, but the maximum value is 1000.' });
    expect((await rejects(pub.publish({ topic: TOPIC, messages: [] }))).code).toBe(3);
    expect((await rejects(pub.publish({ topic: TOPIC, messages: [{ data: Buffer.alloc(0) }] }))).code).toBe(3);

    const big = Buffer.alloc(3_400_000, 97);
    const tooBig = await rejects(pub.publish({ topic: TOPIC, messages: [{ data: big }, { data: big }, { data: big }] }));
    expect(tooBig.code).toBe(3);
    expect(tooBig.details).toMatch(/request_size in the request, but the maximum value is 10000000\.$/);
    const [fits] = await pub.publish({ topic: TOPIC, messages: [{ data: big }, { data: big }] });
    expect(fits.messageIds).toHaveLength(2);
  });
});

describe('Pub/Sub emulator: delivery', () => {
  it('high-level client: StreamingPull delivers, ack removes, nack redelivers the same message', async () => {
    const emu = await emulator();
    const ps = client(emu);
    const [topic] = await ps.createTopic(TOPIC);
    await topic.createSubscription(SUB);
    const sub = ps.subscription(SUB, { flowControl: { maxMessages: 10 } });
    cleanups.push(() => sub.close());
    const seen: { id: string; data: string; deliveryAttempt: number }[] = [];
    let nacked = false;
    sub.on('message', (m: Message) => {
      seen.push({ id: m.id, data: m.data.toString(), deliveryAttempt: m.deliveryAttempt });
      if (m.data.toString() === 'second' && !nacked) {
        nacked = true;
        m.nack();
      } else m.ack();
    });
    const first = await topic.publishMessage({ data: Buffer.from('first'), attributes: { kind: 'test' } });
    const second = await topic.publishMessage({ data: Buffer.from('second') });
    await until(() => seen.length >= 3 && emu.backlog(SUB) === 0);
    expect(seen.map((s) => s.data)).toEqual(['first', 'second', 'second']);
    expect(seen.map((s) => s.id)).toEqual([first, second, second]);
  });

  it('unary Pull and Acknowledge; a lease that runs out (ModifyAckDeadline 1 s) redelivers under a new ack id', async () => {
    const emu = await emulator();
    emu.createTopic(TOPIC);
    emu.createSubscription(SUB, TOPIC);
    const [id] = emu.publish(TOPIC, [{ data: 'hello', attributes: { a: '1' } }]);
    const subscriber = rawSubscriber(emu);

    const [first] = await subscriber.pull({ subscription: SUB, maxMessages: 10 });
    expect(first.receivedMessages).toHaveLength(1);
    const got = first.receivedMessages?.[0];
    expect(got?.message?.messageId).toBe(id);
    expect(Buffer.from(got?.message?.data as Uint8Array).toString()).toBe('hello');
    expect(got?.message?.attributes).toEqual({ a: '1' });
    expect(Number(got?.message?.publishTime?.seconds)).toBeGreaterThan(1_700_000_000);

    // Leased: nothing else to pull.
    const [empty] = await subscriber.pull({ subscription: SUB, maxMessages: 10, returnImmediately: true });
    expect(empty.receivedMessages ?? []).toHaveLength(0);

    await subscriber.modifyAckDeadline({ subscription: SUB, ackIds: [got?.ackId as string], ackDeadlineSeconds: 1 });
    await sleep(1200);
    const [again] = await subscriber.pull({ subscription: SUB, maxMessages: 10, returnImmediately: true });
    const redelivered = again.receivedMessages?.[0];
    expect(redelivered?.message?.messageId).toBe(id);
    expect(redelivered?.ackId).not.toBe(got?.ackId);

    // The first delivery's ack id is stale: acknowledging it is no error and does nothing.
    await subscriber.acknowledge({ subscription: SUB, ackIds: [got?.ackId as string] });
    expect(emu.backlog(SUB)).toBe(1);
    await subscriber.acknowledge({ subscription: SUB, ackIds: [redelivered?.ackId as string] });
    expect(emu.backlog(SUB)).toBe(0);
    await subscriber.acknowledge({ subscription: SUB, ackIds: [redelivered?.ackId as string] }); // twice: fine
  });

  it('a Pull without return_immediately waits for a message published meanwhile', async () => {
    const emu = await emulator();
    emu.createTopic(TOPIC);
    emu.createSubscription(SUB, TOPIC);
    const subscriber = rawSubscriber(emu);
    const t0 = Date.now();
    const pending = subscriber.pull({ subscription: SUB, maxMessages: 5 });
    setTimeout(() => emu.publish(TOPIC, [{ data: 'late' }]), 300);
    const [res] = await pending;
    expect(res.receivedMessages).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('ModifyAckDeadline and Acknowledge: range, ack id form, 512 KiB per request, unknown subscription', async () => {
    const emu = await emulator();
    emu.createTopic(TOPIC);
    emu.createSubscription(SUB, TOPIC);
    emu.publish(TOPIC, [{ data: 'x' }]);
    const subscriber = rawSubscriber(emu);
    const [res] = await subscriber.pull({ subscription: SUB, maxMessages: 1 });
    const ackId = res.receivedMessages?.[0]?.ackId as string;
    expect((await rejects(subscriber.modifyAckDeadline({ subscription: SUB, ackIds: [ackId], ackDeadlineSeconds: 601 }))).code).toBe(3);
    expect((await rejects(subscriber.acknowledge({ subscription: SUB, ackIds: ['not-an-ack-id'] }))).details).toMatch(/invalid ack ID/);
    expect((await rejects(subscriber.acknowledge({ subscription: SUB, ackIds: [] }))).code).toBe(3);
    const huge = Array.from({ length: 25_000 }, (_, i) => `${ackId.split('-')[0]}-${i + 1_000_000}`);
    const tooBig = await rejects(subscriber.acknowledge({ subscription: SUB, ackIds: huge }));
    expect(tooBig).toMatchObject({ code: 3, details: 'Request payload size exceeds the limit: 524288 bytes.' });
    expect((await rejects(subscriber.acknowledge({ subscription: 'projects/ors-fake/subscriptions/missing', ackIds: [ackId] }))).code).toBe(5);
    expect(emu.backlog(SUB)).toBe(1);
  });
});

type Stream = ReturnType<v1.SubscriberClient['streamingPull']>;

function openStream(subscriber: v1.SubscriberClient) {
  const stream: Stream = subscriber.streamingPull();
  const received: { ackId: string; id: string }[] = [];
  let responses = 0;
  let status: { code: number; details: string } | undefined;
  stream.on('data', (r: { receivedMessages?: { ackId: string; message: { messageId: string } }[] }) => {
    responses++;
    for (const m of r.receivedMessages ?? []) received.push({ ackId: m.ackId, id: m.message.messageId });
  });
  stream.on('error', (e: { code: number; details: string }) => (status = { code: e.code, details: e.details }));
  cleanups.push(async () => stream.cancel());
  return { stream, received, responses: () => responses, status: () => status };
}

describe('Pub/Sub emulator: StreamingPull on the wire', () => {
  it('honours max_outstanding_messages: sends more only as messages are acked', async () => {
    const emu = await emulator();
    emu.createTopic(TOPIC);
    emu.createSubscription(SUB, TOPIC);
    emu.publish(TOPIC, ['a', 'b', 'c', 'd', 'e'].map((data) => ({ data })));
    const s = openStream(rawSubscriber(emu));
    s.stream.write({ subscription: SUB, streamAckDeadlineSeconds: 60, maxOutstandingMessages: 2 });
    await until(() => s.received.length === 2);
    await sleep(200);
    expect(s.received).toHaveLength(2);
    s.stream.write({ ackIds: [s.received[0]?.ackId] });
    await until(() => s.received.length === 3);
    // A nack through the stream (deadline 0) gives the message back: it comes again on this stream.
    s.stream.write({ modifyDeadlineAckIds: [s.received[1]?.ackId], modifyDeadlineSeconds: [0] });
    await until(() => s.received.length === 4);
    expect(s.received[3]?.id).toBe(s.received[1]?.id);
    expect(emu.backlog(SUB)).toBe(4);
  });

  it('redelivers when the stream’s ack deadline runs out', async () => {
    const emu = await emulator();
    emu.createTopic(TOPIC);
    emu.createSubscription(SUB, TOPIC);
    const s = openStream(rawSubscriber(emu));
    s.stream.write({ subscription: SUB, streamAckDeadlineSeconds: 10 });
    await sleep(100);
    const [id] = emu.publish(TOPIC, [{ data: 'slow' }]);
    await until(() => s.received.length === 1);
    const t0 = Date.now();
    await until(() => s.received.length === 2, 15_000);
    expect(Date.now() - t0).toBeGreaterThan(9_000);
    expect(s.received.map((r) => r.id)).toEqual([id, id]);
  }, 20_000);

  it('answers a keepalive (protocol version 1) with an empty response', async () => {
    const emu = await emulator();
    emu.createTopic(TOPIC);
    emu.createSubscription(SUB, TOPIC);
    const s = openStream(rawSubscriber(emu));
    s.stream.write({ subscription: SUB, streamAckDeadlineSeconds: 10, protocolVersion: 1 });
    await sleep(100);
    expect(s.responses()).toBe(0);
    s.stream.write({});
    await until(() => s.responses() === 1);
  });

  it('aborts the stream: unknown subscription, deadline out of range, bad follow-up requests, subscription deleted', async () => {
    const emu = await emulator();
    emu.createTopic(TOPIC);
    emu.createSubscription(SUB, TOPIC);
    const subscriber = rawSubscriber(emu);

    const missing = openStream(subscriber);
    missing.stream.write({ subscription: 'projects/ors-fake/subscriptions/nope-sub', streamAckDeadlineSeconds: 10 });
    await until(() => missing.status() !== undefined);
    expect(missing.status()).toEqual({ code: 5, details: 'Resource not found (resource=nope-sub).' });

    const short = openStream(subscriber);
    short.stream.write({ subscription: SUB, streamAckDeadlineSeconds: 5 });
    await until(() => short.status() !== undefined);
    expect(short.status()).toEqual({ code: 3, details: 'stream_ack_deadline_seconds must be between 10 and 600 seconds' });

    for (const followUp of [{ subscription: SUB }, { maxOutstandingMessages: 3 }, { ackIds: ['garbage'] }, { modifyDeadlineAckIds: ['x'], modifyDeadlineSeconds: [] }]) {
      const s = openStream(subscriber);
      s.stream.write({ subscription: SUB, streamAckDeadlineSeconds: 10 });
      s.stream.write(followUp);
      await until(() => s.status() !== undefined);
      expect(s.status()?.code, JSON.stringify(followUp)).toBe(3);
    }

    const live = openStream(subscriber);
    live.stream.write({ subscription: SUB, streamAckDeadlineSeconds: 10 });
    await sleep(100);
    await subscriber.deleteSubscription({ subscription: SUB });
    await until(() => live.status() !== undefined);
    expect(live.status()?.code).toBe(5);
  });
});
