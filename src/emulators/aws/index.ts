import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { BodyTooLarge, close, listen, readBody } from '../http.ts';
import { cursorOf, EC2_ACTIONS } from './ec2-actions.ts';
import { parseAwsInventory } from './inventory.ts';
import { filters, parseForm, QueryError } from './query.ts';
import { callerAccount, StsState } from './sts-actions.ts';
import { buildWorld, faultMessage, faultStatus, findFault, type World } from './world.ts';
import { ec2Error, ec2Response, renderWithEmptyFields, stsError, stsResponse } from './xml.ts';

export { parseAwsInventory } from './inventory.ts';

/**
 * A fake of the EC2 Query API (and the two STS calls the connector makes) on one HTTP endpoint, for the
 * unmodified @aws-sdk/client-ec2. Every client shares the endpoint; the fake tells accounts apart by the
 * access key (temporary keys it issued name their account) and regions by the SigV4 credential scope.
 * Signatures are not verified: the fake cannot know the secret of long-term keys.
 */

export interface AwsFakeOptions {
  /** The whole inventory object (with an `aws` key) or just its `aws` section. */
  inventory: unknown;
  host?: string;
  port?: number;
  /** Most items per page of paginated calls (a smaller MaxResults wins). Default 5, so paging always happens. */
  pageSize?: number;
}

export interface AwsFake {
  url: string;
  close(): Promise<void>;
  requestCount(): number;
}

const SCOPE = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

export async function startAwsFake(opts: AwsFakeOptions): Promise<AwsFake> {
  const world = buildWorld(parseAwsInventory(opts.inventory));
  const pageSize = opts.pageSize ?? 5;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new Error(`pageSize must be an integer 1..1000, got ${pageSize}`);
  const sts = new StsState();
  const sleeping = new Set<() => void>();
  const inflight = new Set<ServerResponse>();
  let count = 0;

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
    handle(world, sts, pageSize, sleep, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, ec2Error('InternalError', 'An internal error has occurred', randomUUID()));
      else res.destroy();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, host, opts.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    requestCount: () => count,
    close: async () => {
      // Requests held by a delay answer now, on connections that then close, so close() need not wait.
      for (const res of inflight) res.shouldKeepAlive = false;
      for (const wake of [...sleeping]) wake();
      await new Promise((resolve) => setImmediate(resolve));
      await close(server);
    },
  };
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
