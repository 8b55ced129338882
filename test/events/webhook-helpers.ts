import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Secret } from '../../src/config/secret.ts';
import type { EventMeta, EventOutcome, EventSink, ParsedEvent, SourceHealth } from '../../src/events/types.ts';
import { registerWebhook, type EnvelopeParsers, type WebhookOptions, type WebhookSource } from '../../src/events/webhook.ts';

export const TOKEN = 'hook-token-0123456789abcdef';

export interface Taken {
  source: string;
  parsed: ParsedEvent;
  meta: EventMeta | undefined;
}

/** Records what it was given; refuses (as a Redis outage would) while `failAfter` takes have succeeded. */
export class RecordingSink implements EventSink {
  taken: Taken[] = [];
  /** Reject every take after this many successful ones (undefined: never). */
  failAfter: number | undefined;

  async take(source: string, parsed: ParsedEvent, meta?: EventMeta): Promise<EventOutcome> {
    await Promise.resolve();
    if (this.failAfter !== undefined && this.taken.length >= this.failAfter) throw new Error('Connection is closed.');
    this.taken.push({ source, parsed, meta });
    if (!parsed.ok) return 'malformed';
    return parsed.hints.length > 0 ? 'enqueued' : 'ignored';
  }
}

export class RecordingHealth implements SourceHealth {
  events: string[] = [];
  up(): void {
    this.events.push('up');
  }
  down(error: string): void {
    this.events.push(`down: ${error}`);
  }
  lag(seconds: number): void {
    this.events.push(`lag ${seconds >= 0 ? 'ok' : 'negative'}`);
  }
}

const obj = (v: unknown): Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
  return v as Record<string, unknown>;
};
const s = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new Error(`${what} missing`);
  return v;
};

/**
 * Small stand-ins for connectors/<vendor>/envelope.ts: each accepts only its vendor's native envelope
 * (and throws on anything else), so a test proves the webhook handed over the right shape.
 */
export const parsers: EnvelopeParsers = {
  aws: (json) => {
    const e = obj(json);
    const detail = obj(e.detail);
    return {
      ok: true,
      id: s(e.id, 'id'),
      hints: [{ vendor: 'aws', account: s(e.account, 'account'), region: s(e.region, 'region'), action: `${s(e['detail-type'], 'detail-type')}/${String(detail.eventName ?? detail.state)}` }],
    };
  },
  azure: (json) => {
    const e = obj(json);
    const topic = s(e.topic, 'topic');
    const eventType = s(e.eventType, 'eventType');
    if (!eventType.startsWith('Microsoft.Resources.')) return { ok: true, id: s(e.id, 'id'), hints: [] };
    return { ok: true, id: s(e.id, 'id'), hints: [{ vendor: 'azure', account: topic.split('/')[2]!, resource: s(e.subject, 'subject'), action: eventType }] };
  },
  gcp: (json) => {
    const e = obj(json);
    const labels = obj(obj(e.resource).labels);
    const proto = obj(e.protoPayload);
    return { ok: true, id: s(e.insertId, 'insertId'), hints: [{ vendor: 'gcp', account: s(labels.project_id, 'project_id'), region: s(labels.region, 'region'), action: s(proto.methodName, 'methodName') }] };
  },
  oci: (json) => {
    const e = obj(json);
    if (e.cloudEventsVersion !== '0.1') throw new Error('not an OCI event envelope');
    const data = obj(e.data);
    return { ok: true, id: s(e.eventID, 'eventID'), hints: [{ vendor: 'oci', account: s(obj(e.extensions).compartmentId, 'compartmentId'), resource: s(data.resourceId, 'resourceId'), action: s(e.eventType, 'eventType') }] };
  },
};

export interface Hook {
  url: string;
  app: FastifyInstance;
  sink: RecordingSink;
  health: RecordingHealth;
  logs: string[];
  close(): Promise<void>;
}

/**
 * A server shaped like the daemon's (src/server/app.ts): the root parses every body as JSON up to 64 KiB,
 * and a root route uses it, so the tests also show the webhook's scope leaves the rest alone.
 */
export async function startHook(
  sources: Array<Partial<WebhookSource> & { name: string }> = [{ name: 'hook' }],
  extra: Partial<Pick<WebhookOptions, 'allowConfirmationUrl' | 'confirmationTimeoutMs' | 'parsers'>> = {},
): Promise<Hook> {
  const app = Fastify({ bodyLimit: 64 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    try {
      done(null, JSON.parse(String(body)));
    } catch {
      done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });
  app.post('/resync', async (req) => ({ echoed: req.body }));

  const sink = new RecordingSink();
  const health = new RecordingHealth();
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  await registerWebhook(app, {
    sources: sources.map((src) => ({ path: '/events', token: new Secret(TOKEN, 'test'), maxBytes: 1024 * 1024, health, ...src })),
    sink,
    parsers: extra.parsers ?? parsers,
    logger,
    ...(extra.allowConfirmationUrl ? { allowConfirmationUrl: extra.allowConfirmationUrl } : {}),
    ...(extra.confirmationTimeoutMs ? { confirmationTimeoutMs: extra.confirmationTimeoutMs } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, app, sink, health, logs, close: () => app.close() };
}

export const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });
