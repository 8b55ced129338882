import { createHash, randomBytes, randomUUID } from 'node:crypto';

/**
 * An SQS fake speaking AWS JSON 1.0 (`x-amz-target: AmazonSQS.<Action>`), the protocol the current
 * @aws-sdk/client-sqs uses, for the actions an event consumer and a test need: CreateQueue, GetQueueUrl,
 * GetQueueAttributes, SendMessage(Batch), ReceiveMessage (long polling), DeleteMessage(Batch), PurgeQueue.
 * Standard queues only. Limits and error shapes follow the API reference
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/) and the SDK's own error model
 * (awsQueryError codes in @aws-sdk/client-sqs, sent in the `x-amzn-query-error` header the SDK reads).
 */

export interface SqsAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** [query-compatible code, HTTP status, default message], as the SDK's model declares them. */
const ERRORS: Record<string, [string, number, string]> = {
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400, 'The specified queue does not exist.'],
  InvalidAddress: ['InvalidAddress', 404, 'The address is not valid for this endpoint.'],
  QueueNameExists: ['QueueAlreadyExists', 400, 'A queue already exists with the same name and a different value for attribute(s).'],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404, 'The input receipt handle is not a valid receipt handle.'],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400, 'There should be at least one entry in the request.'],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400, 'Maximum number of entries per request are 10.'],
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400, 'Two or more batch entries in the request have the same Id.'],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400, 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.'],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400, 'Batch requests cannot be longer than 1048576 bytes.'],
  InvalidAttributeName: ['InvalidAttributeName', 400, 'Unknown Attribute.'],
  InvalidMessageContents: ['InvalidMessageContents', 400, 'Invalid characters found.'],
  PurgeQueueInProgress: ['AWS.SimpleQueueService.PurgeQueueInProgress', 403, 'Only one PurgeQueue operation on the queue is allowed every 60 seconds.'],
  UnsupportedOperation: ['AWS.SimpleQueueService.UnsupportedOperation', 400, 'This operation is not supported by the fake.'],
  // Not modelled by the SDK (it names them after the header): validation and authentication.
  InvalidParameterValue: ['InvalidParameterValue', 400, 'An invalid or out-of-range value was supplied for the input parameter.'],
  MissingParameter: ['MissingParameter', 400, 'A required parameter is missing.'],
  UnknownOperationException: ['InvalidAction', 400, 'The action or operation requested is invalid.'],
  InvalidClientTokenId: ['InvalidClientTokenId', 403, 'The security token included in the request is invalid.'],
  AccessDenied: ['AccessDenied', 403, 'Access to the resource is denied.'],
};

export class SqsError extends Error {
  readonly code: string;
  readonly status: number | undefined;

  constructor(code: string, message?: string, status?: number) {
    super(message ?? ERRORS[code]?.[2] ?? code);
    this.code = code;
    this.status = status;
  }
}

/** The JSON error shape: `__type` plus `message`, and the query-compatible code in a header. */
export function sqsError(code: string, message: string | undefined, requestId: string, status?: number): SqsAnswer {
  const [queryCode, defaultStatus, defaultMessage] = ERRORS[code] ?? [code, 400, code];
  const namespace = code === 'UnknownOperationException' || code === 'InvalidClientTokenId' ? 'com.amazon.coral.service' : 'com.amazonaws.sqs';
  const sender = (status ?? defaultStatus) < 500 ? 'Sender' : 'Receiver';
  return {
    status: status ?? defaultStatus,
    body: JSON.stringify({ __type: `${namespace}#${code}`, message: message ?? defaultMessage }),
    headers: { 'x-amzn-query-error': `${queryCode};${sender}`, 'x-amzn-requestid': requestId },
  };
}

/** Limits from the API reference (CreateQueue, SendMessage, ReceiveMessage). */
export const SQS_LIMITS = {
  maxMessages: 10,
  maxWaitSeconds: 20,
  maxVisibilitySeconds: 43_200,
  maxDelaySeconds: 900,
  /** MaximumMessageSize may be set from 1 KiB to 1 MiB; a queue created without it takes 256 KiB here. */
  defaultMessageSize: 262_144,
  maxMessageSize: 1_048_576,
  batchEntries: 10,
  batchBytes: 1_048_576,
  purgeEverySeconds: 60,
} as const;

