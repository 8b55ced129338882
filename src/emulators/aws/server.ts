import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { BodyTooLarge, readBody } from '../../http/body.ts';
import { close, listen } from '../../http/listen.ts';
import { watchInventoryFile, type InventoryWatch } from '../inventory-watch.ts';
import { cursorOf, EC2_ACTIONS } from './ec2-actions.ts';
import { inventoryEvents, type EventBridgeEvent } from './events.ts';
import { parseAwsInventory } from './inventory.ts';
import { filters, parseForm, QueryError } from './query.ts';
import { SqsError, sqsError, SqsService, type SqsAnswer } from './sqs.ts';
import { callerAccount, StsState } from './sts-actions.ts';
import { buildWorld, faultMessage, faultStatus, findFault, type World } from './world.ts';
import { ec2Error, ec2Response, renderWithEmptyFields, stsError, stsResponse } from './xml.ts';

/**
 * A fake of the EC2 Query API (and the two STS calls the connector makes) on one HTTP endpoint, for the
 * unmodified @aws-sdk/client-ec2. Every client shares the endpoint; the fake tells accounts apart by the
 * access key (temporary keys it issued name their account) and regions by the SigV4 credential scope.
 * Signatures are not verified: the fake cannot know the secret of long-term keys.
 *
 * The same endpoint speaks SQS (AWS JSON 1.0, sqs.ts) for @aws-sdk/client-sqs. The inventory can change
 * while the fake runs (setInventory, `PUT /_admin/inventory`, or a watched `inventoryFile`); each change
 * swaps what EC2 serves and puts the EventBridge events AWS would send for it on the events queue.
 */

export interface AwsFakeOptions {
  /** The whole inventory object (with an `aws` key) or just its `aws` section. */
  inventory: unknown;
  host?: string;
  port?: number;
  /** Most items per page of paginated calls (a smaller MaxResults wins). Default 5, so paging always happens. */
  pageSize?: number;
  /** Reload the inventory when this file changes (inventory-watch.ts), emitting the events of the change. */
  inventoryFile?: string;
  /** Create this SQS queue at start and put the EventBridge events of every inventory change on it. */
  events?: { queue: string; /** Owner of the queue; default the inventory's default account. */ account?: string };
  /** Told of each event as it is queued (the emulate command prints them). */
  onEvent?: (event: EventBridgeEvent) => void;
  /** A watched inventory file that does not load (the fake keeps serving what it had). */
  onInventoryError?: (err: Error) => void;
}

export interface AwsFake {
  url: string;
  close(): Promise<void>;
  requestCount(): number;
  /** Requests per action (EC2, STS and SQS actions by name), for tests that count discovery calls. */
  actionCount(action: string): number;
  /** The events queue's URL, when `events` was given. */
  eventsQueueUrl: string | undefined;
  /** Swaps the inventory (whole or its aws section) and queues its events; returns how many. Throws when invalid. */
  setInventory(inventory: unknown): number;
  /** Puts a raw body on the events queue as is (malformed-message tests). */
  sendRawEvent(body: string): string;
}

const SCOPE = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

