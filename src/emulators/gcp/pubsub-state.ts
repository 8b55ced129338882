import { randomBytes } from 'node:crypto';

/*
 * What the Pub/Sub emulator holds: topics, subscriptions, and for each subscription the messages not
 * yet acknowledged with their current lease. The delivery rules are the service's own
 * (https://cloud.google.com/pubsub/docs/lease-management, pubsub.proto comments):
 * - a subscription receives what is published after it was created, and keeps it until acknowledged;
 * - a delivered message is leased for the ack deadline (the subscription's for Pull, the stream's
 *   stream_ack_deadline_seconds for StreamingPull); when the lease runs out it is delivered again,
 *   under a new ack id;
 * - ModifyAckDeadline moves the lease's end, 0 gives the message back at once (a nack);
 * - acknowledging twice, or with the ack id of an earlier delivery, is not an error; it does nothing.
 */

export interface StoredMessage {
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey: string;
  /** ms since the epoch. */
  publishTime: number;
  /** data + attribute bytes: what the stream's max_outstanding_bytes counts. */
  size: number;
}

export interface Delivered {
  ackId: string;
  message: StoredMessage;
  /** 1 on the first delivery. Only reported to clients by subscriptions with a dead-letter policy. */
  attempt: number;
}

/** The streaming side as the state sees it: how much more it may be sent, and a way to send it. */
export interface StreamSink {
  ackDeadlineSeconds: number;
  /** 0 or less: no limit (pubsub.proto, StreamingPullRequest.max_outstanding_messages). */
  maxMessages: number;
  maxBytes: number;
  outstanding: Map<string, number>; // ack id → bytes
  outstandingBytes: number;
  send(batch: Delivered[]): void;
  /** Ends the stream with a status (the subscription was deleted: NOT_FOUND). */
  fail(code: number, details: string): void;
}

interface Pending {
  message: StoredMessage;
  attempts: number;
  lease?: { ackId: string; until: number; stream?: StreamSink };
}

export interface Subscription {
  name: string;
  topic: string;
  ackDeadlineSeconds: number;
  labels: Record<string, string>;
  /** Insertion order is publish order: redeliveries go out oldest first. */
  pending: Map<string, Pending>;
  byAckId: Map<string, Pending>;
  streams: Set<StreamSink>;
  waiters: Set<() => void>;
  token: string;
  timer?: NodeJS.Timeout;
  /** Round-robin start, so several streams share a backlog instead of the first taking it all. */
  next: number;
}

export interface Topic {
  name: string;
  labels: Record<string, string>;
  subscriptions: Set<string>;
}

// Enough for the largest stream batch the real service sends; keeps one response well under gRPC's limits.
const MAX_BATCH = 1000;
const ACK_ID = /^[0-9a-f]{16}-\d+$/;

export class PubsubState {
  readonly topics = new Map<string, Topic>();
  readonly subscriptions = new Map<string, Subscription>();
  private messageSeq = 4_107_320_000_000_000;
  private ackSeq = 0;

  isAckId(id: string): boolean {
    return ACK_ID.test(id);
  }

