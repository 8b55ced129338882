import type { Logger } from 'pino';
import type { Vendor } from '../model/index.ts';

/**
 * What a cloud event says changed, reduced to what chooses scopes to rediscover. An event is a hint,
 * never a fact: nothing in it (an IP, a region) is ever written; the connector's own listing decides.
 * Every field left out widens the match: no `account` means every account of the vendor, no `region`
 * every region.
 */
export interface ChangeHint {
  vendor: Vendor;
  /** AWS account id, GCP project id, Azure subscription id, OCI tenancy OCID (OCI events carry none). */
  account?: string;
  /** Vendor-native region name (us-east-1, us-central1, eastus, us-ashburn-1). */
  region?: string;
  /** Only scopes of this connector (a file connector's own watch). */
  connector?: string;
  /** For logs and the audit trail only: the resource and the action, as the vendor names them. */
  resource?: string;
  action?: string;
}

/**
 * One message, parsed. `hints` empty: a well-formed event that changes nothing we discover (a failed API
 * call, an unrelated type): counted as ignored. Malformed or unknown shape: `ok: false` with a reason.
 */
export type ParsedEvent =
  | { ok: true; id: string; /** When the change happened, by the vendor's clock (ms). */ time?: number; hints: ChangeHint[] }
  | { ok: false; reason: string };

/** What happened to one message. Every outcome but a thrown error means: acknowledge it. */
export type EventOutcome = 'enqueued' | 'coalesced' | 'ignored' | 'unrouted' | 'malformed';

export interface EventMeta {
  /** The transport's message id, for logs. */
  messageId?: string;
  /** When the queue got the message (SQS SentTimestamp, Pub/Sub publishTime, Azure insertedOn, OCI timestamp): its age is the lag. */
  sentAt?: number;
  /** The raw body, for a bounded excerpt in the log of a malformed message. */
  raw?: string;
}

/**
 * Where consumers hand what they received. `take` resolves once the resync the message asks for is
 * durably in Redis (or the message is refused as malformed, irrelevant or unrouted): only then may the
 * consumer acknowledge or delete it. It rejects when Redis did not take it: leave the message for
 * redelivery and back off. It never rejects for anything in the message itself.
 */
export interface EventSink {
  take(source: string, parsed: ParsedEvent, meta?: EventMeta): Promise<EventOutcome>;
}

/** A source reports whether it can receive, so /readyz, status and the dashboard can say so. */
export interface SourceHealth {
  /** Received (or an empty long poll returned): the source works. */
  up(): void;
  /** Cannot connect, authenticate or receive: the error (never a credential), retried with backoff. */
  down(error: string): void;
  /** Age in seconds of the oldest message in the last batch (at receipt), where the vendor tells. */
  lag(seconds: number): void;
}

export interface EventSourceContext {
  sink: EventSink;
  health: SourceHealth;
  logger: Logger;
  /** Folder of the configuration file (relative paths resolve against it). */
  configDir: string;
  env: NodeJS.ProcessEnv;
}

/**
 * One configured source. `start` begins consuming in the background and never throws: a source that
 * cannot connect retries with backoff (see backoff.ts) and says so through `health`, without stopping the
 * schedule or other sources. `stop` ends receiving and waits (bounded) for messages in hand, which are
 * acknowledged only if the sink took them.
 */
export interface EventSource {
  readonly name: string;
  readonly type: string;
  start(): void;
  stop(): Promise<void>;
}
