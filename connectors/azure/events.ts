import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import type { QueueClient, ReceivedMessageItem, StoragePipelineOptions } from '@azure/storage-queue';
import { z } from 'zod';
import { parseDuration } from '../../src/config/duration.ts';
import { backoffDelay, pause } from '../../src/events/backoff.ts';
import type { EventMeta, EventSource, EventSourceContext, ParsedEvent } from '../../src/events/types.ts';
import { parseEvent } from './envelope.ts';

// The Azure SDKs (storage-queue, identity, and arm-network behind errors.ts) take seconds to load: the
// configuration imports this file for sourceSchema, so they are loaded only when a source starts.
const sdk = () => import('@azure/storage-queue');
const credentials = () => import('./credentials.ts');
const errors = () => import('./errors.ts');

/**
 * `azure-storage-queue`: Event Grid (a `Microsoft.Resources.Subscriptions` system topic) delivers ARM
 * events into an Azure Storage queue; this source receives them with @azure/storage-queue and hands each
 * to the sink, deleting it only once the sink took it. Set-up and permissions: connectors/azure/README.md.
 */

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Queue names: 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit. */
const QUEUE_NAME = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;
const SECRET_KEYS = /secret|password|token$|^token|connectionstring$|^connectionstring|accountkey$|^key$|sas|signature|credential/i;

const envName = (key: string) =>
  z
    .string()
    .max(128)
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, `${key} is the NAME of an environment variable (letters, digits, _), not the secret itself`);

