import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { PubsubState, type Subscription } from './pubsub-state.ts';
import { handleStreamingPull, type StreamingPullRequest } from './pubsub-streaming.ts';
import {
  alreadyExists,
  ApiError,
  checkAckDeadline,
  checkAckIds,
  checkSubscriptionName,
  checkTopicName,
  LIMITS,
  received,
  Status,
  subscriptionDeadline,
  subscriptionOf,
  topicOf,
  WIRE_SIZE,
  wireSize,
} from './pubsub-wire.ts';

/*
 * A Pub/Sub emulator serving the real google.pubsub.v1 proto over plaintext gRPC, reachable the way
 * Google's emulator is: PUBSUB_EMULATOR_HOST=host:port, or the client's `apiEndpoint` (the official
 * client then switches to insecure credentials by itself). Publisher: CreateTopic, GetTopic, Publish,
 * DeleteTopic; Subscriber: CreateSubscription, GetSubscription, DeleteSubscription, Pull, StreamingPull,
 * Acknowledge, ModifyAckDeadline. Every other method answers UNIMPLEMENTED. No authentication.
 */

export interface PublishInput {
  data: Buffer | string;
  attributes?: Record<string, string>;
}

export interface PubsubEmulator {
  /** `host:port`, as PUBSUB_EMULATOR_HOST takes it. */
  readonly host: string;
  readonly port: number;
  createTopic(name: string): void;
  createSubscription(name: string, topic: string, opts?: { ackDeadlineSeconds?: number }): void;
  deleteSubscription(name: string): void;
  /** Publishes as a Publish call would (same checks), without a client. Returns the message ids. */
  publish(topic: string, messages: PublishInput[]): string[];
  /** Messages published to the subscription and not yet acknowledged. */
  backlog(subscription: string): number;
  /** StreamingPull calls open on the subscription right now. */
  streams(subscription: string): number;
  close(): Promise<void>;
}

