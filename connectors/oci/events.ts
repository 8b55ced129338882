import { hostname } from 'node:os';
import type * as streaming from 'oci-streaming';
import { z } from 'zod';
import { parseDuration } from '../../src/config/duration.ts';
import { backoffDelay, pause } from '../../src/events/backoff.ts';
import type { EventMeta, EventSource, EventSourceContext, ParsedEvent } from '../../src/events/types.ts';
import type { OciAuth } from './credentials.ts';
import type { Config as ConnectorConfig } from './config.ts';
import { parseEvent } from './envelope.ts';
import { describeError, redact } from './errors.ts';

/**
 * The OCI SDK takes a second to load on a small machine: the configuration schema above is imported with
 * every config file, the SDK only once a source of this type starts.
 */
async function loadSdk() {
  const [common, sdk, auth, sdkLog] = await Promise.all([import('oci-common'), import('oci-streaming'), import('./credentials.ts'), import('./sdk-log.ts')]);
  return { common, streaming: sdk, loadAuth: auth.loadAuth, routeOciSdkLogging: sdkLog.routeOciSdkLogging };
}
type Sdk = Awaited<ReturnType<typeof loadSdk>>;

const SECRET_LOOKING = /-----BEGIN|PRIVATE KEY|^ST\$/;

const duration = z.union([z.string(), z.number().nonnegative()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v * 1000 : parseDuration(v);
  if (ms === null || ms < 100 || ms > 300_000) {
    ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a duration from 100ms to 5m (examples: 500ms, 2s)` });
    return z.NEVER;
  }
  return ms;
});

function isMessagesEndpoint(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '' && u.search === '' && u.hash === '';
  } catch {
    return false;
  }
}

/**
 * `type: oci-streaming`: OCI Events rules with a Streaming action put each event on a stream; this source
 * reads it as a consumer group. Credentials as the oci connector takes them: the OCI config file
 * (`configFile`, `profile`, or $OCI_CONFIG_FILE / $OCI_CLI_PROFILE / ~/.oci/config) or `auth:
 * instance-principal`; the configuration names where they are, never holds them.
 */
export const sourceSchema = z.strictObject({
  name: z.string().min(1),
  type: z.literal('oci-streaming'),
  streamId: z.string().regex(/^ocid1\.stream\.[a-z0-9]+\.[a-z0-9-]*\.[A-Za-z0-9_-]+$/, 'the OCID of a stream (ocid1.stream.oc1.<region>.…)'),
  messagesEndpoint: z
    .string()
    .refine(isMessagesEndpoint, "the stream's messages endpoint, an http(s) URL without credentials, query or fragment (https://cell-1.streaming.us-ashburn-1.oci.oraclecloud.com)"),
  auth: z.enum(['config-file', 'instance-principal']).optional(),
  configFile: z
    .string()
    .min(1)
    .refine((v) => !SECRET_LOOKING.test(v), 'configFile is the path of an OCI config file, not key material')
    .optional(),
  profile: z
    .string()
    .regex(/^[A-Za-z0-9_.@-]{1,100}$/, 'profile is the name of a [section] of the OCI config file')
    .optional(),
  group: z.string().regex(/^[A-Za-z0-9_.:-]{1,256}$/, 'a consumer group name: letters, digits, _ . : -').default('origin-region-sync'),
  instanceName: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,256}$/, 'an instance name: letters, digits, _ . : -')
    .optional()
    .describe('this replica within the group (default the host name); a restart under the same name resumes its partitions at once'),
  limit: z.int().min(1).max(10_000).default(100),
  pollInterval: duration.default(1000),
});

export type SourceConfig = z.infer<typeof sourceSchema>;

/** OCI allows 5 GetMessages per second per partition and consumer group: stay under it. */
const MIN_GET_INTERVAL_MS = 250;
/** Heartbeat while a batch is in the sink this often: well inside the 30 s instance timeout. */
const HEARTBEAT_MS = 10_000;
/** How long stop() waits for the message in the sink and the commit after it. */
const STOP_WAIT_MS = 10_000;
/** Consecutive cursor replacements before a 400 counts as a failure, not a stale cursor. */
const MAX_CURSOR_RESETS = 3;
const EXCERPT = 512;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

class BatchAbandoned extends Error {}

/** Base64 → UTF-8 → JSON → envelope; whatever fails, the reason, never an exception. */
export function decodeMessage(value: unknown): { parsed: ParsedEvent; raw?: string } {
  if (typeof value !== 'string') return { parsed: { ok: false, reason: 'message has no value' } };
  let raw: string;
  try {
    raw = strictUtf8.decode(Buffer.from(value, 'base64'));
  } catch {
    return { parsed: { ok: false, reason: 'message value is not UTF-8 text' } };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { parsed: { ok: false, reason: 'message value is not JSON' }, raw: raw.slice(0, EXCERPT) };
  }
  try {
    return { parsed: parseEvent(json), raw: raw.slice(0, EXCERPT) };
  } catch (e) {
    return { parsed: { ok: false, reason: `envelope could not be read: ${e instanceof Error ? e.message : String(e)}` }, raw: raw.slice(0, EXCERPT) };
  }
}

function statusOf(e: unknown): number | undefined {
  const s = e !== null && typeof e === 'object' ? (e as { statusCode?: unknown }).statusCode : undefined;
  return typeof s === 'number' ? s : undefined;
}

function timeOf(t: unknown): number | undefined {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Reads a stream as one instance of a consumer group, with commit-on-get off: a batch is committed
 * (ConsumerCommit with the cursor after it) only once the sink took every message of it, so a daemon that
 * dies before gets the batch again from the group's committed offsets (at least once; duplicates only
 * coalesce). A new group starts at TRIM_HORIZON: the events retained in the stream (24 h to 7 days) are
 * hints that coalesce into a few rescans, while LATEST would drop those sent before the daemon first ran.
 */
export function createEventSource(config: SourceConfig, ctx: EventSourceContext, tuning: { stopWaitMs?: number; heartbeatMs?: number } = {}): EventSource {
  const stopWaitMs = tuning.stopWaitMs ?? STOP_WAIT_MS;
  const heartbeatMs = tuning.heartbeatMs ?? HEARTBEAT_MS;
  const log = ctx.logger.child({ source: config.name, type: 'oci-streaming' });
  const instanceName = config.instanceName ?? hostname().replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 256);
  const connectorConfig: ConnectorConfig = {
    name: config.name,
    type: 'oci',
    ...(config.auth !== undefined ? { auth: config.auth } : {}),
    ...(config.configFile !== undefined ? { configFile: config.configFile } : {}),
    ...(config.profile !== undefined ? { profile: config.profile } : {}),
  };
  const stopping = new AbortController();
  // Requests in flight are cut only when stop() gave up waiting: a commit after the last take must get out.
  const http = new AbortController();
  let running: Promise<void> | undefined;
  let auth: OciAuth | undefined;
  let client: streaming.StreamClient | undefined;
  let sdk: Sdk | undefined;
  let lastGet = 0;

  const getClient = async (): Promise<streaming.StreamClient> => {
    if (client) return client;
    if (!sdk) {
      sdk = await loadSdk();
      sdk.routeOciSdkLogging(ctx.logger);
    }
    const { common, streaming } = sdk;
    auth ??= await sdk.loadAuth(connectorConfig, ctx, stopping.signal);
    // One attempt per call: this loop retries with its own backoff and says so through health, where the
    // SDK's retries (up to 8, for minutes) would hide an outage. The circuit breaker stays off as in the
    // connector (with httpOptions, oci-common 2.139.1 returns fetch's wrapper instead of the response).
    const c = new streaming.StreamClient(
      { authenticationDetailsProvider: auth.provider },
      {
        circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true }),
        httpOptions: { signal: http.signal },
        retryConfiguration: { terminationStrategy: new common.MaxAttemptsTerminationStrategy(1) },
      },
    );
    c.endpoint = config.messagesEndpoint.replace(/\/+$/, '');
    client = c;
    return c;
  };

  const createCursor = async (c: streaming.StreamClient): Promise<string> => {
    const r = await c.createGroupCursor({
      streamId: config.streamId,
      createGroupCursorDetails: {
        groupName: config.group,
        instanceName,
        type: 'TRIM_HORIZON' as streaming.models.CreateGroupCursorDetails.Type,
        commitOnGet: false,
      },
    });
    return r.cursor.value;
  };

  /** Hands every message to the sink in order; heartbeats keep the partitions while it takes long. */
  const takeAll = async (c: streaming.StreamClient, items: streaming.models.Message[], cursor: string): Promise<string> => {
    let current = cursor;
    let beating: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      // stop() gave up on a sink that never answered: stop reserving partitions for a consumer that is gone.
      if (http.signal.aborted) return clearInterval(timer);
      beating = beating.then(async () => {
        try {
          current = (await c.consumerHeartbeat({ streamId: config.streamId, cursor: current })).cursor.value;
        } catch (e) {
          log.debug({ err: describeError(e) }, 'heartbeat failed');
        }
      });
    }, heartbeatMs);
    timer.unref();
    try {
      for (const m of items) {
        if (stopping.signal.aborted) throw new BatchAbandoned('stopping');
        const { parsed, raw } = decodeMessage(m.value);
        const sentAt = timeOf(m.timestamp);
        const meta: EventMeta = { messageId: `${m.partition}/${m.offset}`, ...(sentAt !== undefined ? { sentAt } : {}), ...(raw !== undefined ? { raw } : {}) };
        await ctx.sink.take(config.name, parsed, meta);
      }
    } finally {
      clearInterval(timer);
      await beating;
    }
    return current;
  };

  const loop = async (): Promise<void> => {
    let attempt = 0;
    let resets = 0;
    let cursor: string | undefined;
    const fail = async (what: string, e: unknown): Promise<void> => {
      const error = `${what}: ${describeError(e)}`;
      ctx.health.down(error);
      log.warn({ err: error, attempt: attempt + 1 }, 'oci-streaming source cannot receive; retrying');
      cursor = undefined;
      // A key file fixed on disk is read again on the next attempt.
      if (statusOf(e) === undefined || statusOf(e) === 401) {
        client = undefined;
        auth?.close();
        auth = undefined;
      }
      await pause(backoffDelay(attempt++), stopping.signal);
    };
    while (!stopping.signal.aborted) {
      let c: streaming.StreamClient;
      try {
        c = await getClient();
      } catch (e) {
        if (stopping.signal.aborted) break;
        await fail('OCI credentials', e);
        continue;
      }
      const wait = lastGet + MIN_GET_INTERVAL_MS - Date.now();
      if (wait > 0 && !(await pause(wait, stopping.signal))) break;
      try {
        cursor ??= await createCursor(c);
      } catch (e) {
        if (stopping.signal.aborted) break;
        await fail(`creating a group cursor on ${config.streamId}`, e);
        continue;
      }
      let got: streaming.responses.GetMessagesResponse;
      try {
        lastGet = Date.now();
        got = await c.getMessages({ streamId: config.streamId, cursor, limit: config.limit });
      } catch (e) {
        if (stopping.signal.aborted) break;
        // A cursor expires 5 minutes after it was issued, and a group's cursor goes stale when its
        // partitions move: take a new one, which starts at the group's committed offsets.
        if (statusOf(e) === 400 && resets < MAX_CURSOR_RESETS) {
          resets++;
          log.info({ err: describeError(e) }, 'cursor refused; creating a new group cursor');
          cursor = undefined;
          continue;
        }
        await fail(`reading ${config.streamId}`, e);
        continue;
      }
      resets = 0;
      attempt = 0;
      ctx.health.up();
      const items = got.items ?? [];
      if (items.length === 0) {
        ctx.health.lag(0);
        cursor = got.opcNextCursor;
        if (!(await pause(config.pollInterval, stopping.signal))) break;
        continue;
      }
      const oldest = Math.min(...items.map((m) => timeOf(m.timestamp) ?? Date.now()));
      ctx.health.lag(Math.max(0, (Date.now() - oldest) / 1000));
      let toCommit: string;
      try {
        toCommit = await takeAll(c, items, got.opcNextCursor);
      } catch (e) {
        // Nothing of the batch is committed: it comes again from the committed offsets.
        cursor = undefined;
        if (e instanceof BatchAbandoned || stopping.signal.aborted) break;
        log.warn({ err: redact(e instanceof Error ? e.message : String(e)), attempt: attempt + 1 }, 'the sink did not take a message; the batch will be read again');
        await pause(backoffDelay(attempt++), stopping.signal);
        continue;
      }
      try {
        cursor = (await c.consumerCommit({ streamId: config.streamId, cursor: toCommit })).cursor.value;
      } catch (e) {
        if (http.signal.aborted) break;
        await fail(`committing on ${config.streamId}`, e);
      }
    }
  };

  return {
    name: config.name,
    type: 'oci-streaming',
    start() {
      running ??= loop().catch((e: unknown) => {
        // The loop catches what it calls; this is a bug, said once rather than an unhandled rejection.
        ctx.health.down(`oci-streaming source stopped: ${describeError(e)}`);
        log.error({ err: describeError(e) }, 'oci-streaming source stopped');
      });
    },
    async stop() {
      stopping.abort();
      if (running) {
        let timer: NodeJS.Timeout | undefined;
        const waited = await Promise.race([running.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), stopWaitMs)))]);
        clearTimeout(timer);
        if (!waited) {
          http.abort();
          log.warn('stopped with a message still in the sink; it is not committed and will come again');
        }
      }
      client?.close();
      auth?.close();
    },
  };
}
