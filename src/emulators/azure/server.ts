import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { BodyTooLarge, readBody } from '../../http/body.ts';
import { EventDeliveryError } from './events.ts';
import type { AzureInventory, InventoryFault, InventoryPublicIp } from './inventory.ts';
import { armError, codeForStatus, DEFAULT_TENANT, publicIpToWire, statusForCode, subscriptionToWire } from './wire.ts';

/**
 * Azure Resource Manager, as much of it as the connector and the SDKs use: subscriptions (list, get) and
 * Microsoft.Network/publicIPAddresses (list per subscription, per resource group, get), with ARM's paging
 * (`nextLink`, an absolute URL carrying `$skiptoken`), error shape and authentication check.
 */
export interface ArmHandlerOptions {
  /** Read at each request: the inventory changes at runtime (setInventory, the admin route, a watched file). */
  inventory: () => AzureInventory;
  pageSize: number;
  /** When set, the only bearer token accepted; otherwise any non-empty bearer token is. */
  token?: string | undefined;
  /** Base URL for nextLink (ARM's are absolute). Read at request time: the port is known only after listen. */
  baseUrl: () => string;
  /** Aborted when the server closes, so slow (delayMs) answers stop waiting. */
  closing: AbortSignal;
  onRequest: () => void;
  /** A listing of a subscription's public IP addresses started (its first page): what one discover costs. */
  onList?: (subscriptionId: string) => void;
  /** Replaces the inventory (`PUT /_admin/inventory`); resolves with the number of events it raised. */
  setInventory?: (inventory: unknown) => Promise<number>;
}

/** Outside ARM's namespace, so no SDK call can reach it by accident. */
export const ADMIN_INVENTORY_PATH = '/_admin/inventory';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

type Sub = AzureInventory['subscriptions'][string];

class ArmAnswer extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache',
    'x-ms-request-id': randomUUID(),
    'x-ms-correlation-request-id': randomUUID(),
    ...extra,
  });
  res.end(text);
}

function sendError(res: ServerResponse, e: ArmAnswer): void {
  const extra: Record<string, string> = {};
  if (e.status === 429 || e.status === 503) extra['retry-after'] = '1';
  send(res, e.status, armError(e.code, e.message), extra);
}

/** Offsets travel in `$skiptoken` as opaque base64url JSON, as ARM's tokens are opaque to clients. */
function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeSkipToken(token: string | null): number {
  if (token === null) return 0;
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (v !== null && typeof v === 'object' && 'o' in v && Number.isSafeInteger(v.o) && (v.o as number) >= 0) return v.o as number;
  } catch {
    // falls through to the 400 below
  }
  throw new ArmAnswer(400, 'InvalidSkipToken', `The $skiptoken '${token.slice(0, 64)}' is not valid.`);
}