  publish(topic: Topic, messages: Omit<StoredMessage, 'messageId' | 'publishTime' | 'size'>[]): string[] {
    const now = Date.now();
    const stored = messages.map((m) => ({
      ...m,
      messageId: String(++this.messageSeq),
      publishTime: now,
      size: m.data.length + Object.entries(m.attributes).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0),
    }));
    for (const name of topic.subscriptions) {
      const sub = this.subscriptions.get(name);
      if (!sub) continue;
      for (const m of stored) sub.pending.set(m.messageId, { message: m, attempts: 0 });
      this.dispatch(sub);
    }
    return stored.map((m) => m.messageId);
  }

  addSubscription(sub: Omit<Subscription, 'pending' | 'byAckId' | 'streams' | 'waiters' | 'token' | 'next'>, topic: Topic): Subscription {
    const full: Subscription = { ...sub, pending: new Map(), byAckId: new Map(), streams: new Set(), waiters: new Set(), token: randomBytes(8).toString('hex'), next: 0 };
    this.subscriptions.set(sub.name, full);
    topic.subscriptions.add(sub.name);
    return full;
  }

  deleteSubscription(sub: Subscription, details: string): void {
    this.subscriptions.delete(sub.name);
    this.topics.get(sub.topic)?.subscriptions.delete(sub.name);
    clearTimeout(sub.timer);
    for (const s of sub.streams) s.fail(5 /* NOT_FOUND */, details);
    sub.streams.clear();
    for (const wake of sub.waiters) wake();
    sub.waiters.clear();
  }

  /** Unary Pull: up to `max` messages whose lease is free, leased for the subscription's deadline. */
  pull(sub: Subscription, max: number): Delivered[] {
    const now = Date.now();
    this.expire(sub, now);
    const out: Delivered[] = [];
    for (const p of sub.pending.values()) {
      if (out.length >= max) break;
      if (p.lease) continue;
      out.push(this.lease(sub, p, sub.ackDeadlineSeconds, now));
    }
    this.schedule(sub);
    return out;
  }

  acknowledge(sub: Subscription, ackIds: readonly string[]): void {
    for (const id of ackIds) {
      const p = sub.byAckId.get(id);
      if (!p) continue; // already acknowledged, or an earlier delivery's id: nothing to do
      this.release(sub, p);
      sub.pending.delete(p.message.messageId);
    }
    this.dispatch(sub);
  }

  modifyDeadline(sub: Subscription, ackIds: readonly string[], seconds: number): void {
    const now = Date.now();
    for (const id of ackIds) {
      const p = sub.byAckId.get(id);
      if (!p?.lease) continue;
      if (seconds === 0) this.release(sub, p);
      else p.lease.until = now + seconds * 1000;
    }
    this.dispatch(sub);
  }

  attach(sub: Subscription, stream: StreamSink): void {
    sub.streams.add(stream);
    this.dispatch(sub);
  }

  detach(sub: Subscription, stream: StreamSink): void {
    // Its leases stay: what it held comes back when they run out, as with the service.
    sub.streams.delete(stream);
  }

  /** Waits until a message may be free for Pull, or `ms` passed, or the signal aborts. */
  async waitForMessages(sub: Subscription, ms: number, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sub.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sub.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    for (const sub of this.subscriptions.values()) {
      clearTimeout(sub.timer);
      for (const wake of sub.waiters) wake();
    }
  }

  /** Hands free messages to the streams with room, round robin, then wakes Pull waiters if any are left. */
  dispatch(sub: Subscription): void {
    const now = Date.now();
    this.expire(sub, now);
    const streams = [...sub.streams];
    if (streams.length > 0) {
      const batches = new Map<StreamSink, Delivered[]>();
      let i = sub.next % streams.length;
      for (const p of sub.pending.values()) {
        if (p.lease) continue;
        const stream = this.streamWithRoom(streams, i, batches);
        if (!stream) break;
        i = (streams.indexOf(stream) + 1) % streams.length;
        const d = this.lease(sub, p, stream.ackDeadlineSeconds, now, stream);
        const batch = batches.get(stream) ?? [];
        batch.push(d);
        batches.set(stream, batch);
      }
      sub.next = i;
      for (const [stream, batch] of batches) stream.send(batch);
    }
    if (sub.waiters.size > 0 && [...sub.pending.values()].some((p) => !p.lease)) {
      for (const wake of [...sub.waiters]) wake();
    }
    this.schedule(sub);
  }

  private streamWithRoom(streams: StreamSink[], start: number, batches: Map<StreamSink, Delivered[]>): StreamSink | undefined {
    for (let k = 0; k < streams.length; k++) {
      const s = streams[(start + k) % streams.length] as StreamSink;
      if ((batches.get(s)?.length ?? 0) >= MAX_BATCH) continue;
      if (s.maxMessages > 0 && s.outstanding.size >= s.maxMessages) continue;
      if (s.maxBytes > 0 && s.outstandingBytes >= s.maxBytes) continue;
      return s;
    }
    return undefined;
  }

  private lease(sub: Subscription, p: Pending, seconds: number, now: number, stream?: StreamSink): Delivered {
    const ackId = `${sub.token}-${++this.ackSeq}`;
    p.attempts++;
    p.lease = { ackId, until: now + seconds * 1000, stream };
    sub.byAckId.set(ackId, p);
    if (stream) {
      stream.outstanding.set(ackId, p.message.size);
      stream.outstandingBytes += p.message.size;
    }
    return { ackId, message: p.message, attempt: p.attempts };
  }

  private release(sub: Subscription, p: Pending): void {
    const lease = p.lease;
    if (!lease) return;
    sub.byAckId.delete(lease.ackId);
    const stream = lease.stream;
    if (stream?.outstanding.delete(lease.ackId)) stream.outstandingBytes -= p.message.size;
    p.lease = undefined;
  }

  private expire(sub: Subscription, now: number): void {
    for (const p of sub.pending.values()) if (p.lease && p.lease.until <= now) this.release(sub, p);
  }

  /** One timer per subscription, set for the earliest lease to run out: that is when a redelivery is due. */
  private schedule(sub: Subscription): void {
    clearTimeout(sub.timer);
    let earliest = Infinity;
    for (const p of sub.pending.values()) if (p.lease && p.lease.until < earliest) earliest = p.lease.until;
    if (earliest === Infinity || !this.subscriptions.has(sub.name)) return;
    sub.timer = setTimeout(() => this.dispatch(sub), Math.max(0, earliest - Date.now()) + 5);
    sub.timer.unref();
  }
}