interface Message {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  senderId: string;
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
}

interface QueueAttributes {
  VisibilityTimeout: number;
  MaximumMessageSize: number;
  MessageRetentionPeriod: number;
  ReceiveMessageWaitTimeSeconds: number;
  DelaySeconds: number;
  Policy?: string;
}

const NUMERIC_ATTRIBUTES: Record<string, [number, number]> = {
  VisibilityTimeout: [0, SQS_LIMITS.maxVisibilitySeconds],
  MaximumMessageSize: [1024, SQS_LIMITS.maxMessageSize],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, SQS_LIMITS.maxWaitSeconds],
  DelaySeconds: [0, SQS_LIMITS.maxDelaySeconds],
};

const READABLE_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'DelaySeconds',
  'Policy',
  'SqsManagedSseEnabled',
];

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;
/** Characters SQS accepts in a body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
// eslint-disable-next-line no-control-regex
const INVALID_CHARS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export const md5Hex = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

class Queue {
  readonly messages: Message[] = [];
  readonly waiters = new Set<() => void>();
  readonly createdAt = Math.floor(Date.now() / 1000);
  lastPurge = 0;

  readonly account: string;
  readonly name: string;
  readonly region: string;
  attributes: QueueAttributes;

  constructor(account: string, name: string, region: string, attributes: QueueAttributes) {
    this.account = account;
    this.name = name;
    this.region = region;
    this.attributes = attributes;
  }

  get key(): string {
    return `${this.account}/${this.name}`;
  }

  wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** What a receipt handle carries: opaque to clients, but enough for the fake to tell stale from unknown. */
interface Receipt {
  q: string;
  m: string;
  r: number;
}

export interface SqsContext {
  /** The account that signed the request (senderId of what it sends, owner of what it creates). */
  account: string;
  region: string;
  /** Aborts a long poll when the client went away, so it does not take messages nobody will see. */
  signal: AbortSignal;
}

export class SqsService {
  private readonly queues = new Map<string, Queue>();
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly baseUrl: () => string;

  constructor(baseUrl: () => string) {
    this.baseUrl = baseUrl;
  }

  /** Creates (or returns) a queue outside the API, as the fake's own events queue is created. */
  ensureQueue(account: string, name: string, region = 'us-east-1'): string {
    if (!QUEUE_NAME.test(name)) throw new Error(`invalid SQS queue name ${JSON.stringify(name)}: 1-80 of letters, digits, - and _`);
    const key = `${account}/${name}`;
    if (!this.queues.has(key)) this.queues.set(key, new Queue(account, name, region, defaultAttributes()));
    return this.urlOf(this.queues.get(key) as Queue);
  }

  /** Puts a body on a queue by URL, as SendMessage would (the fake's events, and raw test messages). */
  put(queueUrl: string, body: string, senderId = 'AIDAFAKEEVENTBRIDGE00'): string {
    const q = this.queueOf(queueUrl);
    return this.enqueue(q, body, 0, senderId).id;
  }