/** A duration ("30s", "500ms") or a number of seconds, bounded; in milliseconds once parsed. */
const duration = (min: number, max: number, what: string) =>
  z.union([z.string(), z.number().nonnegative()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? v * 1000 : parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a duration (examples: 500ms, 30s, 5m)` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `${what}` });
      return z.NEVER;
    }
    return ms;
  });

export const sourceSchema = z
  .strictObject(
    {
      name: z.string().min(1),
      type: z.literal('azure-storage-queue'),
      /** https://ACCOUNT.queue.core.windows.net/QUEUE, or an emulator's path-style http://127.0.0.1:10001/devstoreaccount1/QUEUE. */
      queueUrl: z
        .url({ protocol: /^https?$/ })
        .refine((u) => !u.includes('?') && !u.includes('#'), 'the queue URL without a query: a SAS token is a secret, give it in a connection string (connectionStringEnv / connectionStringFile)')
        .refine((u) => QUEUE_NAME.test(queueNameOf(u)), 'must end with a queue name (3-63 lowercase letters, digits and single hyphens)'),
      /** Environment variable holding the storage account's connection string (AccountKey=… or SharedAccessSignature=…). */
      connectionStringEnv: envName('connectionStringEnv').optional(),
      /** File holding the connection string (a mounted secret; re-read after an authentication failure, so rotation needs no restart). */
      connectionStringFile: z.string().min(1).optional(),
      /** Environment variable holding the account key (the account is named by queueUrl). */
      accountKeyEnv: envName('accountKeyEnv').optional(),
      /** Environment variable holding a Microsoft Entra token for https://storage.azure.com/ (instead of DefaultAzureCredential). */
      tokenEnv: envName('tokenEnv').optional(),
      /** DefaultAzureCredential settings, as the azure connector takes them. */
      tenantId: z.string().regex(GUID, 'tenantId must be a GUID').optional(),
      managedIdentityClientId: z.string().regex(GUID, 'managedIdentityClientId must be a GUID').optional(),
      cloud: z.enum(['AzurePublicCloud', 'AzureChinaCloud', 'AzureUSGovernment']).optional(),
      /** How long a received message stays hidden from other receivers (Azure: 1 s to 7 days). */
      visibilityTimeout: duration(1_000, 7 * 86_400_000, 'visibilityTimeout must be from 1s to 7d (Azure Queue Storage limits)').default(30_000),
      /** Messages per receive call: 1 to 32, Azure's maximum. */
      maxMessages: z.int().min(1).max(32).default(32),
      /** Wait before asking again when the queue was empty: Storage Queues have no long poll. */
      pollInterval: duration(100, 300_000, 'pollInterval must be from 100ms to 5m').default(1_000),
    },
    {
      error: (iss) => {
        if (iss.code !== 'unrecognized_keys') return undefined;
        const secret = iss.keys.filter((k) => SECRET_KEYS.test(k));
        if (secret.length > 0) {
          return `${secret.join(', ')}: credentials never go in the configuration file; name an environment variable (connectionStringEnv, accountKeyEnv, tokenEnv) or a file (connectionStringFile), or use DefaultAzureCredential`;
        }
        return `unknown key(s) ${iss.keys.join(', ')}`;
      },
    },
  )
  .superRefine((c, ctx) => {
    const given = (['connectionStringEnv', 'connectionStringFile', 'accountKeyEnv', 'tokenEnv'] as const).filter((k) => c[k] !== undefined);
    if (given.length > 1) ctx.addIssue({ code: 'custom', path: [given[1]!], message: `give one way to authenticate, not ${given.join(' and ')}` });
    const sharedKey = c.connectionStringEnv !== undefined || c.connectionStringFile !== undefined || c.accountKeyEnv !== undefined;
    for (const k of ['tenantId', 'managedIdentityClientId', 'cloud'] as const) {
      if (c[k] !== undefined && sharedKey) ctx.addIssue({ code: 'custom', path: [k], message: `${k} is a DefaultAzureCredential setting; it does not apply with ${given[0] ?? 'a key'}` });
    }
  });

export type SourceConfig = z.infer<typeof sourceSchema>;

function queueNameOf(url: string): string {
  try {
    return new URL(url).pathname.replace(/\/+$/, '').split('/').at(-1) ?? '';
  } catch {
    return '';
  }
}

/** `https://acct.queue.core.windows.net/q/` and `HTTPS://ACCT.queue.core.windows.net/q` are one queue. */
function sameQueue(a: string, b: string): boolean {
  const norm = (u: string) => {
    const x = new URL(u);
    return `${x.protocol}//${x.host.toLowerCase()}${x.pathname.replace(/\/+$/, '')}`;
  };
  return norm(a) === norm(b);
}

interface Connection {
  client: QueueClient;
  /** Values to mask in any message: a key or token that an SDK error might echo. */
  secrets: string[];
}

/** Event Grid writes Base64 (azure-sdk-for-js#6805, MicrosoftDocs/azure-docs#102923); other writers send plain JSON. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function decodeMessage(text: string): { parsed: ParsedEvent; body: string } {
  const trimmed = text.trim();
  let body = trimmed;
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    const compact = trimmed.replace(/\s+/g, '');
    if (compact.length === 0) return { parsed: { ok: false, reason: 'empty message' }, body: text };
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) return { parsed: { ok: false, reason: 'neither JSON nor Base64-encoded JSON' }, body: text };
    body = Buffer.from(compact, 'base64').toString('utf8').trim();
    if (!body.startsWith('{') && !body.startsWith('[')) return { parsed: { ok: false, reason: 'Base64 that does not decode to JSON' }, body };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { parsed: { ok: false, reason: `not JSON: ${(err as Error).message.slice(0, 120)}` }, body };
  }
  try {
    return { parsed: parseEvent(json), body };
  } catch (err) {
    // parseEvent never throws by design; a message must not stop the consumer even if it did.
    return { parsed: { ok: false, reason: `unreadable event: ${(err as Error).message.slice(0, 120)}` }, body };
  }
}

type Outcome = { kind: 'done' } | { kind: 'sink-failed'; error: string } | { kind: 'delete-failed'; error: unknown };

const STOP_WAIT_MS = 10_000;

class StorageQueueSource implements EventSource {
  readonly name: string;
  readonly type = 'azure-storage-queue';
  private readonly config: SourceConfig;
  private readonly ctx: EventSourceContext;
  private readonly logger: EventSourceContext['logger'];
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  /** Built once: DefaultAzureCredential caches its tokens, and finding its way through the chain is slow. */
  private tokenCredential: TokenCredential | undefined;

  constructor(config: SourceConfig, ctx: EventSourceContext) {
    this.name = config.name;
    this.config = config;
    this.ctx = ctx;
    this.logger = ctx.logger.child({ source: config.name, type: this.type });
  }

  start(): void {
    if (this.running || this.abort.signal.aborted) return;
    this.running = this.loop().catch((err: unknown) => {
      // The loop catches everything it expects; this is the last line before an unhandled rejection.
      this.logger.error({ err: (err as Error).message }, 'azure-storage-queue consumer stopped on an unexpected error');
      this.ctx.health.down(`consumer stopped: ${(err as Error).message}`);
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise<void>((r) => (timer = setTimeout(r, STOP_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * A client from the credentials as they are now: called again after any failure, so a fixed environment
   * variable or a rotated secret file is picked up without a restart.
   */
  private async connect(): Promise<Connection> {
    const c = this.config;
    const { QueueClient, StorageSharedKeyCredential } = await sdk();
    const local = new URL(c.queueUrl).protocol === 'http:';
    const options: StoragePipelineOptions = {
      // Our own loop backs off and reports health; against an emulator answers must be immediate. Against
      // Azure, a short retry rides out a dropped connection before the loop has to.
      retryOptions: local ? { maxTries: 1, tryTimeoutInMs: 30_000 } : { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 5_000, tryTimeoutInMs: 30_000 },
      userAgentOptions: { userAgentPrefix: 'origin-region-sync' },
    };
    const queue = queueNameOf(c.queueUrl);
    if (c.connectionStringEnv !== undefined || c.connectionStringFile !== undefined) {
      const cs = await this.connectionString();
      let client: QueueClient;
      try {
        client = new QueueClient(cs, queue, options);
      } catch {
        // The SDK's message may quote the string; say where it came from instead.
        throw new Error(`the connection string in ${this.connectionStringOrigin()} is not a storage connection string (AccountName=…;AccountKey=… or …;SharedAccessSignature=…)`);
      }
      const endpoint = client.url.split('?')[0] ?? client.url;
      if (!sameQueue(endpoint, c.queueUrl)) {
        throw new Error(`the connection string in ${this.connectionStringOrigin()} points at ${endpoint}, not at queueUrl ${c.queueUrl}`);
      }
      return { client, secrets: secretsOf(cs) };
    }
    if (c.accountKeyEnv !== undefined) {
      const key = this.ctx.env[c.accountKeyEnv]?.trim();
      if (!key) throw new Error(`environment variable ${c.accountKeyEnv} (accountKeyEnv) is not set or empty`);
      const account = new QueueClient(c.queueUrl).accountName;
      if (!account) throw new Error(`cannot tell the storage account from queueUrl ${c.queueUrl}: use a connection string (connectionStringEnv / connectionStringFile)`);
      let credential: InstanceType<typeof StorageSharedKeyCredential>;
      try {
        credential = new StorageSharedKeyCredential(account, key);
      } catch {
        throw new Error(`the value of ${c.accountKeyEnv} (accountKeyEnv) is not a storage account key (Base64)`);
      }
      return { client: new QueueClient(c.queueUrl, credential, options), secrets: [key] };
    }
    this.tokenCredential ??= (await credentials()).credentialFor(c, this.ctx.env);
    return { client: new QueueClient(c.queueUrl, this.tokenCredential, options), secrets: c.tokenEnv ? [this.ctx.env[c.tokenEnv] ?? ''] : [] };
  }

  private connectionStringOrigin(): string {
    return this.config.connectionStringEnv !== undefined ? `environment variable ${this.config.connectionStringEnv} (connectionStringEnv)` : `file ${resolve(this.ctx.configDir, this.config.connectionStringFile ?? '')} (connectionStringFile)`;
  }

  private async connectionString(): Promise<string> {
    const c = this.config;
    let value: string | undefined;
    if (c.connectionStringEnv !== undefined) {
      value = this.ctx.env[c.connectionStringEnv];
    } else if (c.connectionStringFile !== undefined) {
      const path = resolve(this.ctx.configDir, c.connectionStringFile);
      try {
        value = await readFile(path, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${path} (connectionStringFile): ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    value = value?.trim();
    if (!value) throw new Error(`${this.connectionStringOrigin()} is empty or not set`);
    return value;
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    const c = this.config;
    const { describeAzureError } = await errors();
    let conn: Connection | undefined;
    let attempt = 0;
    let secrets: string[] = [];
    const backoff = async () => pause(backoffDelay(attempt++), signal);

    while (!signal.aborted) {
      let batch: ReceivedMessageItem[];
      try {
        conn ??= await this.connect();
        secrets = conn.secrets;
        const visibilityTimeout = Math.max(1, Math.round(c.visibilityTimeout / 1000));
        batch = (await conn.client.receiveMessages({ numberOfMessages: c.maxMessages, visibilityTimeout, abortSignal: signal })).receivedMessageItems;
      } catch (err) {
        if (signal.aborted) break;
        conn = undefined;
        const error = describeAzureError(err, secrets);
        this.ctx.health.down(error);
        this.logger.warn({ error, attempt }, 'azure-storage-queue: cannot receive; retrying with backoff');
        await backoff();
        continue;
      }
      this.ctx.health.up();
      if (batch.length === 0) {
        this.ctx.health.lag(0);
        attempt = 0;
        await pause(c.pollInterval, signal);
        continue;
      }
      const oldest = Math.min(...batch.map((m) => m.insertedOn.getTime()));
      this.ctx.health.lag(Math.max(0, (Date.now() - oldest) / 1000));

      const client = conn.client;
      // Each message is deleted as soon as its own take resolved; the batch is not an all-or-nothing unit.
      const outcomes = await Promise.all(batch.map((m) => this.handle(client, m)));
      const sinkFailed = outcomes.find((o) => o.kind === 'sink-failed');
      const deleteFailed = outcomes.find((o) => o.kind === 'delete-failed');
      if (deleteFailed) {
        conn = undefined;
        const error = `deleting a received message failed: ${describeAzureError(deleteFailed.error, secrets)}`;
        this.ctx.health.down(error);
        this.logger.warn({ error }, 'azure-storage-queue: messages the sink took will be delivered again (duplicates are harmless); retrying with backoff');
        await backoff();
      } else if (sinkFailed) {
        // Redis did not take them: nothing deleted, they reappear after visibilityTimeout. The queue itself works.
        this.logger.warn({ error: sinkFailed.error }, 'azure-storage-queue: the sink refused messages; they stay in the queue for redelivery');
        await backoff();
      } else {
        attempt = 0;
      }
    }
  }

  private async handle(client: QueueClient, m: ReceivedMessageItem): Promise<Outcome> {
    const { parsed, body } = decodeMessage(m.messageText ?? '');
    const meta: EventMeta = { messageId: m.messageId, sentAt: m.insertedOn.getTime(), raw: body };
    try {
      await this.ctx.sink.take(this.name, parsed, meta);
    } catch (err) {
      if (m.dequeueCount > 5) this.logger.warn({ messageId: m.messageId, dequeueCount: m.dequeueCount }, 'azure-storage-queue: a message keeps coming back because the sink refuses it');
      return { kind: 'sink-failed', error: (err as Error).message };
    }
    try {
      // Not aborted on stop: a message the sink took is deleted even while stopping.
      await client.deleteMessage(m.messageId, m.popReceipt);
    } catch (err) {
      const status = (err as { statusCode?: unknown }).statusCode;
      if (status === 404) {
        // MessageNotFound / PopReceiptMismatch: its visibility timeout ran out and another receiver has it.
        this.logger.info({ messageId: m.messageId }, 'azure-storage-queue: message was received again before its delete (visibilityTimeout too short?); the duplicate is harmless');
        return { kind: 'done' };
      }
      return { kind: 'delete-failed', error: err };
    }
    return { kind: 'done' };
  }
}

/** The key or SAS inside a connection string, and the string itself: none may appear in an error. */
function secretsOf(cs: string): string[] {
  const out = [cs];
  for (const part of cs.split(';')) {
    const m = /^(AccountKey|SharedAccessSignature)=(.+)$/i.exec(part.trim());
    if (m?.[2]) out.push(m[2]);
  }
  return out;
}

export function createEventSource(config: SourceConfig, ctx: EventSourceContext): EventSource {
  return new StorageQueueSource(config, ctx);
}
