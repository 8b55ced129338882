import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.ts';
import type { EventOutcome, EventSink, SourceHealth } from './types.ts';
import { challenge, presentedTokens, TokenCheck, type SecretLike } from './webhook-auth.ts';
import { readDelivery, type Delivery } from './webhook-delivery.ts';
import { excerpt, type EnvelopeParsers } from './webhook-envelopes.ts';
import { confirmSubscription, oracleNotificationHost, type ConfirmationCheck } from './webhook-ons.ts';

export type { EnvelopeParsers } from './webhook-envelopes.ts';
export { oracleNotificationHost } from './webhook-ons.ts';
export { DEFAULT_MAX_BYTES, DEFAULT_PATH, sourceSchema } from './webhook-config.ts';

/** Below this a token is guessable: registering warns (the daemon still starts, as with a weak admin token). */
export const MIN_TOKEN_LENGTH = 16;

/** One webhook source as registerWebhook takes it. */
export interface WebhookSource {
  name: string;
  path: string;
  token: SecretLike;
  maxBytes: number;
  /** Told "up" when a request's events were taken, "down" when the sink refused them. */
  health?: SourceHealth;
}

export interface WebhookOptions {
  sources: WebhookSource[];
  sink: EventSink;
  parsers: EnvelopeParsers;
  logger: Logger;
  /** Which OCI Notifications confirmation URLs are fetched (default: https on *.oraclecloud.com). */
  allowConfirmationUrl?: ConfirmationCheck;
  confirmationTimeoutMs?: number;
}

const OTHER_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'] as const;
const ORIGIN = /^[A-Za-z0-9*][A-Za-z0-9.*:-]{0,252}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function send(reply: FastifyReply, status: number, body?: unknown): FastifyReply {
  reply.code(status).header('cache-control', 'no-store');
  if (body === undefined) return reply.send();
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);

/**
 * POST <path> for each webhook source: CloudEvents 1.0 (structured, batched, binary) and the vendors' own
 * envelopes (EventBridge, Event Grid with its validation handshake, OCI Events and the ONS subscription
 * confirmation, Pub/Sub push), each event handed to the sink. 202 once the sink took every event, 503
 * with Retry-After when it could not (the sender retries; a duplicate is harmless), 400 when nothing in
 * the body is an event, 401 without the token, 413 over maxBytes. OPTIONS answers the CloudEvents
 * abuse-protection handshake. Routes live in their own encapsulated scope: their body parser, size limit
 * and error handler do not touch the rest of the server.
 */