  /** Messages on a queue: visible, in flight, delayed. */
  depth(queueUrl: string): { visible: number; inFlight: number } {
    const q = this.queueOf(queueUrl);
    const now = Date.now();
    const visible = q.messages.filter((m) => m.visibleAt <= now).length;
    return { visible, inFlight: q.messages.length - visible };
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const q of this.queues.values()) q.wake();
  }

  async handle(action: string, input: unknown, ctx: SqsContext): Promise<unknown> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SqsError('InvalidParameterValue', 'The request body must be a JSON object.');
    const p = input as Record<string, unknown>;
    switch (action) {
      case 'CreateQueue':
        return this.createQueue(p, ctx);
      case 'GetQueueUrl':
        return this.getQueueUrl(p, ctx);
      case 'GetQueueAttributes':
        return this.getQueueAttributes(p);
      case 'SendMessage':
        return this.sendMessage(p, ctx);
      case 'SendMessageBatch':
        return this.sendMessageBatch(p, ctx);
      case 'ReceiveMessage':
        return this.receiveMessage(p, ctx);
      case 'DeleteMessage':
        return this.deleteMessage(p);
      case 'DeleteMessageBatch':
        return this.deleteMessageBatch(p);
      case 'PurgeQueue':
        return this.purgeQueue(p);
      default:
        throw new SqsError('UnknownOperationException', `The action ${action} is not valid for this endpoint.`);
    }
  }

  private urlOf(q: Queue): string {
    return `${this.baseUrl()}/${q.account}/${q.name}`;
  }

  private queueOf(queueUrl: unknown): Queue {
    if (typeof queueUrl !== 'string' || queueUrl === '') throw new SqsError('MissingParameter', 'The request must contain the parameter QueueUrl.');
    let path: string;
    try {
      path = new URL(queueUrl).pathname;
    } catch {
      throw new SqsError('InvalidAddress', `The address ${queueUrl.slice(0, 200)} is not valid for this endpoint.`);
    }
    const m = /^\/(\d{12})\/([A-Za-z0-9_-]{1,80})\/?$/.exec(path);
    if (!m) throw new SqsError('InvalidAddress', `The address ${queueUrl.slice(0, 200)} is not valid for this endpoint.`);
    const q = this.queues.get(`${m[1]}/${m[2]}`);
    if (!q) throw new SqsError('QueueDoesNotExist');
    return q;
  }

  private createQueue(p: Record<string, unknown>, ctx: SqsContext): unknown {
    const name = p.QueueName;
    if (typeof name !== 'string' || name === '') throw new SqsError('MissingParameter', 'The request must contain the parameter QueueName.');
    if (name.endsWith('.fifo')) throw new SqsError('UnsupportedOperation', 'FIFO queues are not supported by this fake.');
    if (!QUEUE_NAME.test(name)) throw new SqsError('InvalidParameterValue', 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    const attributes = defaultAttributes();
    const given = p.Attributes ?? {};
    if (typeof given !== 'object' || given === null) throw new SqsError('InvalidParameterValue', 'Attributes must be a map.');
    for (const [k, v] of Object.entries(given as Record<string, unknown>)) setAttribute(attributes, k, v);
    const key = `${ctx.account}/${name}`;
    const existing = this.queues.get(key);
    if (existing) {
      if (JSON.stringify(existing.attributes) !== JSON.stringify(attributes)) throw new SqsError('QueueNameExists');
      return { QueueUrl: this.urlOf(existing) };
    }
    const q = new Queue(ctx.account, name, ctx.region, attributes);
    this.queues.set(key, q);
    return { QueueUrl: this.urlOf(q) };
  }

  private getQueueUrl(p: Record<string, unknown>, ctx: SqsContext): unknown {
    const name = p.QueueName;
    if (typeof name !== 'string' || name === '') throw new SqsError('MissingParameter', 'The request must contain the parameter QueueName.');
    const owner = typeof p.QueueOwnerAWSAccountId === 'string' ? p.QueueOwnerAWSAccountId : ctx.account;
    const q = this.queues.get(`${owner}/${name}`);
    if (!q) throw new SqsError('QueueDoesNotExist');
    return { QueueUrl: this.urlOf(q) };
  }

  private getQueueAttributes(p: Record<string, unknown>): unknown {
    const q = this.queueOf(p.QueueUrl);
    const names = stringList(p.AttributeNames, 'AttributeNames');
    const wanted = names.includes('All') ? READABLE_ATTRIBUTES : names;
    const now = Date.now();
    const visible = q.messages.filter((m) => m.visibleAt <= now && m.receiveCount > 0).length;
    const delayed = q.messages.filter((m) => m.visibleAt > now && m.receiveCount === 0).length;
    const fresh = q.messages.filter((m) => m.visibleAt <= now && m.receiveCount === 0).length;
    const values: Record<string, string | undefined> = {
      QueueArn: `arn:aws:sqs:${q.region}:${q.account}:${q.name}`,
      ApproximateNumberOfMessages: String(visible + fresh),
      ApproximateNumberOfMessagesNotVisible: String(q.messages.length - visible - fresh - delayed),
      ApproximateNumberOfMessagesDelayed: String(delayed),
      CreatedTimestamp: String(q.createdAt),
      LastModifiedTimestamp: String(q.createdAt),
      VisibilityTimeout: String(q.attributes.VisibilityTimeout),
      MaximumMessageSize: String(q.attributes.MaximumMessageSize),
      MessageRetentionPeriod: String(q.attributes.MessageRetentionPeriod),
      ReceiveMessageWaitTimeSeconds: String(q.attributes.ReceiveMessageWaitTimeSeconds),
      DelaySeconds: String(q.attributes.DelaySeconds),
      Policy: q.attributes.Policy,
      SqsManagedSseEnabled: 'false',
    };
    const out: Record<string, string> = {};
    for (const n of wanted) {
      if (!READABLE_ATTRIBUTES.includes(n)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${n}.`);
      const v = values[n];
      if (v !== undefined) out[n] = v;
    }
    return Object.keys(out).length > 0 ? { Attributes: out } : {};
  }

  private checkBody(q: Queue, body: unknown): string {
    if (typeof body !== 'string' || body === '') throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    const size = Buffer.byteLength(body, 'utf8');
    if (size > q.attributes.MaximumMessageSize) {
      throw new SqsError('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${q.attributes.MaximumMessageSize} bytes.`);
    }
    if (INVALID_CHARS.test(body)) throw new SqsError('InvalidMessageContents');
    return body;
  }

  private enqueue(q: Queue, body: string, delaySeconds: number, senderId: string): Message {
    const now = Date.now();
    const m: Message = { id: randomUUID(), body, md5: md5Hex(body), sentAt: now, senderId, visibleAt: now + delaySeconds * 1000, receiveCount: 0 };
    q.messages.push(m);
    if (delaySeconds > 0) this.wakeAt(q, m.visibleAt);
    q.wake();
    return m;
  }

  private sendMessage(p: Record<string, unknown>, ctx: SqsContext): unknown {
    const q = this.queueOf(p.QueueUrl);
    if (p.MessageAttributes !== undefined || p.MessageSystemAttributes !== undefined) {
      throw new SqsError('UnsupportedOperation', 'Message attributes are not supported by this fake.');
    }
    const body = this.checkBody(q, p.MessageBody);
    const delay = intParam(p.DelaySeconds, 'DelaySeconds', 0, SQS_LIMITS.maxDelaySeconds) ?? q.attributes.DelaySeconds;
    const m = this.enqueue(q, body, delay, ctx.account);
    return { MessageId: m.id, MD5OfMessageBody: m.md5 };
  }

  private sendMessageBatch(p: Record<string, unknown>, ctx: SqsContext): unknown {
    const q = this.queueOf(p.QueueUrl);
    const entries = batchEntries(p.Entries);
    let total = 0;
    for (const e of entries) total += typeof e.MessageBody === 'string' ? Buffer.byteLength(e.MessageBody, 'utf8') : 0;
    if (total > SQS_LIMITS.batchBytes) throw new SqsError('BatchRequestTooLong');
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const e of entries) {
      try {
        if (e.MessageAttributes !== undefined) throw new SqsError('UnsupportedOperation', 'Message attributes are not supported by this fake.');
        const body = this.checkBody(q, e.MessageBody);
        const delay = intParam(e.DelaySeconds, 'DelaySeconds', 0, SQS_LIMITS.maxDelaySeconds) ?? q.attributes.DelaySeconds;
        const m = this.enqueue(q, body, delay, ctx.account);
        Successful.push({ Id: e.Id, MessageId: m.id, MD5OfMessageBody: m.md5 });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({ Id: e.Id, SenderFault: true, Code: err.code, Message: err.message });
      }
    }
    return { Successful, Failed };
  }

  private async receiveMessage(p: Record<string, unknown>, ctx: SqsContext): Promise<unknown> {
    const q = this.queueOf(p.QueueUrl);
    const max = intParam(p.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, SQS_LIMITS.maxMessages, 'Must be between 1 and 10, if provided.') ?? 1;
    const wait = intParam(p.WaitTimeSeconds, 'WaitTimeSeconds', 0, SQS_LIMITS.maxWaitSeconds) ?? q.attributes.ReceiveMessageWaitTimeSeconds;
    const visibility = intParam(p.VisibilityTimeout, 'VisibilityTimeout', 0, SQS_LIMITS.maxVisibilitySeconds) ?? q.attributes.VisibilityTimeout;
    const names = new Set([...stringList(p.MessageSystemAttributeNames, 'MessageSystemAttributeNames'), ...stringList(p.AttributeNames, 'AttributeNames')]);
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      const taken = this.take(q, max, visibility);
      if (taken.length > 0 || this.closed || ctx.signal.aborted || Date.now() >= deadline) {
        return taken.length > 0 ? { Messages: taken.map((t) => render(t.message, t.receipt, names)) } : {};
      }
      await this.waitFor(q, deadline, ctx.signal);
    }
  }

  /** Oldest visible first: a standard queue promises no order, but a fake that keeps one is easier to test. */
  private take(q: Queue, max: number, visibilitySeconds: number): Array<{ message: Message; receipt: string }> {
    const now = Date.now();
    const out: Array<{ message: Message; receipt: string }> = [];
    for (const m of q.messages) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      m.receiveCount++;
      m.firstReceiveAt ??= now;
      m.visibleAt = now + visibilitySeconds * 1000;
      const receipt: Receipt = { q: q.key, m: m.id, r: m.receiveCount };
      out.push({ message: m, receipt: encodeReceipt(receipt) });
      this.wakeAt(q, m.visibleAt);
    }
    return out;
  }

  /** Until a send, a message's visibility ending, the deadline, the client leaving, or close(). */
  private waitFor(q: Queue, deadline: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        q.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      q.waiters.add(done);
      signal.addEventListener('abort', done);
    });
  }

  /** Long polls must notice a message whose visibility timeout (or delay) ends while they wait. */
  private wakeAt(q: Queue, at: number): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      q.wake();
    }, Math.max(0, at - Date.now()) + 1);
    t.unref();
    this.timers.add(t);
  }

  /**
   * A receipt handle that was never issued is ReceiptHandleIsInvalid. One superseded by a later receive
   * is refused as expired, the answer AWS gives (`InvalidParameterValue … The receipt handle has expired`);
   * one whose message is already gone succeeds, as deleting twice does.
   */
  private deleteOne(q: Queue, handle: unknown): void {
    if (typeof handle !== 'string' || handle === '') throw new SqsError('MissingParameter', 'The request must contain the parameter ReceiptHandle.');
    const r = decodeReceipt(handle);
    if (!r || r.q !== q.key) throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle.slice(0, 120)}" is not a valid receipt handle.`);
    const i = q.messages.findIndex((m) => m.id === r.m);
    if (i < 0) return;
    const m = q.messages[i] as Message;
    if (m.receiveCount !== r.r) {
      throw new SqsError('InvalidParameterValue', `Value ${handle.slice(0, 120)} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`);
    }
    q.messages.splice(i, 1);
  }

  private deleteMessage(p: Record<string, unknown>): unknown {
    const q = this.queueOf(p.QueueUrl);
    this.deleteOne(q, p.ReceiptHandle);
    return {};
  }

  private deleteMessageBatch(p: Record<string, unknown>): unknown {
    const q = this.queueOf(p.QueueUrl);
    const entries = batchEntries(p.Entries);
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const e of entries) {
      try {
        this.deleteOne(q, e.ReceiptHandle);
        Successful.push({ Id: e.Id });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({ Id: e.Id, SenderFault: true, Code: err.code, Message: err.message });
      }
    }
    return { Successful, Failed };
  }

  private purgeQueue(p: Record<string, unknown>): unknown {
    const q = this.queueOf(p.QueueUrl);
    const now = Date.now();
    if (now - q.lastPurge < SQS_LIMITS.purgeEverySeconds * 1000) {
      throw new SqsError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
    }
    q.lastPurge = now;
    q.messages.length = 0;
    return {};
  }
}

