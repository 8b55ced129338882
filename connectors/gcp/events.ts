import { isAbsolute, resolve } from 'node:path';
import type { ClientConfig, DebugMessage, Message, PubSub, Subscription } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import { z } from 'zod';
import { backoffDelay, pause } from '../../src/events/backoff.ts';
import type { EventSource, EventSourceContext } from '../../src/events/types.ts';
import { PROJECT_ID } from './config.ts';
import { parseEvent } from './envelope.ts';
import { describeError } from './errors.ts';

// https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names
const SUBSCRIPTION = /^projects\/([^/]+)\/subscriptions\/([^/]+)$/;
const SUBSCRIPTION_ID = /^(?!goog)[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
// host:port as PUBSUB_EMULATOR_HOST takes it: a name, an IPv4 address or a bracketed IPv6 one.
const HOST_PORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/**
 * A Pub/Sub pull subscription fed by a Logging sink of Admin Activity audit logs (connectors/gcp/README.md,
 * "Events"). Credentials as the gcp connector takes them: Application Default Credentials, or a
 * service-account key file named here (never the key itself).
 */
export const sourceSchema = z
  .strictObject({
    name: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only'),
    type: z.literal('gcp-pubsub'),
    subscription: z.string().refine((s) => {
      const m = SUBSCRIPTION.exec(s);
      return m !== null && PROJECT_ID.test(m[1] as string) && SUBSCRIPTION_ID.test(m[2] as string);
    }, 'a subscription resource name: projects/<project-id>/subscriptions/<subscription-id>'),
    /** An emulator's host:port (as PUBSUB_EMULATOR_HOST): plaintext gRPC, no credentials sent. */
    endpoint: z
      .string()
      .refine((s) => {
        const m = HOST_PORT.exec(s);
        return m !== null && Number(m[1]) >= 1 && Number(m[1]) <= 65535;
      }, 'host:port of a Pub/Sub emulator (no scheme, no path), e.g. 127.0.0.1:8085')
      .optional(),
    /** Default: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity, metadata server). */
    credentials: z.strictObject({ keyFile: z.string().min(1).describe('service-account key file, relative to the configuration file') }).optional(),
    /** Flow control: at most this many messages in hand at once. */
    maxMessages: z.number().int().min(1).max(10_000).default(100),
    /** Seconds each lease is extended by (10–600); default: the client's adaptive deadline. */
    ackDeadline: z.number().int().min(10).max(600).optional(),
  })
  .refine((c) => !(c.endpoint && c.credentials), { message: 'endpoint points at an emulator, which takes no credentials: drop credentials', path: ['credentials'] });

export type SourceConfig = z.infer<typeof sourceSchema>;

export function createEventSource(config: z.input<typeof sourceSchema>, ctx: EventSourceContext): EventSource {
  return new GcpPubsubSource(sourceSchema.parse(config), ctx);
}

/**
 * The Pub/Sub client pulls in gRPC and google-gax: the schema above is read with every configuration
 * file, the SDK only once a source of this type starts.
 */
const loadSdk = () => import('@google-cloud/pubsub');
type Sdk = Awaited<ReturnType<typeof loadSdk>>;

// Messages in hand when stopping: wait this long for the sink to take them, then give them back (nack).
const CLOSE_TIMEOUT_S = 5;
// The client retries a stream that ended UNAVAILABLE (and the like) itself, 0.1 s doubling to 60 s
// (@google-cloud/pubsub message-stream.js, exponential-retry.js), and says nothing when it reconnects.
// So "working again" is read as: open, and no stream error for a while; the while grows with the outage
// (the gap to the client's next retry does too), from 5 s up to just over its 60 s ceiling.
const QUIET_MIN_MS = 5_000;
const QUIET_MAX_MS = 65_000;

class GcpPubsubSource implements EventSource {
  readonly name: string;
  readonly type = 'gcp-pubsub';
  private readonly config: SourceConfig;
  private readonly ctx: EventSourceContext;
  private readonly logger: Logger;
  private readonly stopping = new AbortController();
  private sdk?: Sdk;
  private pubsub?: PubSub;
  private subscription?: Subscription;
  private started = false;
  /** Consecutive sink refusals (Redis not taking the resync): the backoff before giving a message back. */
  private sinkFailures = 0;
  /** Consecutive reopen attempts after the stream closed on an error. */
  private reopenAttempts = 0;
  private reopening = false;
  private troubleSince?: number;
  private lastTrouble = 0;
  private openedAt = 0;
  private upTimer?: NodeJS.Timeout;

  constructor(config: SourceConfig, ctx: EventSourceContext) {
    this.config = config;
    this.ctx = ctx;
    this.name = config.name;
    this.logger = ctx.logger.child({ source: config.name, type: this.type });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.open();
  }

  /**
   * A fresh Subscription object each time: reopening the old one would race its own close, which
   * finishes after `isOpen` turns false and would close the new stream's ack queues (acks then vanish).
   */
  private async open(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    try {
      this.sdk ??= await loadSdk();
      if (this.stopping.signal.aborted) return;
      const { Duration, PubSub, SubscriptionCloseBehaviors } = this.sdk;
      this.pubsub ??= new PubSub(this.clientConfig());
      const deadline = this.config.ackDeadline ? Duration.from({ seconds: this.config.ackDeadline }) : undefined;
      const sub = this.pubsub.subscription(this.config.subscription, {
        flowControl: { maxMessages: this.config.maxMessages, allowExcessMessages: false },
        ...(deadline ? { minAckDeadline: deadline, maxAckDeadline: deadline } : {}),
        closeOptions: { behavior: SubscriptionCloseBehaviors.WaitForProcessing, timeout: Duration.from({ seconds: CLOSE_TIMEOUT_S }) },
      });
      this.subscription = sub;
      // 'error' first: an EventEmitter without an error listener throws, and this one ends the process.
      sub.on('error', (err: Error) => {
        if (sub === this.subscription) this.onStreamError(err);
      });
      sub.on('debug', (msg: DebugMessage) => {
        if (sub === this.subscription) this.onDebug(msg);
      });
      // Adding the message listener opens the subscription (StreamingPull).
      sub.on('message', (m: Message) => void this.onMessage(m));
      this.opened();
      this.logger.info({ subscription: this.config.subscription, emulator: this.endpoint() }, 'gcp-pubsub source receiving');
    } catch (e) {
      // A client that cannot even be built (unreadable options): report it and try again later.
      this.trouble(describeError(e));
      this.reopen();
    }
  }

  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    clearTimeout(this.upTimer);
    const sub = this.subscription;
    const pubsub = this.pubsub;
    this.subscription = undefined;
    try {
      // WaitForProcessing: messages whose take is in flight are acknowledged if it resolves within
      // CLOSE_TIMEOUT_S; the rest are given back (nack) for another consumer.
      if (sub) await sub.close();
      if (pubsub) await pubsub.close();
    } catch (e) {
      this.logger.warn({ err: describeError(e) }, 'gcp-pubsub source: error while closing');
    }
    this.logger.info('gcp-pubsub source stopped');
  }

  private endpoint(): string | undefined {
    return this.config.endpoint ?? (this.ctx.env.PUBSUB_EMULATOR_HOST || undefined);
  }

  private clientConfig(): ClientConfig {
    const projectId = (SUBSCRIPTION.exec(this.config.subscription) as RegExpExecArray)[1] as string;
    const endpoint = this.endpoint();
    if (endpoint) {
      // An emulator: insecure channel, no credentials. A fixed universe domain keeps the client from
      // asking the metadata server for one (it would, to compare with credentials it does not use).
      return { projectId, apiEndpoint: endpoint, emulatorMode: true, universeDomain: 'googleapis.com' };
    }
    const keyFile = this.config.credentials?.keyFile;
    return {
      // The project is the subscription's: the client never has to look it up through ADC.
      projectId,
      ...(keyFile ? { keyFilename: isAbsolute(keyFile) ? keyFile : resolve(this.ctx.configDir, keyFile) } : {}),
    };
  }

  private async onMessage(m: Message): Promise<void> {
    try {
      if (this.stopping.signal.aborted) {
        m.nack();
        return;
      }
      this.healthy();
      const sentAt = m.publishTime.getTime();
      if (Number.isFinite(sentAt)) this.ctx.health.lag(Math.max(0, (Date.now() - sentAt) / 1000));
      const raw = m.data.toString('utf8');
      const parsed = parseEvent(raw);
      try {
        await this.ctx.sink.take(this.name, parsed, { messageId: m.id, sentAt, raw });
      } catch (e) {
        // Not durably enqueued: the message must come back. Hold it for the backoff first, so a Redis
        // outage is not a tight redelivery loop (the client keeps extending its lease meanwhile).
        const attempt = this.sinkFailures++;
        this.logger.warn({ messageId: m.id, attempt: attempt + 1, err: (e as Error).message }, 'gcp-pubsub: the sink did not take the message; it will be redelivered');
        await pause(backoffDelay(attempt), this.stopping.signal);
        m.nack();
        return;
      }
      this.sinkFailures = 0;
      m.ack();
    } catch (e) {
      // Nothing in a message may end the consumer; a message left unacknowledged comes back.
      this.logger.error({ messageId: m.id, err: describeError(e) }, 'gcp-pubsub: unexpected error handling a message');
      m.nack();
    }
  }

  /** The stream closed for good (NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED…): reopen with backoff. */
  private onStreamError(err: Error): void {
    if (this.stopping.signal.aborted) return;
    const detail = describeError(err);
    this.logger.warn({ err: detail }, 'gcp-pubsub: subscription stream failed; reopening with backoff');
    this.trouble(detail);
    this.reopen();
  }

  /** Stream ends the client retries itself (UNAVAILABLE, DEADLINE_EXCEEDED…) only show up here. */
  private onDebug(msg: DebugMessage): void {
    const err = msg.error as (Error & { code?: unknown }) | undefined;
    if (err && typeof err.code === 'number' && /stream .* ended with status/i.test(msg.message)) {
      if (this.stopping.signal.aborted) return;
      this.logger.warn({ err: describeError(err) }, 'gcp-pubsub: subscription stream ended; the client retries it');
      this.trouble(describeError(err));
    } else {
      // Ack/modAck batches that failed: the messages come back, duplicates are harmless.
      this.logger.debug({ detail: msg.message, err: err ? describeError(err) : undefined }, 'gcp-pubsub client debug');
    }
  }

  private reopen(): void {
    if (this.reopening || this.stopping.signal.aborted) return;
    this.reopening = true;
    const delay = backoffDelay(this.reopenAttempts++);
    const old = this.subscription;
    this.subscription = undefined;
    void (async () => {
      try {
        // Messages in hand on the old stream are taken or given back before the new one opens.
        await old?.close().catch(() => undefined);
        if (!(await pause(delay, this.stopping.signal))) return;
      } finally {
        this.reopening = false;
      }
      await this.open();
    })();
  }

  private trouble(detail: string): void {
    const now = Date.now();
    this.troubleSince ??= now;
    this.lastTrouble = now;
    this.ctx.health.down(detail);
    this.scheduleUpCheck();
  }

  private opened(): void {
    this.openedAt = Date.now();
    this.scheduleUpCheck();
  }

  private healthy(): void {
    clearTimeout(this.upTimer);
    this.troubleSince = undefined;
    this.reopenAttempts = 0;
    this.ctx.health.up();
  }

  /** As long as the outage had lasted at its latest error: about the gap to the client's next retry. */
  private quietWindow(): number {
    const outage = this.troubleSince === undefined ? 0 : this.lastTrouble - this.troubleSince;
    return Math.min(QUIET_MAX_MS, Math.max(QUIET_MIN_MS, outage));
  }

  private scheduleUpCheck(): void {
    clearTimeout(this.upTimer);
    if (this.stopping.signal.aborted) return;
    const due = Math.max(this.lastTrouble, this.openedAt) + this.quietWindow() - Date.now();
    this.upTimer = setTimeout(() => {
      // Closed (reopen pending): opened() schedules the next check.
      if (this.stopping.signal.aborted || !this.subscription?.isOpen) return;
      if (Date.now() - Math.max(this.lastTrouble, this.openedAt) >= this.quietWindow() - 50) this.healthy();
      else this.scheduleUpCheck();
    }, Math.max(0, due));
    this.upTimer.unref();
  }
}
