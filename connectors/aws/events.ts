import type * as SqsSdk from '@aws-sdk/client-sqs';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Logger } from 'pino';
import { z } from 'zod';
import { parseDuration } from '../../src/config/duration.ts';
import { backoffDelay, pause } from '../../src/events/backoff.ts';
import type { EventMeta, EventSink, EventSource, EventSourceContext, ParsedEvent, SourceHealth } from '../../src/events/types.ts';
import { configSchema as connectorSchema, keyError } from './config.ts';
import { assumedRole, baseCredentials, shared } from './credentials.ts';
import { parseBody } from './envelope.ts';
import { describeError } from './errors.ts';

/**
 * The `aws-sqs` event source: EventBridge rules deliver EC2 and ELB events to an SQS queue, this long-polls
 * it with @aws-sdk/client-sqs and hands each message to the sink, deleting only what the sink took.
 * Limits (ReceiveMessage): WaitTimeSeconds 0-20, MaxNumberOfMessages 1-10, VisibilityTimeout 0-43200 s
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
 */

const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** The region an SQS queue URL names: sqs.<r>.amazonaws.com(.cn), sqs-fips, api.aws, VPC endpoints, the legacy <r>.queue hosts. */
export function queueRegion(queueUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  if (host === 'queue.amazonaws.com') return 'us-east-1';
  const m =
    /(?:^|\.)sqs(?:-fips)?\.([a-z]{2,4}(?:-[a-z]+)+-\d+)\.(?:vpce\.)?(?:amazonaws\.com(?:\.cn)?|api\.aws)$/.exec(host) ??
    /^([a-z]{2,4}(?:-[a-z]+)+-\d+)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host);
  return m?.[1];
}

