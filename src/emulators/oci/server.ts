import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, readBody } from '../../http/body.ts';
import type { Fault, OciWorld, Operation } from './inventory.ts';
import { ApiError, route, runOperation, type Query } from './operations.ts';
import { signatureProblem } from './signature.ts';
import type { OciStreaming } from './streaming.ts';
import { send } from './reply.ts';

const DEFAULT_CODES: Record<number, string> = {
  400: 'InvalidParameter',
  401: 'NotAuthenticated',
  404: 'NotAuthorizedOrNotFound',
  409: 'IncorrectState',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

/** What the handler serves besides the listing API: Streaming's messages API and the admin route. */
export interface HandlerExtras {
  streaming: OciStreaming;
  /** `PUT /_admin/inventory`: replaces the inventory and returns the number of events it published. */
  setInventory: (inventory: unknown) => number;
}

/**
 * The OCI API fake's request handler. URLs are `/<region>/20160918/<operation path>`: the real API tells
 * regions apart by host name (iaas.<region>.oraclecloud.com), which a server on 127.0.0.1 cannot, so the
 * region is the first path segment and a client's endpoint is `<base url>/<region>`. Streaming's messages
 * API answers at `/20180418/…` (the base URL is the stream's messages endpoint). `state.world` is read on
 * every request, so an inventory set at runtime is served from the next request on.
 */
export function createHandler(state: { world: OciWorld }, pageSize: number, extras?: HandlerExtras) {
  let count = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const operations = new Map<string, number>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    count++;
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      const url = parseUrl(req.url);
      if (extras && url.pathname.startsWith('/20180418/')) return await extras.streaming.handle(req, res, url, state.world);
      if (extras && url.pathname === '/_admin/inventory') return await admin(req, res, extras);
      req.resume();
      const world = state.world;
      if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', `${req.method ?? ''} is not supported by this fake: it only lists`);
      const problem = signatureProblem(req, world.tenancy, world.apiKeys);
      if (problem) throw new ApiError(401, 'NotAuthenticated', `The required information to complete authentication was not provided or was incorrect: ${problem}`);
      const [region, version, ...rest] = url.pathname.split('/').slice(1).map(decode);
      if (!region || version !== '20160918') throw new ApiError(404, 'NotAuthorizedOrNotFound', `No such path ${url.pathname}: the fake serves /<region>/20160918/…`);
      const r = route(rest);
      if (!r) throw new ApiError(404, 'NotAuthorizedOrNotFound', `No such operation: ${url.pathname}`);
      operations.set(r.op, (operations.get(r.op) ?? 0) + 1);
      const q = query(url.searchParams);
      const unsupported = world.unsupportedParams.find((p) => url.searchParams.has(p));
      if (unsupported) throw new ApiError(500, 'InternalServerError', 'Internal error');
      await applyFault(world.fault, r.op, region);
      await applyFault(world.regions.get(region)?.fault, r.op, region);
      const result = runOperation(world, r.op, region, q, r.tenancyId);
      if (result.compartmentId !== undefined) await applyFault(world.compartmentFaults.get(result.compartmentId), r.op, region);
      let items = result.items;
      let next: string | undefined;
      if (result.paged) ({ items, next } = page(items, url.searchParams, r.op, region, pageSize));
      send(res, 200, items, next !== undefined ? { 'opc-next-page': next } : {});
    } catch (e) {
      if (e instanceof ApiError) send(res, e.status, { code: e.code, message: e.message });
      else send(res, 500, { code: 'InternalServerError', message: `the fake failed: ${e instanceof Error ? e.message : String(e)}` });
    } finally {
      inFlight--;
    }
  };
  return { handle, requestCount: () => count, maxInFlight: () => maxInFlight, operationCount: (op: string) => operations.get(op) ?? 0 };
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * Unsigned, so it only answers a client on this machine: a fake bound to 0.0.0.0 for a container must not
 * let the network rewrite what it serves.
 */
async function admin(req: IncomingMessage, res: ServerResponse, extras: HandlerExtras): Promise<void> {
  if (!LOOPBACK.test(req.socket.remoteAddress ?? '')) throw new ApiError(403, 'NotAllowed', 'The admin route only answers local clients');
  if (req.method !== 'PUT') throw new ApiError(405, 'MethodNotAllowed', 'PUT the inventory (JSON) to /_admin/inventory');
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req, 10 * 1024 * 1024));
  } catch (e) {
    throw new ApiError(400, 'InvalidParameter', e instanceof BodyTooLarge ? 'The inventory is larger than 10 MiB' : 'The body is not valid JSON');
  }
  try {
    send(res, 200, { events: extras.setInventory(body) });
  } catch (e) {
    throw new ApiError(400, 'InvalidParameter', e instanceof Error ? e.message : String(e));
  }
}

function parseUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://fake.invalid');
  } catch {
    throw new ApiError(400, 'InvalidParameter', 'The request URL cannot be parsed');
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, 'InvalidParameter', 'The request path is not valid percent-encoding');
  }
}

function query(params: URLSearchParams): Query {
  for (const name of new Set(params.keys())) {
    if (params.getAll(name).length > 1) throw new ApiError(400, 'InvalidParameter', `Parameter ${name} is given more than once`);
  }
  return { get: (name) => params.get(name) ?? undefined };
}

const faultHits = new WeakMap<Fault, number>();

async function applyFault(f: Fault | undefined, op: Operation, region: string): Promise<void> {
  if (!f) return;
  if (f.operations && !f.operations.includes(op)) return;
  if (f.regions && !f.regions.includes(region)) return;
  const hits = faultHits.get(f) ?? 0;
  if (f.times !== undefined && hits >= f.times) return;
  faultHits.set(f, hits + 1);
  if (f.delayMs) await new Promise((resolve) => setTimeout(resolve, f.delayMs).unref());
  if (f.status !== undefined) {
    const code = f.code ?? DEFAULT_CODES[f.status] ?? (f.status >= 500 ? 'InternalServerError' : 'InvalidParameter');
    throw new ApiError(f.status, code, f.message ?? `Injected fault (${code}) for ${op} in ${region}`);
  }
}

/** Page tokens carry the offset and a digest of the filters, so a token is only good for its own listing. */
function page(items: Array<Record<string, unknown>>, params: URLSearchParams, op: Operation, region: string, pageSize: number) {
  const filters = [...params].filter(([k]) => k !== 'page' && k !== 'limit').sort(([a], [b]) => a.localeCompare(b));
  const digest = createHash('sha256').update(JSON.stringify([op, region, filters])).digest('base64url').slice(0, 16);
  const rawLimit = params.get('limit');
  let size = pageSize;
  if (rawLimit !== null) {
    const limit = /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(limit >= 1 && limit <= 1000)) throw new ApiError(400, 'InvalidParameter', 'limit must be an integer from 1 to 1000');
    size = Math.min(limit, pageSize);
  }
  let offset = 0;
  const token = params.get('page');
  if (token !== null) {
    const m = /^([0-9]+)\.([A-Za-z0-9_-]{16})$/.exec(token);
    if (!m || m[2] !== digest || Number(m[1]) > items.length) throw new ApiError(400, 'InvalidParameter', 'Invalid page token for this listing');
    offset = Number(m[1]);
  }
  const end = offset + size;
  return { items: items.slice(offset, end), next: end < items.length ? `${end}.${digest}` : undefined };
}