function defaultAttributes(): QueueAttributes {
  return { VisibilityTimeout: 30, MaximumMessageSize: SQS_LIMITS.defaultMessageSize, MessageRetentionPeriod: 345_600, ReceiveMessageWaitTimeSeconds: 0, DelaySeconds: 0 };
}

function setAttribute(a: QueueAttributes, name: string, value: unknown): void {
  if (name === 'Policy') {
    if (typeof value !== 'string') throw new SqsError('InvalidAttributeValue', 'Invalid value for the parameter Policy.', 400);
    a.Policy = value;
    return;
  }
  const range = NUMERIC_ATTRIBUTES[name];
  if (!range) {
    if (name === 'SqsManagedSseEnabled' || name === 'KmsMasterKeyId' || name === 'KmsDataKeyReusePeriodSeconds' || name === 'RedrivePolicy') return;
    throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
  }
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= range[0] && n <= range[1])) throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`, 400);
  (a as unknown as Record<string, number>)[name] = n;
}

function intParam(v: unknown, name: string, min: number, max: number, reason = `Must be >= ${min} and <= ${max}, if provided.`): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new SqsError('InvalidParameterValue', `Value ${JSON.stringify(v)} for parameter ${name} is invalid. Reason: ${reason}`);
  }
  return v;
}

function stringList(v: unknown, name: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new SqsError('InvalidParameterValue', `${name} must be a list of strings.`);
  return v as string[];
}

function batchEntries(v: unknown): Array<Record<string, unknown>> {
  if (v === undefined || (Array.isArray(v) && v.length === 0)) throw new SqsError('EmptyBatchRequest');
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'object' || e === null)) throw new SqsError('InvalidParameterValue', 'Entries must be a list of objects.');
  if (v.length > SQS_LIMITS.batchEntries) throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${SQS_LIMITS.batchEntries}. You have sent ${v.length}.`);
  const entries = v as Array<Record<string, unknown>>;
  const ids = new Set<string>();
  for (const e of entries) {
    if (typeof e.Id !== 'string' || !BATCH_ID.test(e.Id)) throw new SqsError('InvalidBatchEntryId');
    if (ids.has(e.Id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${e.Id} repeated.`);
    ids.add(e.Id);
  }
  return entries;
}

function encodeReceipt(r: Receipt): string {
  // Real handles are long opaque base64; the random tail keeps two receipts of one message different.
  return Buffer.from(JSON.stringify({ ...r, n: randomBytes(6).toString('hex') })).toString('base64');
}

function decodeReceipt(handle: string): Receipt | undefined {
  try {
    const r = JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as Partial<Receipt>;
    if (typeof r.q === 'string' && typeof r.m === 'string' && typeof r.r === 'number') return { q: r.q, m: r.m, r: r.r };
  } catch {
    // not ours
  }
  return undefined;
}

function render(m: Message, receipt: string, names: ReadonlySet<string>): Record<string, unknown> {
  const all = names.has('All');
  const attrs: Record<string, string> = {};
  if (all || names.has('SentTimestamp')) attrs.SentTimestamp = String(m.sentAt);
  if (all || names.has('ApproximateReceiveCount')) attrs.ApproximateReceiveCount = String(m.receiveCount);
  if (all || names.has('ApproximateFirstReceiveTimestamp')) attrs.ApproximateFirstReceiveTimestamp = String(m.firstReceiveAt ?? m.sentAt);
  if (all || names.has('SenderId')) attrs.SenderId = m.senderId;
  return {
    MessageId: m.id,
    ReceiptHandle: receipt,
    MD5OfBody: m.md5,
    Body: m.body,
    ...(Object.keys(attrs).length > 0 ? { Attributes: attrs } : {}),
  };
}
