import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Delivered, PubsubState, StreamSink, Subscription } from './pubsub-state.ts';
import { ApiError, checkAckDeadline, checkStreamDeadline, received, Status, subscriptionOf } from './pubsub-wire.ts';

/** StreamingPullRequest as @grpc/proto-loader decodes it (camelCase, defaults filled, int64 as number). */
export interface StreamingPullRequest {
  subscription: string;
  ackIds: string[];
  modifyDeadlineSeconds: number[];
  modifyDeadlineAckIds: string[];
  streamAckDeadlineSeconds: number;
  clientId: string;
  maxOutstandingMessages: number;
  maxOutstandingBytes: number;
  protocolVersion: number;
}

type Call = ServerDuplexStream<StreamingPullRequest, Record<string, unknown>>;

/**
 * One StreamingPull call, with the rules pubsub.proto states for StreamingPullRequest: the first request
 * names the subscription and the stream's ack deadline (10–600 s) and may carry flow control
 * (max_outstanding_messages / _bytes) and protocol_version; later requests carry acks, deadline changes
 * (modify_deadline_seconds[i] for modify_deadline_ack_ids[i], same length, none negative) and may change
 * the stream's deadline; setting the subscription, flow control or protocol version again, or a
 * malformed ack id, aborts the stream with INVALID_ARGUMENT. With protocol_version ≥ 1 the client sends
 * an empty request as a keepalive and expects a response within 15 s (@google-cloud/pubsub
 * message-stream.js), so an empty response answers each.
 */
export function handleStreamingPull(state: PubsubState, call: Call): void {
  let sub: Subscription | undefined;
  let sink: (StreamSink & { keepalives: boolean }) | undefined;
  let ended = false;

  const end = (e?: ApiError) => {
    if (ended) return;
    ended = true;
    if (sub && sink) state.detach(sub, sink);
    if (e) call.emit('error', { code: e.code, details: e.message });
    else call.end();
  };

  call.on('data', (req: StreamingPullRequest) => {
    if (ended) return;
    try {
      if (!sub || !sink) {
        sub = subscriptionOf(state, req.subscription);
        checkStreamDeadline(req.streamAckDeadlineSeconds);
        sink = {
          ackDeadlineSeconds: req.streamAckDeadlineSeconds,
          maxMessages: req.maxOutstandingMessages,
          maxBytes: req.maxOutstandingBytes,
          outstanding: new Map(),
          outstandingBytes: 0,
          keepalives: req.protocolVersion >= 1,
          send: (batch: Delivered[]) => {
            if (!ended) call.write({ receivedMessages: batch.map(received), subscriptionProperties: { exactlyOnceDeliveryEnabled: false, messageOrderingEnabled: false } });
          },
          fail: (code: number, details: string) => end(new ApiError(code, details)),
        };
        apply(state, sub, req);
        state.attach(sub, sink);
        return;
      }
      if (req.subscription) throw new ApiError(Status.INVALID_ARGUMENT, 'subscription may only be set in the first request of a stream');
      if (req.maxOutstandingMessages || req.maxOutstandingBytes) throw new ApiError(Status.INVALID_ARGUMENT, 'flow control settings may only be set in the first request of a stream');
      if (req.protocolVersion) throw new ApiError(Status.INVALID_ARGUMENT, 'protocol_version may only be set in the first request of a stream');
      if (req.streamAckDeadlineSeconds) {
        checkStreamDeadline(req.streamAckDeadlineSeconds);
        sink.ackDeadlineSeconds = req.streamAckDeadlineSeconds;
      }
      const empty = req.ackIds.length === 0 && req.modifyDeadlineAckIds.length === 0 && req.modifyDeadlineSeconds.length === 0 && !req.streamAckDeadlineSeconds;
      apply(state, sub, req);
      if (empty && sink.keepalives) call.write({});
    } catch (e) {
      end(e instanceof ApiError ? e : new ApiError(Status.INTERNAL, 'Internal error in the Pub/Sub emulator.'));
    }
  });
  // The client half-closed or went away: either way this stream takes nothing more.
  call.on('end', () => end());
  call.on('cancelled', () => {
    ended = true;
    if (sub && sink) state.detach(sub, sink);
  });
  call.on('error', () => {
    ended = true;
    if (sub && sink) state.detach(sub, sink);
  });
}

/** Validates the whole request before acting on any of it: a rejected request changes nothing. */
function apply(state: PubsubState, sub: Subscription, req: StreamingPullRequest): void {
  if (req.modifyDeadlineSeconds.length !== req.modifyDeadlineAckIds.length) {
    throw new ApiError(
      Status.INVALID_ARGUMENT,
      `modify_deadline_seconds (${req.modifyDeadlineSeconds.length}) and modify_deadline_ack_ids (${req.modifyDeadlineAckIds.length}) must have the same length`,
    );
  }
  for (const id of [...req.ackIds, ...req.modifyDeadlineAckIds]) {
    if (!state.isAckId(id)) throw new ApiError(Status.INVALID_ARGUMENT, `You have passed an invalid ack ID to the service (ack_id=${id.slice(0, 100)}).`);
  }
  for (const seconds of req.modifyDeadlineSeconds) {
    if (seconds < 0) throw new ApiError(Status.INVALID_ARGUMENT, `modify_deadline_seconds must not be negative, got ${seconds}`);
    checkAckDeadline(seconds);
  }
  if (req.ackIds.length > 0) state.acknowledge(sub, req.ackIds);
  // Grouped by value, so each group is one pass over the subscription.
  const byDeadline = new Map<number, string[]>();
  req.modifyDeadlineAckIds.forEach((id, i) => {
    const seconds = req.modifyDeadlineSeconds[i] as number;
    byDeadline.set(seconds, [...(byDeadline.get(seconds) ?? []), id]);
  });
  for (const [seconds, ids] of byDeadline) state.modifyDeadline(sub, ids, seconds);
}