export async function startAwsFake(opts: AwsFakeOptions): Promise<AwsFake> {
  let inventory = parseAwsInventory(opts.inventory);
  const live = { world: buildWorld(inventory) };
  const pageSize = opts.pageSize ?? 5;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new Error(`pageSize must be an integer 1..1000, got ${pageSize}`);
  const sts = new StsState();
  const sleeping = new Set<() => void>();
  const inflight = new Set<ServerResponse>();
  let count = 0;
  const actions = new Map<string, number>();
  const countAction = (a: string) => actions.set(a, (actions.get(a) ?? 0) + 1);
  let baseUrl = '';
  const sqs = new SqsService(() => baseUrl);

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        sleeping.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      sleeping.add(done);
    });

  const server = createServer((req, res) => {
    count++;
    inflight.add(res);
    res.once('close', () => inflight.delete(res));
    const ac = new AbortController();
    res.once('close', () => ac.abort());
    const isSqs = String(req.headers['x-amz-target'] ?? '').startsWith('AmazonSQS.');
    const route =
      req.url?.startsWith('/_admin/') === true
        ? admin(req, res)
        : isSqs
          ? handleSqs(live.world, sqs, countAction, sleep, req, res, ac.signal)
          : handle(live.world, sts, pageSize, sleep, countAction, req, res);
    route.catch(() => {
      if (res.headersSent) res.destroy();
      else if (isSqs) sendSqs(res, sqsError('InternalFailure', 'The request processing has failed because of an unknown error.', randomUUID(), 500));
      else send(res, 500, ec2Error('InternalError', 'An internal error has occurred', randomUUID()));
    });
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, host, opts.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${urlHost}:${port}`;

  const eventsAccount = opts.events?.account ?? live.world.defaultAccount ?? '000000000000';
  const eventsQueueUrl = opts.events ? sqs.ensureQueue(eventsAccount, opts.events.queue) : undefined;

  const setInventory = (input: unknown): number => {
    const next = parseAwsInventory(input);
    const events = inventoryEvents(inventory, next);
    inventory = next;
    live.world = buildWorld(next);
    if (eventsQueueUrl) {
      for (const e of events) {
        sqs.put(eventsQueueUrl, JSON.stringify(e));
        opts.onEvent?.(e);
      }
    }
    return events.length;
  };

  async function admin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let body: string;
    try {
      body = await readBody(req, 4 * 1024 * 1024);
    } catch (e) {
      if (e instanceof BodyTooLarge) return reply(413, { error: 'body over 4 MiB' });
      throw e;
    }
    if (req.method === 'PUT' && path === '/_admin/inventory') {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return reply(400, { error: 'the body must be JSON: the whole inventory or its aws section' });
      }
      try {
        return reply(200, { events: setInventory(json) });
      } catch (e) {
        return reply(400, { error: (e as Error).message });
      }
    }
    if (req.method === 'POST' && path === '/_admin/events/raw') {
      if (!eventsQueueUrl) return reply(409, { error: 'the fake was started without an events queue' });
      try {
        return reply(200, { messageId: sqs.put(eventsQueueUrl, body) });
      } catch (e) {
        return reply(400, { error: (e as Error).message });
      }
    }
    if (req.method === 'GET' && path === '/_admin/events') {
      return reply(200, { queueUrl: eventsQueueUrl ?? null, ...(eventsQueueUrl ? sqs.depth(eventsQueueUrl) : {}) });
    }
    return reply(404, { error: `no admin route ${req.method} ${path} (PUT /_admin/inventory, POST /_admin/events/raw, GET /_admin/events)` });
  }

  let watch: InventoryWatch | undefined;
  if (opts.inventoryFile) {
    watch = watchInventoryFile(
      opts.inventoryFile,
      (inv) => {
        try {
          setInventory(inv);
        } catch (e) {
          opts.onInventoryError?.(e as Error);
        }
      },
      (e) => opts.onInventoryError?.(e),
    );
  }

  return {
    url: baseUrl,
    requestCount: () => count,
    actionCount: (a) => actions.get(a) ?? 0,
    eventsQueueUrl,
    setInventory,
    sendRawEvent: (body) => {
      if (!eventsQueueUrl) throw new Error('the fake was started without an events queue');
      return sqs.put(eventsQueueUrl, body);
    },
    close: async () => {
      watch?.close();
      // Requests held by a delay or a long poll answer now, on connections that then close, so close() need not wait.
      for (const res of inflight) res.shouldKeepAlive = false;
      for (const wake of [...sleeping]) wake();
      sqs.close();
      await new Promise((resolve) => setImmediate(resolve));
      await close(server);
    },
  };
}

function sendSqs(res: ServerResponse, answer: SqsAnswer): void {
  res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(answer.body), ...answer.headers });
  res.end(answer.body);
}

/** SQS over AWS JSON 1.0, signed for `sqs`; faults come from the inventory, for SQS actions named explicitly. */
async function handleSqs(
  world: World,
  sqs: SqsService,
  countAction: (a: string) => void,
  sleep: (ms: number) => Promise<void>,
  req: IncomingMessage,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const requestId = randomUUID();
  const fail = (code: string, message?: string, status?: number) => sendSqs(res, sqsError(code, message, requestId, status));
  const action = String(req.headers['x-amz-target']).slice('AmazonSQS.'.length);
  countAction(action);
  if (req.method !== 'POST') return fail('UnknownOperationException', `The HTTP verb ${req.method} is not supported`, 405);
  let body: string;
  try {
    // Ten messages of up to 1 MiB each cannot come in one request: a batch is limited to 1 MiB in all.
    body = await readBody(req, 2 * 1024 * 1024);
  } catch (e) {
    if (e instanceof BodyTooLarge) return fail('BatchRequestTooLong', undefined, 413);
    throw e;
  }
  const scope = SCOPE.exec(String(req.headers.authorization ?? ''));
  if (!scope) return fail('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  const [, accessKeyId = '', , region = '', signedService = ''] = scope;
  if (signedService !== 'sqs') return fail('IncompleteSignature', `Credential should be scoped to a valid service: ${signedService}`, 403);
  if (accessKeyId.startsWith('ASIA') && !req.headers['x-amz-security-token']) return fail('InvalidClientTokenId');
  const caller = callerAccount(world, accessKeyId);
  const account = caller ? world.accounts.get(caller) : undefined;
  if (!account) return fail('InvalidClientTokenId');
  // Only faults that name the SQS action apply: an account whose EC2 calls fail still has its queue.
  const fault = [...(account.regions.get(region)?.src.faults ?? []), ...(account.src.faults ?? [])].find((f) => f.action === action);
  if (account.src.delayMs) await sleep(account.src.delayMs);
  if (fault) return fail(fault.code, fault.message, fault.status);
  let input: unknown;
  try {
    input = body === '' ? {} : JSON.parse(body);
  } catch {
    return fail('SerializationException', 'The request body is not valid JSON.', 400);
  }
  try {
    const out = await sqs.handle(action, input, { account: account.id, region, signal });
    return sendSqs(res, { status: 200, body: JSON.stringify(out), headers: { 'x-amzn-requestid': requestId } });
  } catch (e) {
    if (e instanceof SqsError) return fail(e.code, e.message, e.status);
    throw e;
  }
}

function send(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

async function handle(
  world: World,
  sts: StsState,
  pageSize: number,
  sleep: (ms: number) => Promise<void>,
  countAction: (a: string) => void,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const requestId = randomUUID();
  // Until the signing scope says otherwise, answer in EC2's error shape.
  let service = 'ec2';
  const fail = (code: string, message: string, status = 400) =>
    send(res, status, service === 'sts' ? stsError(code, message, requestId, status) : ec2Error(code, message, requestId));
  try {
    if (req.method !== 'POST' && req.method !== 'GET') return fail('UnsupportedHttpVerb', `The HTTP verb ${req.method} is not supported`, 405);
    let body: string;
    try {
      body = await readBody(req, 1024 * 1024);
    } catch (e) {
      if (e instanceof BodyTooLarge) return fail('RequestEntityTooLarge', 'Request body too large', 413);
      throw e;
    }
    const params = parseForm(body);
    for (const [k, v] of new URL(req.url ?? '/', 'http://x').searchParams) if (!params.has(k)) params.set(k, v);
    if (params.get('Version') === '2011-06-15') service = 'sts';

    const scope = SCOPE.exec(String(req.headers.authorization ?? ''));
    if (!scope) return fail('MissingAuthenticationToken', 'Request is missing Authentication Token', 401);
    const [, accessKeyId = '', , region = '', signedService = ''] = scope;
    if (signedService !== 'ec2' && signedService !== 'sts') return fail('IncompleteSignature', `Credential should be scoped to a valid service: ${signedService}`, 400);
    service = signedService;
    if (accessKeyId.startsWith('ASIA') && !req.headers['x-amz-security-token']) {
      return fail(service === 'sts' ? 'InvalidClientTokenId' : 'AuthFailure', 'The security token included in the request is invalid.', 401);
    }
    const action = params.get('Action');
    if (!action) return fail('MissingAction', 'The request must contain the parameter Action', 400);
    countAction(action);
    const caller = callerAccount(world, accessKeyId);

    if (service === 'sts') {
      if (action !== 'AssumeRole' && action !== 'GetCallerIdentity') return fail('InvalidAction', `Could not find operation ${action} for version ${params.get('Version') ?? '(none)'}`, 400);
      // Faults on AssumeRole belong to the target account (its trust policy), GetCallerIdentity's to the caller.
      const target = action === 'AssumeRole' ? /^arn:[^:]+:iam::(\d{12}):/.exec(params.get('RoleArn') ?? '')?.[1] : caller;
      const acct = target ? world.accounts.get(target) : undefined;
      const fault = findFault(acct, undefined, action, 1);
      if (acct?.src.delayMs) await sleep(acct.src.delayMs);
      if (fault) return fail(fault.code, faultMessage(fault), faultStatus(fault));
      const result = action === 'AssumeRole' ? sts.assumeRole(world, params, caller ?? '000000000000').xml : sts.callerIdentity(world, accessKeyId);
      return send(res, 200, stsResponse(action, requestId, result));
    }

    const account = caller ? world.accounts.get(caller) : undefined;
    if (!account) return fail('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
    if (account.src.disabledRegions?.includes(region) && !account.regions.has(region)) {
      return fail('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
    }
    const handler = Object.hasOwn(EC2_ACTIONS, action) ? EC2_ACTIONS[action] : undefined;
    if (!handler) return fail('InvalidAction', `The action ${action} is not valid for this web service.`, 400);
    const regionState = account.regions.get(region);
    const base = { action, params, account, regionName: region, region: regionState };
    const cursor = cursorOf(base);
    const delay = Math.max(regionState?.src.delayMs ?? 0, account.src.delayMs ?? 0);
    if (delay > 0) await sleep(delay);
    const fault = findFault(account, regionState, action, cursor.page);
    if (fault) return fail(fault.code, faultMessage(fault), faultStatus(fault));
    const unsupported = filters(params).find((f) => world.quirks.unsupportedFilters?.includes(f.name));
    if (unsupported) return fail('InternalError', 'An internal error has occurred', 500);
    const answer = renderWithEmptyFields(world.quirks.emptyFields ?? false, () => handler({ ...base, pageSize, quirks: world.quirks }, cursor));
    return send(res, 200, ec2Response(action, requestId, answer));
  } catch (e) {
    if (e instanceof QueryError) return fail(e.code, e.message, e.status);
    throw e;
  }
}