export async function registerWebhook(app: FastifyInstance, opts: WebhookOptions): Promise<void> {
  const paths = new Set<string>();
  const names = new Set<string>();
  for (const s of opts.sources) {
    if (paths.has(s.path)) throw new Error(`webhook sources: path ${s.path} is used twice; give each webhook source its own path`);
    if (names.has(s.name)) throw new Error(`webhook sources: name ${s.name} is used twice`);
    paths.add(s.path);
    names.add(s.name);
    if (s.token.reveal().length < MIN_TOKEN_LENGTH) opts.logger.warn({ source: s.name }, `webhook: the token of ${s.name} is shorter than ${MIN_TOKEN_LENGTH} characters; use a long random one (openssl rand -hex 32)`);
  }
  const allow = opts.allowConfirmationUrl ?? oracleNotificationHost;
  const confirmMs = opts.confirmationTimeoutMs ?? 10_000;
  const log = opts.logger;

  await app.register(async (scope) => {
    // Raw bytes whatever the content type: CloudEvents, Event Grid and ONS each label JSON differently.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    // Authenticated before the body is parsed: a stranger's body is never buffered, and learns nothing of maxBytes.
    const guards = new Map<string, (req: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined>();
    scope.addHook('onRequest', async (req, reply) => {
      if (req.method !== 'POST' && req.method !== 'OPTIONS') return;
      const guard = guards.get(req.routeOptions.url ?? '');
      if (guard) return guard(req, reply);
    });

    for (const s of opts.sources) {
      const check = new TokenCheck(s.token);
      let failures = 0;

      guards.set(s.path, (req, reply) => {
        const query = new URL(req.url, 'http://webhook.invalid').searchParams;
        const candidates = presentedTokens(req.headers, query);
        if (check.matches(candidates)) return;
        // Never the URL: its query may hold a (wrong, or someone else's) token.
        if (candidates.length > 0) log.warn({ source: s.name, path: s.path, remote: req.ip }, 'webhook: wrong token');
        else log.debug({ source: s.name, path: s.path, remote: req.ip }, 'webhook: request without a token');
        reply.header('www-authenticate', challenge(candidates.length > 0));
        return send(reply, 401, { error: `missing or wrong token: send Authorization: Bearer <token> (or Basic, or ?access_token=) for webhook source ${s.name}` });
      });

      const errorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
        if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
          log.warn({ source: s.name, path: s.path, contentLength: req.headers['content-length'], maxBytes: s.maxBytes }, 'webhook: body over maxBytes refused');
          send(reply, 413, { error: `body over ${s.maxBytes} bytes (maxBytes of webhook source ${s.name})` });
          return;
        }
        const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
        if (status === 500) log.error({ source: s.name, path: s.path, error: message(err) }, 'webhook: internal error');
        send(reply, status, { error: status === 500 ? 'internal error (see the daemon log)' : message(err) });
      };

      /** Hands events to the sink one by one; stops at the first refusal, so the sender retries the rest. */
      const take = async (reply: FastifyReply, events: Extract<Delivery, { kind: 'events' }>['events'], refusedStatus: 400 | 415 = 400) => {
        const outcomes: EventOutcome[] = [];
        for (const e of events) {
          try {
            outcomes.push(await opts.sink.take(s.name, e.parsed, e.meta));
          } catch (err) {
            failures += 1;
            const retryAfter = Math.max(1, Math.ceil(backoffDelay(failures - 1) / 1000));
            log.warn({ source: s.name, error: message(err), taken: outcomes.length, of: events.length, retryAfter }, 'webhook: the sink refused an event; answering 503 so the sender retries');
            s.health?.down(`could not enqueue received events: ${message(err)}`);
            reply.header('retry-after', String(retryAfter));
            return send(reply, 503, { error: 'the events could not be enqueued; retry later', taken: outcomes.length });
          }
        }
        failures = 0;
        s.health?.up();
        const sent = events.map((e) => e.meta.sentAt).filter((t): t is number => t !== undefined);
        if (sent.length > 0) s.health?.lag(Math.max(0, (Date.now() - Math.min(...sent)) / 1000));
        if (outcomes.every((o) => o === 'malformed')) {
          const reasons = events.map((e) => (e.parsed.ok ? '' : e.parsed.reason)).filter((r) => r !== '');
          return send(reply, refusedStatus, { error: [...new Set(reasons)].slice(0, 3).join('; '), outcomes });
        }
        return send(reply, 202, { accepted: outcomes.length, outcomes });
      };

      const post = async (req: FastifyRequest, reply: FastifyReply) => {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        let text: string;
        try {
          text = utf8.decode(body);
        } catch {
          return take(reply, [{ parsed: { ok: false, reason: 'body is not UTF-8 text' }, meta: { raw: excerpt(body.toString('latin1')) } }]);
        }
        let delivery: Delivery;
        try {
          delivery = readDelivery(req.headers, text, opts.parsers);
        } catch (err) {
          // readDelivery does not throw by design; this keeps a body it missed from becoming a 500 and a retry loop.
          delivery = { kind: 'malformed', reason: `unreadable body: ${message(err)}`, status: 400 };
        }

        switch (delivery.kind) {
          case 'events':
            return take(reply, delivery.events);
          case 'malformed':
            return take(reply, [{ parsed: { ok: false, reason: delivery.reason }, meta: { raw: excerpt(text) } }], delivery.status);
          case 'event-grid-validation':
            log.info({ source: s.name, path: s.path }, 'webhook: answered the Event Grid subscription validation handshake');
            return send(reply, 200, { validationResponse: delivery.code });
          case 'ons-confirmation': {
            const c = await confirmSubscription(delivery.url, allow, confirmMs);
            if (c.outcome === 'confirmed') log.info({ source: s.name, path: s.path }, 'webhook: confirmed the OCI Notifications subscription');
            else log.warn({ source: s.name, path: s.path, reason: c.reason, confirmationUrl: delivery.url }, 'webhook: OCI Notifications subscription NOT confirmed automatically; open the confirmation URL to confirm it');
            return send(reply, 200, c.outcome === 'confirmed' ? { confirmation: 'confirmed' } : { confirmation: c.outcome, reason: c.reason });
          }
        }
      };

      // CloudEvents HTTP Web Hooks §4: consent to deliveries from the requesting origin, at any rate. A
      // callback URL (WebHook-Request-Callback) is never requested: the answer here is the consent.
      const options = async (req: FastifyRequest, reply: FastifyReply) => {
        reply.header('allow', 'POST, OPTIONS');
        const origin = req.headers['webhook-request-origin'];
        if (origin === undefined) return send(reply, 204);
        if (typeof origin !== 'string' || !ORIGIN.test(origin)) return send(reply, 400, { error: 'WebHook-Request-Origin is not a host name' });
        log.info({ source: s.name, path: s.path, origin }, 'webhook: granted the CloudEvents abuse-protection handshake');
        reply.header('webhook-allowed-origin', origin).header('webhook-allowed-rate', '*');
        return send(reply, 200);
      };

      scope.route({ method: 'POST', url: s.path, bodyLimit: s.maxBytes, errorHandler, handler: post });
      scope.route({ method: 'OPTIONS', url: s.path, errorHandler, handler: options });
      scope.route({
        method: [...OTHER_METHODS],
        url: s.path,
        errorHandler,
        handler: async (_req, reply) => {
          reply.header('allow', 'POST, OPTIONS');
          return send(reply, 405, { error: `${s.path} takes POST (events) and OPTIONS (the webhook handshake)` });
        },
      });
    }
  });
}