// The proto as the official client ships it; google/api/* and google/protobuf/* come from google-gax,
// the client's own runtime, whose copy matches what pubsub.proto was generated against.
function loadProto(): PackageDefinition {
  const require = createRequire(import.meta.url);
  const pubsubDir = dirname(require.resolve('@google-cloud/pubsub/package.json'));
  const gaxProtos = join(dirname(createRequire(join(pubsubDir, 'package.json')).resolve('google-gax')), '..', 'protos');
  return loadSync('google/pubsub/v1/pubsub.proto', {
    includeDirs: [join(pubsubDir, 'build', 'protos'), gaxProtos],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
}

let proto: PackageDefinition | undefined;

/** The service definition with each request's wire size recorded on the decoded object (limits are in bytes). */
function service(name: string): grpc.ServiceDefinition {
  proto ??= loadProto();
  const def = proto[name] as unknown as grpc.ServiceDefinition;
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [method, d] of Object.entries(def)) {
    out[method] = {
      ...d,
      requestDeserialize: (buf: Buffer) => {
        const req = d.requestDeserialize(buf) as object;
        Object.defineProperty(req, WIRE_SIZE, { value: buf.length });
        return req;
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

type Unary<Req> = (req: Req, call: grpc.ServerUnaryCall<Req, unknown>) => unknown | Promise<unknown>;

/** Wraps a handler: ApiError → its status, anything else → INTERNAL, never a crash. */
function unary<Req>(fn: Unary<Req>): grpc.handleUnaryCall<Req, unknown> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request, call))
      .then(
        (res) => callback(null, res),
        (e: unknown) => {
          const err = e instanceof ApiError ? e : new ApiError(Status.INTERNAL, 'Internal error in the Pub/Sub emulator.');
          callback({ code: err.code, details: err.message });
        },
      );
  };
}

interface PublishRequest {
  topic: string;
  messages: { data: Buffer; attributes: Record<string, string>; orderingKey: string }[];
}

function checkPublish(req: PublishRequest): void {
  const n = req.messages.length;
  if (n === 0) throw new ApiError(Status.INVALID_ARGUMENT, 'The value for 0 is too small. You passed message_count in the request, but the minimum value is 1.');
  if (n > LIMITS.publishMessages) {
    throw new ApiError(Status.INVALID_ARGUMENT, `The value for ${n} is too large. You passed message_count in the request, but the maximum value is ${LIMITS.publishMessages}.`);
  }
  // In-process publishes have no wire size: their payload bytes stand in for it.
  const size = wireSize(req) || req.messages.reduce((t, m) => t + m.data.length + Object.entries(m.attributes).reduce((a, [k, v]) => a + k.length + v.length, 0), 0);
  if (size > LIMITS.publishRequestBytes) {
    throw new ApiError(Status.INVALID_ARGUMENT, `The value for ${size} is too large. You passed request_size in the request, but the maximum value is ${LIMITS.publishRequestBytes}.`);
  }
  for (const m of req.messages) {
    const attrs = Object.entries(m.attributes);
    if (m.data.length === 0 && attrs.length === 0) throw new ApiError(Status.INVALID_ARGUMENT, 'Some messages are empty: a message needs non-empty data or at least one attribute.');
    if (attrs.length > LIMITS.attributes) throw new ApiError(Status.INVALID_ARGUMENT, `A message may carry at most ${LIMITS.attributes} attributes, got ${attrs.length}.`);
    for (const [k, v] of attrs) {
      if (Buffer.byteLength(k) > LIMITS.attributeKeyBytes) throw new ApiError(Status.INVALID_ARGUMENT, `An attribute key is longer than ${LIMITS.attributeKeyBytes} bytes.`);
      if (Buffer.byteLength(v) > LIMITS.attributeValueBytes) throw new ApiError(Status.INVALID_ARGUMENT, `The value of attribute ${k.slice(0, 64)} is longer than ${LIMITS.attributeValueBytes} bytes.`);
      if (k.startsWith('goog')) throw new ApiError(Status.INVALID_ARGUMENT, `Attribute keys must not start with "goog": ${k.slice(0, 64)}.`);
    }
  }
}

function subscriptionResource(sub: Subscription): Record<string, unknown> {
  return {
    name: sub.name,
    topic: sub.topic,
    pushConfig: {},
    ackDeadlineSeconds: sub.ackDeadlineSeconds,
    messageRetentionDuration: { seconds: 604_800, nanos: 0 },
    labels: sub.labels,
    expirationPolicy: { ttl: { seconds: 2_678_400, nanos: 0 } },
    state: 'ACTIVE',
  };
}

// How long a Pull without return_immediately waits for a message before answering empty, as the
// service "may wait (for a bounded amount of time)".
const PULL_WAIT_MS = 5_000;

export async function startPubsubEmulator(opts: { host?: string; port?: number } = {}): Promise<PubsubEmulator> {
  const state = new PubsubState();
  const closing = new AbortController();

  const createTopic = (name: string, labels: Record<string, string> = {}) => {
    const { id } = checkTopicName(name);
    if (state.topics.has(name)) throw alreadyExists(id);
    const topic = { name, labels, subscriptions: new Set<string>() };
    state.topics.set(name, topic);
    return topic;
  };
  const createSubscription = (name: string, topicName: string, ackDeadlineSeconds: number, labels: Record<string, string> = {}) => {
    const { id } = checkSubscriptionName(name);
    const topic = topicOf(state, topicName);
    if (state.subscriptions.has(name)) throw alreadyExists(id);
    return state.addSubscription({ name, topic: topicName, ackDeadlineSeconds: subscriptionDeadline(ackDeadlineSeconds), labels }, topic);
  };
  const publish = (req: PublishRequest) => {
    const topic = topicOf(state, req.topic);
    checkPublish(req);
    return state.publish(topic, req.messages.map((m) => ({ data: m.data, attributes: m.attributes, orderingKey: m.orderingKey })));
  };

  const server = new grpc.Server({
    // Above the API's 10 MB publish limit, so an oversized request gets the API's INVALID_ARGUMENT, not a transport error.
    'grpc.max_receive_message_length': 32 * 1024 * 1024,
    'grpc.max_send_message_length': 32 * 1024 * 1024,
  });

  server.addService(service('google.pubsub.v1.Publisher'), {
    CreateTopic: unary<{ name: string; labels: Record<string, string> }>((req) => {
      const t = createTopic(req.name, req.labels);
      return { name: t.name, labels: t.labels };
    }),
    GetTopic: unary<{ topic: string }>((req) => {
      const t = topicOf(state, req.topic);
      return { name: t.name, labels: t.labels };
    }),
    DeleteTopic: unary<{ topic: string }>((req) => {
      const t = topicOf(state, req.topic);
      state.topics.delete(t.name);
      // The service detaches the topic's subscriptions rather than deleting them.
      for (const s of t.subscriptions) {
        const sub = state.subscriptions.get(s);
        if (sub) sub.topic = '_deleted-topic_';
      }
      return {};
    }),
    Publish: unary<PublishRequest>((req) => ({ messageIds: publish(req) })),
  });

  server.addService(service('google.pubsub.v1.Subscriber'), {
    CreateSubscription: unary<{ name: string; topic: string; ackDeadlineSeconds: number; labels: Record<string, string> }>((req) =>
      subscriptionResource(createSubscription(req.name, req.topic, req.ackDeadlineSeconds, req.labels)),
    ),
    GetSubscription: unary<{ subscription: string }>((req) => subscriptionResource(subscriptionOf(state, req.subscription))),
    DeleteSubscription: unary<{ subscription: string }>((req) => {
      const sub = subscriptionOf(state, req.subscription);
      state.deleteSubscription(sub, `Resource not found (resource=${checkSubscriptionName(sub.name).id}).`);
      return {};
    }),
    Pull: unary<{ subscription: string; maxMessages: number; returnImmediately: boolean }>(async (req, call) => {
      let sub = subscriptionOf(state, req.subscription);
      if (req.maxMessages <= 0) throw new ApiError(Status.INVALID_ARGUMENT, 'max_messages must be a positive integer.');
      let got = state.pull(sub, req.maxMessages);
      if (got.length === 0 && !req.returnImmediately) {
        const gone = new AbortController();
        const abort = () => gone.abort();
        call.once('cancelled', abort);
        closing.signal.addEventListener('abort', abort, { once: true });
        const until = Date.now() + PULL_WAIT_MS;
        while (got.length === 0 && !gone.signal.aborted && Date.now() < until) {
          await state.waitForMessages(sub, until - Date.now(), gone.signal);
          sub = subscriptionOf(state, req.subscription); // deleted meanwhile: NOT_FOUND
          got = state.pull(sub, req.maxMessages);
        }
        closing.signal.removeEventListener('abort', abort);
      }
      return { receivedMessages: got.map(received) };
    }),
    Acknowledge: unary<{ subscription: string; ackIds: string[] }>((req) => {
      const sub = subscriptionOf(state, req.subscription);
      checkAckIds(state, req.ackIds, req);
      state.acknowledge(sub, req.ackIds);
      return {};
    }),
    ModifyAckDeadline: unary<{ subscription: string; ackIds: string[]; ackDeadlineSeconds: number }>((req) => {
      const sub = subscriptionOf(state, req.subscription);
      checkAckIds(state, req.ackIds, req);
      checkAckDeadline(req.ackDeadlineSeconds);
      state.modifyDeadline(sub, req.ackIds, req.ackDeadlineSeconds);
      return {};
    }),
    StreamingPull: ((call) => handleStreamingPull(state, call)) satisfies grpc.handleBidiStreamingCall<StreamingPullRequest, Record<string, unknown>>,
  });

  const host = opts.host ?? '127.0.0.1';
  const bindHost = host.includes(':') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bindHost}:${opts.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });

  const asError = (e: unknown) => (e instanceof ApiError ? new Error(`${Object.keys(Status).find((k) => Status[k as keyof typeof Status] === e.code) ?? e.code}: ${e.message}`) : e);
  const rethrow = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw asError(e);
    }
  };

  return {
    host: `${bindHost}:${port}`,
    port,
    createTopic: (name) => void rethrow(() => createTopic(name)),
    createSubscription: (name, topic, o) => void rethrow(() => createSubscription(name, topic, o?.ackDeadlineSeconds ?? 0)),
    deleteSubscription: (name) =>
      rethrow(() => {
        const sub = subscriptionOf(state, name);
        state.deleteSubscription(sub, `Resource not found (resource=${checkSubscriptionName(name).id}).`);
      }),
    publish: (topic, messages) =>
      rethrow(() =>
        publish({
          topic,
          messages: messages.map((m) => ({ data: Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data), attributes: m.attributes ?? {}, orderingKey: '' })),
        }),
      ),
    backlog: (name) => rethrow(() => subscriptionOf(state, name).pending.size),
    streams: (name) => rethrow(() => subscriptionOf(state, name).streams.size),
    close: async () => {
      closing.abort();
      state.close();
      // Streams never end by themselves; cutting them is what a restarted emulator does to its clients.
      server.forceShutdown();
    },
  };
}
