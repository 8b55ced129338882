import type { Scope } from '../../connectors/connector.ts';
import { throttledLog } from '../log.ts';
import type { PipelineContext } from '../pipeline/context.ts';
import { enqueueEventCycle } from '../pipeline/event-cycles.ts';
import { excerpt } from './excerpt.ts';
import { scopesFor } from './route.ts';
import type { ChangeHint, EventMeta, EventOutcome, EventSink, ParsedEvent } from './types.ts';

export type IntakeContext = Pick<PipelineContext, 'config' | 'state' | 'queues' | 'metrics' | 'logger' | 'events'>;

/** How long a message may wait for Redis before the consumer is told to keep it and back off. */
const ENQUEUE_TIMEOUT_MS = 10_000;
/** Scope lists change at a cycle, not per event: a burst reads them from Redis once. */
const SCOPES_TTL_MS = 2_000;

/**
 * The one door every event comes through, whatever its source: refuses what is malformed, maps what
 * is well formed to the configured scopes covering it, and queues one debounced targeted resync per
 * scope. Resolves only once that is in Redis, so the consumer acknowledges nothing Redis did not take.
 */
export class EventIntake implements EventSink {
  private scopes: { at: number; list: Scope[] } | undefined;
  private readonly noisy;
  private readonly ctx: IntakeContext;

  constructor(ctx: IntakeContext) {
    this.ctx = ctx;
    this.noisy = throttledLog(ctx.logger);
  }

  async take(source: string, parsed: ParsedEvent, meta: EventMeta = {}): Promise<EventOutcome> {
    const receivedAt = Date.now();
    if (!parsed.ok) {
      this.noisy('warn', `malformed:${source}:${parsed.reason.slice(0, 60)}`, { source, reason: parsed.reason, message: meta.messageId, excerpt: excerpt(meta.raw) }, 'event refused: malformed or of an unknown shape (acknowledged, not retried)');
      return this.count(source, 'malformed');
    }
    if (parsed.hints.length === 0) {
      this.ctx.logger.debug({ source, event: parsed.id }, 'event ignored: it changes nothing the connectors discover');
      return this.count(source, 'ignored');
    }
    const scopes = scopesFor(parsed.hints, await this.knownScopes());
    if (scopes.length === 0) {
      this.noisy('info', `unrouted:${source}:${hintKey(parsed.hints[0]!)}`, { source, event: parsed.id, hints: parsed.hints.slice(0, 5) }, 'event dropped: no configured scope covers it');
      this.emit(source, parsed.id, 'unrouted', parsed.hints, []);
      return this.count(source, 'unrouted');
    }
    const outcome = await this.enqueue(source, parsed.id, scopes, parsed.hints, receivedAt);
    const hint = parsed.hints[0]!;
    this.ctx.logger[outcome === 'enqueued' ? 'info' : 'debug'](
      { source, event: parsed.id, action: hint.action, resource: hint.resource, scopes: scopes.map((s) => s.id), outcome, ...(meta.sentAt ? { ageMs: receivedAt - meta.sentAt } : {}) },
      outcome === 'enqueued' ? 'event: targeted resync queued' : 'event joined a resync already queued',
    );
    return this.count(source, outcome);
  }

  /** Queues a targeted resync of these scopes (a file connector's watch comes straight here, with no hints). */
  async enqueue(source: string, eventId: string, scopes: readonly Scope[], hints: readonly ChangeHint[] = [], receivedAt = Date.now()): Promise<'enqueued' | 'coalesced'> {
    const all = Promise.all(scopes.map((s) => enqueueEventCycle(this.ctx, s, { source, eventId, receivedAt })));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Redis did not take the resync within ${ENQUEUE_TIMEOUT_MS / 1000}s`)), ENQUEUE_TIMEOUT_MS)));
    try {
      const added = await Promise.race([all, timeout]);
      const outcome = added.some((a) => !a.joined) ? 'enqueued' : 'coalesced';
      this.emit(source, eventId, outcome, hints, scopes);
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every scope the connectors last listed (as stored in Redis by the cycles). */
  async knownScopes(): Promise<Scope[]> {
    if (this.scopes && Date.now() - this.scopes.at < SCOPES_TTL_MS) return this.scopes.list;
    const lists = await Promise.all(this.ctx.config.connectors.map(async (c) => (await this.ctx.state.snapshots.getScopes(c.name))?.scopes ?? []));
    this.scopes = { at: Date.now(), list: lists.flat() };
    return this.scopes.list;
  }

  private count(source: string, outcome: EventOutcome): EventOutcome {
    this.ctx.metrics.eventsReceived.inc({ source, outcome });
    return outcome;
  }

  private emit(source: string, id: string, outcome: EventOutcome, hints: readonly ChangeHint[], scopes: readonly Scope[]): void {
    this.ctx.events.emit('event', { source, id, outcome, hints: [...hints], scopes: scopes.map((s) => s.id) });
  }
}

function hintKey(h: ChangeHint): string {
  return `${h.vendor}/${h.account ?? '*'}/${h.region ?? '*'}`;
}