/** A duration as the rest of the config writes one ("30s", "5m"; a bare number is seconds), in whole seconds. */
const seconds = (max: number) =>
  z.union([z.string(), z.number().nonnegative()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? v * 1000 : parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (examples: 30s, 5m, 1h)` });
      return z.NEVER;
    }
    const s = Math.round(ms / 1000);
    if (s > max) {
      ctx.addIssue({ code: 'custom', message: `at most ${max} seconds (SQS)` });
      return z.NEVER;
    }
    return s;
  });

export const sourceSchema = z
  .strictObject(
    {
      name: z.string().min(1),
      type: z.literal('aws-sqs'),
      queueUrl: z.url({ protocol: /^https?$/ }).describe('The queue EventBridge delivers to: https://sqs.<region>.amazonaws.com/<account>/<name>'),
      region: z.string().regex(REGION, { error: 'not an AWS region name' }).optional().describe('Default: from the queueUrl host'),
      endpoint: z.url({ protocol: /^https?$/ }).optional().describe('Send SQS (and STS) calls here instead (a fake); SDK retries are then off'),
      profile: connectorSchema.shape.profile,
      credentials: connectorSchema.shape.credentials,
      roleArn: z.string().regex(ROLE_ARN, { error: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)' }).optional().describe('A role to assume for the queue'),
      externalId: z.string().min(2).max(1224).optional(),
      sessionName: z
        .string()
        .regex(/^[\w+=,.@-]{2,64}$/, { error: 'a role session name is 2-64 of letters, digits and +=,.@-_' })
        .optional(),
      waitTimeSeconds: z.int().min(1).max(20).default(20).describe('Long-poll wait (SQS allows at most 20)'),
      maxMessages: z.int().min(1).max(10).default(10).describe('Messages per receive (SQS allows at most 10)'),
      visibilityTimeout: seconds(43_200).optional().describe('How long a received message stays hidden (default: the queue\'s); a message the sink refused comes back after it'),
    },
    { error: keyError },
  )
  .superRefine((c, ctx) => {
    if (c.region === undefined && queueRegion(c.queueUrl) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['region'],
        message: `required: the queueUrl host ${new URL(c.queueUrl).host} does not name a region (sqs.<region>.amazonaws.com)`,
      });
    }
    if (c.profile !== undefined && c.credentials !== undefined) ctx.addIssue({ code: 'custom', path: ['profile'], message: 'give either profile or credentials, not both' });
    if (c.externalId !== undefined && c.roleArn === undefined) ctx.addIssue({ code: 'custom', path: ['externalId'], message: 'only with roleArn' });
  });

export type SourceConfig = z.output<typeof sourceSchema>;

/** Bounded wait in stop() for the messages in hand (their take and delete). */
const STOP_GRACE_MS = 10_000;

type Sdk = typeof SqsSdk;

/** Throws only for configuration it cannot use (an environment variable that is not set). */
export async function createEventSource(config: SourceConfig, ctx: EventSourceContext): Promise<EventSource> {
  // The SDK is loaded only when a source is configured: the schema above is read by every config load.
  const sdk = await import('@aws-sdk/client-sqs');
  const region = config.region ?? (queueRegion(config.queueUrl) as string);
  const setup = baseCredentials(config, ctx.env, 'aws-sqs event source');
  const maxAttempts = config.endpoint ? 1 : 3;
  let credentials: AwsCredentialIdentityProvider = shared(setup.base);
  if (config.roleArn) {
    credentials = assumedRole(
      { roleArn: config.roleArn, ...(config.externalId ? { externalId: config.externalId } : {}), ...(config.sessionName ? { sessionName: config.sessionName } : {}) },
      credentials,
      { region, maxAttempts, requestTimeoutMs: 30_000, ...(config.endpoint ? { endpoint: config.endpoint } : {}) },
    );
  }
  const client = new sdk.SQSClient({
    region,
    credentials,
    // The queue URL's own host, as the SDK would pick it (useQueueUrlAsEndpoint), without its warning per call
    // when that host is not the region's default (VPC endpoints, FIPS).
    endpoint: config.endpoint ?? new URL(config.queueUrl).origin,
    maxAttempts,
    retryMode: 'standard',
    // A long poll legitimately takes waitTimeSeconds; only a request well past it is stuck.
    requestHandler: { connectionTimeout: 5000, requestTimeout: (config.waitTimeSeconds + 15) * 1000, throwOnRequestTimeout: true },
  });
  return new SqsEventSource(config, sdk, client, setup.secrets, ctx);
}

class SqsEventSource implements EventSource {
  readonly name: string;
  readonly type = 'aws-sqs';
  private readonly config: SourceConfig;
  private readonly sdk: Sdk;
  private readonly client: SQSClient;
  private readonly secrets: readonly string[];
  private readonly sink: EventSink;
  private readonly health: SourceHealth;
  private readonly log: Logger;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(config: SourceConfig, sdk: Sdk, client: SQSClient, secrets: readonly string[], ctx: EventSourceContext) {
    this.name = config.name;
    this.config = config;
    this.sdk = sdk;
    this.client = client;
    this.secrets = secrets;
    this.sink = ctx.sink;
    this.health = ctx.health;
    this.log = ctx.logger.child({ source: config.name, type: 'aws-sqs' });
  }

  start(): void {
    if (this.loop || this.stopping.signal.aborted) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.loop) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STOP_GRACE_MS);
      });
      await Promise.race([this.loop, grace]);
      clearTimeout(timer);
    }
    this.client.destroy();
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    let receiveFailures = 0;
    let sinkFailures = 0;
    while (!signal.aborted) {
      try {
        let messages: Message[];
        try {
          const out = await this.client.send(
            new this.sdk.ReceiveMessageCommand({
              QueueUrl: this.config.queueUrl,
              WaitTimeSeconds: this.config.waitTimeSeconds,
              MaxNumberOfMessages: this.config.maxMessages,
              MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
              ...(this.config.visibilityTimeout !== undefined ? { VisibilityTimeout: this.config.visibilityTimeout } : {}),
            }),
            { abortSignal: signal },
          );
          messages = out.Messages ?? [];
        } catch (e) {
          if (signal.aborted) break;
          const error = describeError(e, this.secrets);
          this.health.down(error);
          // Once per outage, then quietly: a queue down for an hour must not write a line every minute.
          if (receiveFailures === 0) this.log.warn({ err: error }, 'cannot receive from the SQS queue; retrying with backoff');
          await pause(backoffDelay(receiveFailures++), signal);
          continue;
        }
        if (receiveFailures > 0) this.log.info({ after: receiveFailures }, 'receiving from the SQS queue again');
        receiveFailures = 0;
        this.health.up();
        if (messages.length === 0) continue;
        // Only for a batch: the board reads a lag report as "a message arrived".
        this.health.lag(lagSeconds(messages));

        const { taken, refused } = await this.deliver(messages);
        if (taken.length > 0) await this.remove(taken);
        if (refused) {
          // Not our queue's fault: the sink could not make the resync durable. The refused message and those
          // behind it come back after the visibility timeout.
          await pause(backoffDelay(sinkFailures++), signal);
        } else {
          sinkFailures = 0;
        }
      } catch (e) {
        // Only a bug of ours lands here; the consumer must outlive it.
        this.log.error({ err: describeError(e, this.secrets) }, 'aws-sqs consumer: unexpected error; continuing');
        await pause(backoffDelay(receiveFailures++), signal);
      }
    }
  }

  /**
   * The batch's messages side by side: a hint's order does not matter (each asks for a rescan), and a burst
   * of a thousand events must not wait for a thousand Redis round trips in a row. Those the sink took are
   * deleted; any it refused stay for redelivery.
   */
  private async deliver(messages: Message[]): Promise<{ taken: Message[]; refused: boolean }> {
    const results = await Promise.allSettled(messages.map((m) => this.takeOne(m)));
    const taken = messages.filter((_, i) => results[i]?.status === 'fulfilled');
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refusals.length > 0) {
      this.log.warn({ refused: refusals.length, of: messages.length, err: (refusals[0]?.reason as Error | undefined)?.message }, 'the sink did not take some events; leaving them on the queue');
    }
    return { taken, refused: refusals.length > 0 };
  }

  private async takeOne(m: Message): Promise<void> {
    const raw = m.Body ?? '';
    let parsed: ParsedEvent;
    try {
      parsed = parseBody(raw);
    } catch (e) {
      parsed = { ok: false, reason: `unparseable (${(e as Error).message.slice(0, 80)})` };
    }
    const sentAt = Number(m.Attributes?.SentTimestamp);
    const meta: EventMeta = { raw, ...(m.MessageId ? { messageId: m.MessageId } : {}), ...(Number.isFinite(sentAt) && sentAt > 0 ? { sentAt } : {}) };
    const outcome = await this.sink.take(this.name, parsed, meta);
    this.log.debug({ messageId: m.MessageId, outcome, receiveCount: m.Attributes?.ApproximateReceiveCount }, 'event taken');
  }

  /**
   * DeleteMessageBatch, retried a few times when the call fails or an entry fails on the server side.
   * An entry refused for its receipt (expired: the message was received again meanwhile) is left: it comes
   * back and is taken again, which the sink treats as a duplicate.
   */
  private async remove(messages: Message[]): Promise<void> {
    let pending = messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '', messageId: m.MessageId }));
    for (let attempt = 0; pending.length > 0 && attempt < 3; attempt++) {
      // Stopping shortens the pauses, never skips the delete of what the sink already took.
      if (attempt > 0) await pause(backoffDelay(attempt - 1), this.stopping.signal);
      try {
        const out = await this.client.send(new this.sdk.DeleteMessageBatchCommand({ QueueUrl: this.config.queueUrl, Entries: pending.map(({ Id, ReceiptHandle }) => ({ Id, ReceiptHandle })) }));
        const retry = new Set<string>();
        for (const f of out.Failed ?? []) {
          const entry = pending.find((p) => p.Id === f.Id);
          this.log.warn({ messageId: entry?.messageId, code: f.Code, senderFault: f.SenderFault, message: f.Message?.slice(0, 200) }, 'SQS did not delete a taken message; it will be delivered again');
          if (f.SenderFault === false && f.Id !== undefined) retry.add(f.Id);
        }
        pending = pending.filter((p) => retry.has(p.Id));
      } catch (e) {
        this.log.warn({ err: describeError(e, this.secrets), messages: pending.length, attempt: attempt + 1 }, 'DeleteMessageBatch failed');
      }
    }
  }
}

/** Age of the oldest message of the batch, by SQS's SentTimestamp. */
function lagSeconds(messages: Message[], now = Date.now()): number {
  let oldest = now;
  for (const m of messages) {
    const sent = Number(m.Attributes?.SentTimestamp);
    if (Number.isFinite(sent) && sent > 0 && sent < oldest) oldest = sent;
  }
  return Math.max(0, (now - oldest) / 1000);
}
