import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventSource, sourceSchema } from '../../connectors/gcp/events.ts';
import { startPubsubEmulator, type PubsubEmulator } from '../../src/emulators/gcp/pubsub.ts';
import type { EventMeta, EventOutcome, EventSink, EventSource, ParsedEvent, SourceHealth } from '../../src/events/types.ts';

// The gcp-pubsub source: the official @google-cloud/pubsub client (StreamingPull, its lease management)
// against the Pub/Sub emulator over gRPC, handing what it receives to a recording sink.

const TOPIC = 'projects/ors-fake/topics/ors-events';
const SUB = 'projects/ors-fake/subscriptions/ors-events';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Took {
  parsed: ParsedEvent;
  meta?: EventMeta;
}

/** Records what it is given; `refuse` makes the next N takes reject (Redis not taking the resync). */
class RecordingSink implements EventSink {
  took: Took[] = [];
  refuse = 0;
  hang = false;
  async take(_source: string, parsed: ParsedEvent, meta?: EventMeta): Promise<EventOutcome> {
    this.took.push({ parsed, meta });
    if (this.hang) return new Promise<EventOutcome>(() => {});
    if (this.refuse > 0) {
      this.refuse--;
      throw new Error('Redis unavailable');
    }
    return parsed.ok ? (parsed.hints.length > 0 ? 'enqueued' : 'ignored') : 'malformed';
  }
}

class RecordingHealth implements SourceHealth {
  log: string[] = [];
  lags: number[] = [];
  up(): void {
    if (this.log.at(-1) !== 'up') this.log.push('up');
  }
  down(error: string): void {
    this.log.push(`down: ${error}`);
  }
  lag(seconds: number): void {
    this.lags.push(seconds);
  }
  get state(): string | undefined {
    return this.log.at(-1);
  }
}

async function emulator(port?: number): Promise<PubsubEmulator> {
  const emu = await startPubsubEmulator({ port });
  cleanups.push(() => emu.close());
  return emu;
}

function source(emu: PubsubEmulator, extra: Record<string, unknown> = {}) {
  const sink = new RecordingSink();
  const health = new RecordingHealth();
  const src: EventSource = createEventSource(
    { name: 'gcp-events', type: 'gcp-pubsub', subscription: SUB, endpoint: emu.host, ...extra },
    { sink, health, logger: pino({ level: 'silent' }), configDir: '.', env: {} },
  );
  cleanups.push(() => src.stop());
  return { src, sink, health };
}

function auditEntry(name: string, insertId = `ins-${name}`) {
  return JSON.stringify({
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      serviceName: 'compute.googleapis.com',
      methodName: 'v1.compute.addresses.insert',
      resourceName: `projects/shop-prod-123/regions/us-central1/addresses/${name}`,
    },
    insertId,
    resource: { type: 'gce_reserved_address', labels: { project_id: 'shop-prod-123', reserved_address_id: '1', location: 'us-central1' } },
    timestamp: new Date().toISOString(),
    logName: 'projects/shop-prod-123/logs/cloudaudit.googleapis.com%2Factivity',
    operation: { id: `operation-${insertId}`, producer: 'compute.googleapis.com', last: true },
  });
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(25);
  }
}

function withSubscription(emu: PubsubEmulator): void {
  emu.createTopic(TOPIC);
  emu.createSubscription(SUB, TOPIC);
}