export function createArmHandler(opts: ArmHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { pageSize } = opts;
  // ARM ids (subscription ids included) are case-insensitive. Indexed once per inventory, not per request.
  let indexed: { of: AzureInventory; subs: Map<string, { id: string; sub: Sub }> } | undefined;
  const current = () => {
    const inventory = opts.inventory();
    if (indexed?.of !== inventory) {
      const subs = new Map<string, { id: string; sub: Sub }>();
      for (const [id, sub] of Object.entries(inventory.subscriptions)) subs.set(id.toLowerCase(), { id, sub });
      indexed = { of: inventory, subs };
    }
    return { inventory, subs: indexed.subs, tenant: inventory.tenantId ?? DEFAULT_TENANT };
  };

  const applyFault = async (fault: InventoryFault | undefined, page: number): Promise<void> => {
    if (!fault || page < (fault.fromPage ?? 1)) return;
    if (fault.delayMs) await delay(fault.delayMs, undefined, { signal: opts.closing });
    if (fault.code === undefined && fault.status === undefined) return;
    const code = fault.code ?? codeForStatus(fault.status ?? 500);
    const status = fault.status ?? statusForCode(code);
    throw new ArmAnswer(status, code, fault.message ?? `Injected fault ${code} (HTTP ${status}) from the inventory.`);
  };

  const paged = <T>(items: readonly T[], path: string, query: URLSearchParams, apiVersion: string) => {
    const offset = decodeSkipToken(query.get('$skiptoken'));
    const value = items.slice(offset, offset + pageSize);
    const out: { value: T[]; nextLink?: string } = { value };
    const next = offset + pageSize;
    if (next < items.length) {
      const q = new URLSearchParams({ 'api-version': apiVersion, $skiptoken: encodeSkipToken(next) });
      out.nextLink = `${opts.baseUrl()}${path}?${q.toString()}`;
    }
    return { body: out, page: Math.floor(offset / pageSize) + 1 };
  };

  const findSub = (subs: Map<string, { id: string; sub: Sub }>, raw: string): { id: string; sub: Sub } => {
    const found = subs.get(raw.toLowerCase());
    if (!found) throw new ArmAnswer(404, 'SubscriptionNotFound', `The subscription '${raw}' could not be found.`);
    return found;
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '';
    if (!url.startsWith('/')) throw new ArmAnswer(400, 'InvalidRequestUri', 'The request URI is not valid.');
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    if (path === ADMIN_INVENTORY_PATH) return admin(req, res);
    const { inventory, subs, tenant } = current();

    // Authentication comes first, as at ARM: without a token nothing else is looked at.
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) throw new ArmAnswer(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.");
    if (opts.token !== undefined && m[1] !== opts.token) {
      throw new ArmAnswer(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    }
    if (req.method !== 'GET') throw new ArmAnswer(405, 'MethodNotAllowed', `The ${req.method ?? ''} method is not supported by this fake (read-only).`);
    const apiVersion = query.get('api-version');
    if (!apiVersion) {
      throw new ArmAnswer(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    }

    let segs: string[];
    try {
      segs = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    } catch {
      throw new ArmAnswer(400, 'InvalidRequestUri', 'The request URI has a malformed escape sequence.');
    }
    const lower = segs.map((s) => s.toLowerCase());
    const canonicalPath = '/' + segs.map((s) => encodeURIComponent(s)).join('/');

    if (lower.length === 1 && lower[0] === 'subscriptions') {
      await applyFault(inventory.subscriptionsFault, pageOf(query, pageSize));
      const all = [...subs.values()].map(({ id, sub }) => subscriptionToWire(id, sub, tenant));
      return send(res, 200, paged(all, canonicalPath, query, apiVersion).body);
    }
    if (lower[0] !== 'subscriptions' || segs[1] === undefined) throw notFound(path);
    const { id: subId, sub } = findSub(subs, segs[1]);

    if (lower.length === 2) {
      await applyFault(sub.fault, 1);
      return send(res, 200, subscriptionToWire(subId, sub, tenant));
    }

    // /providers/Microsoft.Network/publicIPAddresses, optionally under /resourceGroups/{rg}, optionally /{name}
    let rest = lower.slice(2);
    let rg: string | undefined;
    if (rest[0] === 'resourcegroups' && rest.length >= 2) {
      rg = rest[1];
      rest = rest.slice(2);
    }
    if (rest[0] !== 'providers' || rest[1] !== 'microsoft.network' || rest[2] !== 'publicipaddresses' || rest.length > 4) throw notFound(path);
    if (rest.length === 4 && rg === undefined) throw notFound(path);
    const ips: InventoryPublicIp[] = (sub.publicIPAddresses ?? []).filter((p) => rg === undefined || p.resourceGroup.toLowerCase() === rg);

    if (rest.length === 4) {
      await applyFault(sub.fault, 1);
      const name = rest[3];
      const p = ips.find((x) => x.name.toLowerCase() === name);
      if (!p) {
        throw new ArmAnswer(404, 'ResourceNotFound', `The Resource 'Microsoft.Network/publicIPAddresses/${segs.at(-1) ?? ''}' under resource group '${segs[3] ?? ''}' was not found.`);
      }
      return send(res, 200, publicIpToWire(subId, p));
    }
    const { body, page } = paged(ips, canonicalPath, query, apiVersion);
    if (page === 1) opts.onList?.(subId);
    await applyFault(sub.fault, page);
    return send(res, 200, { ...body, value: body.value.map((p) => publicIpToWire(subId, p)) });
  };

  /**
   * The fake's own control route: no bearer token (tests and the demo drive it), but only from this
   * machine, since the fake may listen on another address. Body: the inventory, whole or its azure section, as JSON.
   */
  const admin = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) throw new ArmAnswer(403, 'Forbidden', 'The admin route answers only on the loopback interface.');
    if (req.method !== 'PUT') throw new ArmAnswer(405, 'MethodNotAllowed', `Use PUT ${ADMIN_INVENTORY_PATH} with the inventory as JSON.`);
    if (!opts.setInventory) throw new ArmAnswer(404, 'NotFound', 'This fake does not take inventory changes.');
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof BodyTooLarge) throw new ArmAnswer(413, 'RequestEntityTooLarge', err.message);
      throw new ArmAnswer(400, 'InvalidRequestContent', 'The request body is not JSON.');
    }
    let events: number;
    try {
      events = await opts.setInventory(body);
    } catch (err) {
      // An event that could not be queued is the queue service's failure; anything else, a bad inventory.
      if (err instanceof EventDeliveryError) throw new ArmAnswer(502, 'EventDeliveryFailed', err.message);
      throw new ArmAnswer(400, 'InvalidInventory', (err as Error).message);
    }
    send(res, 200, { events });
  };

  return (req, res) => {
    opts.onRequest();
    // GET bodies are ignored; reading them keeps the connection reusable. The admin route reads its own.
    if (!(req.url ?? '').startsWith(ADMIN_INVENTORY_PATH)) req.resume();
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof ArmAnswer) return sendError(res, err);
      if (opts.closing.aborted) return void res.destroy();
      sendError(res, new ArmAnswer(500, 'InternalServerError', 'The fake failed to answer this request.'));
    });
  };
}

function pageOf(query: URLSearchParams, pageSize: number): number {
  return Math.floor(decodeSkipToken(query.get('$skiptoken')) / pageSize) + 1;
}

function notFound(path: string): ArmAnswer {
  return new ArmAnswer(404, 'NotFound', `No route for '${path.slice(0, 200)}' in this fake (it serves subscriptions and Microsoft.Network/publicIPAddresses).`);
}
