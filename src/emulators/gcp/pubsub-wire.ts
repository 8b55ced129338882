import type { Delivered, PubsubState, Subscription, Topic } from './pubsub-state.ts';

/*
 * The Pub/Sub API's names, limits and error wording, as the service answers over gRPC.
 * Resource names: https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names
 * Limits: https://cloud.google.com/pubsub/quotas#resource_limits
 * Error texts as clients report them: NOT_FOUND "Resource not found (resource=…)." (googleapis/java-pubsub#81),
 * ALREADY_EXISTS "Resource already exists in the project (resource=…)."
 * (GoogleCloudPlatform/nodejs-getting-started#351), INVALID_ARGUMENT "Invalid resource name given (name=…)"
 * (potmat/homebridge-google-nest-sdm#4), "The value for 1100 is too large. You passed message_count in the
 * request, but the maximum value is 1000." (googleapis/google-cloud-java#4757), "…You passed request_size
 * in the request, but the maximum value is 10000000." (googleapis/google-cloud-python#5898), "Request
 * payload size exceeds the limit: 524288 bytes." for Acknowledge / ModifyAckDeadline
 * (googleapis/google-cloud-ruby#4067, googleapis/nodejs-pubsub#1864), "stream_ack_deadline_seconds must
 * be between 10 and 600 seconds" (googleapis/google-cloud-go#10557).
 */

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const Status = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

export const LIMITS = {
  publishMessages: 1000,
  publishRequestBytes: 10_000_000,
  attributes: 100,
  attributeKeyBytes: 256,
  attributeValueBytes: 1024,
  ackRequestBytes: 524_288,
  minAckDeadline: 10,
  maxAckDeadline: 600,
} as const;

export class ApiError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** Where the emulator keeps each request's size on the wire (set when decoding it). */
export const WIRE_SIZE = Symbol('wireSize');
export const wireSize = (req: object): number => (req as { [WIRE_SIZE]?: number })[WIRE_SIZE] ?? 0;

// Ids: start with a letter, 3–255 of letters, digits, - _ . ~ + %, not starting with "goog".
const ID = /^(?!goog)[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const PROJECT = /^[a-z0-9][a-z0-9.:-]*[a-z0-9]$/;

function parseName(name: string, kind: 'topics' | 'subscriptions'): { project: string; id: string } {
  const m = new RegExp(`^projects/([^/]+)/${kind}/([^/]+)$`).exec(name);
  if (!m || !PROJECT.test(m[1] as string) || !ID.test(m[2] as string)) {
    throw new ApiError(
      Status.INVALID_ARGUMENT,
      `Invalid resource name given (name=${name.slice(0, 300)}). Refer to https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names for more information.`,
    );
  }
  return { project: m[1] as string, id: m[2] as string };
}

export const checkTopicName = (name: string) => parseName(name, 'topics');
export const checkSubscriptionName = (name: string) => parseName(name, 'subscriptions');
export const notFound = (id: string) => new ApiError(Status.NOT_FOUND, `Resource not found (resource=${id}).`);
export const alreadyExists = (id: string) => new ApiError(Status.ALREADY_EXISTS, `Resource already exists in the project (resource=${id}).`);

export function topicOf(state: PubsubState, name: string): Topic {
  const { id } = checkTopicName(name);
  const topic = state.topics.get(name);
  if (!topic) throw notFound(id);
  return topic;
}

export function subscriptionOf(state: PubsubState, name: string): Subscription {
  const { id } = checkSubscriptionName(name);
  const sub = state.subscriptions.get(name);
  if (!sub) throw notFound(id);
  return sub;
}

/** A subscription's ack deadline: 0 means the default, 10 s; otherwise 10–600 s. */
export function subscriptionDeadline(seconds: number): number {
  if (seconds === 0) return LIMITS.minAckDeadline;
  if (seconds < LIMITS.minAckDeadline || seconds > LIMITS.maxAckDeadline) {
    throw new ApiError(Status.INVALID_ARGUMENT, `ack_deadline_seconds must be between ${LIMITS.minAckDeadline} and ${LIMITS.maxAckDeadline} seconds, got ${seconds}`);
  }
  return seconds;
}

export function checkStreamDeadline(seconds: number): void {
  if (seconds < LIMITS.minAckDeadline || seconds > LIMITS.maxAckDeadline) {
    throw new ApiError(Status.INVALID_ARGUMENT, `stream_ack_deadline_seconds must be between ${LIMITS.minAckDeadline} and ${LIMITS.maxAckDeadline} seconds`);
  }
}

/** ModifyAckDeadline: 0 (give it back now) to 600 s. */
export function checkAckDeadline(seconds: number): void {
  if (seconds < 0 || seconds > LIMITS.maxAckDeadline) {
    throw new ApiError(Status.INVALID_ARGUMENT, `Invalid ack deadline given: ${seconds}. The ack deadline must be between 0 and ${LIMITS.maxAckDeadline} seconds.`);
  }
}

export function checkAckIds(state: PubsubState, ackIds: readonly string[], req: object): void {
  if (wireSize(req) > LIMITS.ackRequestBytes) throw new ApiError(Status.INVALID_ARGUMENT, `Request payload size exceeds the limit: ${LIMITS.ackRequestBytes} bytes.`);
  if (ackIds.length === 0) throw new ApiError(Status.INVALID_ARGUMENT, 'No ack ids specified.');
  for (const id of ackIds) {
    if (!state.isAckId(id)) throw new ApiError(Status.INVALID_ARGUMENT, `You have passed an invalid ack ID to the service (ack_id=${id.slice(0, 100)}).`);
  }
}

export function timestamp(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** A ReceivedMessage. delivery_attempt stays 0: the service sets it only with a dead-letter policy. */
export function received(d: Delivered): Record<string, unknown> {
  const m = d.message;
  return {
    ackId: d.ackId,
    message: { data: m.data, attributes: m.attributes, messageId: m.messageId, publishTime: timestamp(m.publishTime), orderingKey: m.orderingKey },
    deliveryAttempt: 0,
  };
}