describe('gcp-pubsub source', () => {
  it('hands each audit entry to the sink and acknowledges it once taken; reports lag and health', async () => {
    const emu = await emulator();
    withSubscription(emu);
    const { src, sink, health } = source(emu);
    src.start();
    const [id] = emu.publish(TOPIC, [{ data: auditEntry('web-ip') }]);
    await until(() => sink.took.length === 1 && emu.backlog(SUB) === 0);
    const took = sink.took[0] as Took;
    expect(took.parsed).toMatchObject({ ok: true, id: 'ins-web-ip', hints: [{ vendor: 'gcp', account: 'shop-prod-123', region: 'us-central1' }] });
    expect(took.meta?.messageId).toBe(id);
    expect(took.meta?.sentAt).toBeGreaterThan(Date.now() - 10_000);
    expect(health.state).toBe('up');
    expect(health.lags).toHaveLength(1);
    expect(health.lags[0]).toBeGreaterThanOrEqual(0);
    expect(health.lags[0]).toBeLessThan(5);
  });

  it('without endpoint, PUBSUB_EMULATOR_HOST in the environment points it at an emulator, as for the official client', async () => {
    const emu = await emulator();
    withSubscription(emu);
    const sink = new RecordingSink();
    const src = createEventSource(
      { name: 'gcp-events', type: 'gcp-pubsub', subscription: SUB },
      { sink, health: new RecordingHealth(), logger: pino({ level: 'silent' }), configDir: '.', env: { PUBSUB_EMULATOR_HOST: emu.host } },
    );
    cleanups.push(() => src.stop());
    src.start();
    emu.publish(TOPIC, [{ data: auditEntry('env-ip') }]);
    await until(() => sink.took.length === 1 && emu.backlog(SUB) === 0);
  });

  it('an idle subscription that works reads as up after a quiet while, without any message', async () => {
    const emu = await emulator();
    withSubscription(emu);
    const { src, health } = source(emu);
    src.start();
    await sleep(1000);
    expect(health.log).toEqual([]);
    await until(() => health.state === 'up', 8000);
  });

  it('a refused take leaves the message unacknowledged: it comes back and is acknowledged once taken', async () => {
    const emu = await emulator();
    withSubscription(emu);
    const { src, sink } = source(emu);
    sink.refuse = 2;
    src.start();
    const [id] = emu.publish(TOPIC, [{ data: auditEntry('api-ip') }]);
    await until(() => sink.took.length === 3 && emu.backlog(SUB) === 0);
    expect(sink.took.map((t) => t.meta?.messageId)).toEqual([id, id, id]);
    await sleep(300);
    expect(sink.took).toHaveLength(3); // acknowledged: not delivered again
  });

  it('a malformed message is counted (handed over as malformed) and acknowledged; later messages flow', async () => {
    const emu = await emulator();
    withSubscription(emu);
    const { src, sink } = source(emu);
    src.start();
    emu.publish(TOPIC, [{ data: 'this is not { json' }, { data: Buffer.from([0xff, 0xfe, 0x00, 0x01]) }, { data: '{"hello":"world"}' }]);
    emu.publish(TOPIC, [{ data: auditEntry('after-junk') }]);
    await until(() => sink.took.length === 4 && emu.backlog(SUB) === 0);
    const bad = sink.took.filter((t) => !t.parsed.ok);
    expect(bad).toHaveLength(3);
    expect(bad[0]?.meta?.raw).toBe('this is not { json');
    expect(sink.took.find((t) => t.parsed.ok)?.parsed).toMatchObject({ id: 'ins-after-junk' });
  });

  it('a subscription that does not exist: health down (NOT_FOUND), then receiving once it is created', async () => {
    const emu = await emulator();
    emu.createTopic(TOPIC);
    const { src, sink, health } = source(emu);
    src.start();
    await until(() => health.log.some((l) => l.startsWith('down')));
    expect(health.state).toMatch(/^down: NOT_FOUND: .*Resource not found \(resource=ors-events\)/);
    // It keeps trying (with backoff) and never reads as up in between, though the channel is fine.
    await sleep(6000);
    expect(health.log.filter((l) => l.startsWith('down')).length).toBeGreaterThan(2);
    expect(health.log).not.toContain('up');

    emu.createSubscription(SUB, TOPIC);
    emu.publish(TOPIC, [{ data: auditEntry('late-ip') }]);
    await until(() => sink.took.length === 1 && emu.backlog(SUB) === 0, 20_000);
    expect(health.state).toBe('up');
  }, 30_000);

  it('the emulator going away: health down while it is gone, up again once it is back', async () => {
    const first = await startPubsubEmulator();
    const port = first.port;
    withSubscription(first);
    const { src, sink, health } = source(first);
    src.start();
    first.publish(TOPIC, [{ data: auditEntry('before') }]);
    await until(() => sink.took.length === 1 && health.state === 'up');

    await first.close();
    await until(() => health.state?.startsWith('down') === true);
    expect(health.state).toMatch(/UNAVAILABLE|CANCELLED/);

    const second = await emulator(port);
    withSubscription(second);
    second.publish(TOPIC, [{ data: auditEntry('after') }]);
    await until(() => sink.took.length === 2 && second.backlog(SUB) === 0, 25_000);
    expect(health.state).toBe('up');
  }, 40_000);

  it('stop() returns promptly when idle; with a take that never resolves it waits a bounded time and does not acknowledge', async () => {
    const emu = await emulator();
    withSubscription(emu);
    const idle = source(emu);
    idle.src.start();
    await until(() => emu.streams(SUB) > 0);
    let t0 = Date.now();
    await idle.src.stop();
    expect(Date.now() - t0).toBeLessThan(1500);
    // Its streams are gone once the server has seen them cancelled; a message sent to one still
    // closing would wait out its lease, as with the service.
    await until(() => emu.streams(SUB) === 0);

    const { src, sink } = source(emu);
    sink.hang = true;
    src.start();
    emu.publish(TOPIC, [{ data: auditEntry('stuck') }]);
    await until(() => sink.took.length === 1);
    t0 = Date.now();
    await src.stop();
    expect(Date.now() - t0).toBeLessThan(7000);
    expect(emu.backlog(SUB)).toBe(1); // given back, not acknowledged
  }, 20_000);

  it('flow control: never more than maxMessages in hand', async () => {
    const emu = await emulator();
    withSubscription(emu);
    let inHand = 0;
    let most = 0;
    const health = new RecordingHealth();
    const sink: EventSink = {
      async take() {
        inHand++;
        most = Math.max(most, inHand);
        await sleep(30);
        inHand--;
        return 'enqueued';
      },
    };
    const src = createEventSource(
      { name: 'gcp-events', type: 'gcp-pubsub', subscription: SUB, endpoint: emu.host, maxMessages: 3 },
      { sink, health, logger: pino({ level: 'silent' }), configDir: '.', env: {} },
    );
    cleanups.push(() => src.stop());
    src.start();
    emu.publish(TOPIC, Array.from({ length: 30 }, (_, i) => ({ data: auditEntry(`ip-${i}`) })));
    await until(() => emu.backlog(SUB) === 0);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(3);
  });
});

describe('gcp-pubsub source configuration', () => {
  const base = { name: 'gcp-events', type: 'gcp-pubsub', subscription: 'projects/shop-prod-123/subscriptions/ors-events' };

  it('defaults and accepted forms', () => {
    expect(sourceSchema.parse(base)).toEqual({ ...base, maxMessages: 100 });
    expect(sourceSchema.parse({ ...base, endpoint: '127.0.0.1:8085', ackDeadline: 60 })).toMatchObject({ endpoint: '127.0.0.1:8085', ackDeadline: 60 });
    expect(sourceSchema.parse({ ...base, endpoint: '[::1]:8085' }).endpoint).toBe('[::1]:8085');
    expect(sourceSchema.parse({ ...base, endpoint: 'pubsub-emulator:8681' }).endpoint).toBe('pubsub-emulator:8681');
    expect(sourceSchema.parse({ ...base, credentials: { keyFile: 'sa.json' } }).credentials).toEqual({ keyFile: 'sa.json' });
  });

  it('refuses what the service or the client would refuse later, with a reason', () => {
    const bad: Record<string, unknown>[] = [
      { ...base, subscription: 'ors-events' },
      { ...base, subscription: 'projects/shop-prod-123/topics/ors-events' },
      { ...base, subscription: 'projects/123/subscriptions/ors-events' },
      { ...base, subscription: 'projects/shop-prod-123/subscriptions/goog-x' },
      { ...base, endpoint: 'http://127.0.0.1:8085' },
      { ...base, endpoint: '127.0.0.1' },
      { ...base, endpoint: '127.0.0.1:99999' },
      { ...base, endpoint: '127.0.0.1:8085', credentials: { keyFile: 'sa.json' } },
      { ...base, credentials: { privateKey: 'x' } },
      { ...base, maxMessages: 0 },
      { ...base, ackDeadline: 5 },
      { ...base, ackDeadline: 601 },
      { ...base, unknownKey: true },
    ];
    for (const b of bad) {
      const r = sourceSchema.safeParse(b);
      expect(r.success, JSON.stringify(b)).toBe(false);
      expect(r.error?.issues[0]?.message.length).toBeGreaterThan(0);
    }
  });
});
