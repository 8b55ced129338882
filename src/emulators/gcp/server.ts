import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, readBody } from '../../http/body.ts';
import { aggregatedPage, decodeToken } from './aggregated.ts';
import type { GcpInventory, ListKind } from './inventory.ts';
import { serveProject, type ServedProject } from './resources.ts';

const LISTS: readonly ListKind[] = ['addresses', 'instances', 'forwardingRules'];
const MAX_RESULTS = 500;

// errors[].reason for each status, as the compute API words them.
const REASONS: Record<number, string> = {
  400: 'invalid',
  401: 'required',
  403: 'forbidden',
  404: 'notFound',
  405: 'httpMethodNotAllowed',
  409: 'conflict',
  429: 'rateLimitExceeded',
  500: 'backendError',
  502: 'backendError',
  503: 'backendError',
  504: 'backendError',
};

interface Project {
  served: ServedProject;
  faults: GcpInventory['projects'][string]['faults'];
}

/** The fake's own routes (/_admin/…): inventory changes and raw publishes. Answers status and JSON body. */
export type AdminHandler = (method: string, path: string, body: string) => Promise<{ status: number; body: unknown }>;

export interface FakeState {
  projects: Map<string, Project>;
  pageSize: number;
  requests: number;
  /** Aggregated-list requests by list, whatever their answer: what a burst of events costs in discovers. */
  listRequests: Record<ListKind, number>;
  /** Aborted on close, so that slow (delayed) answers stop waiting. */
  closing: AbortSignal;
  admin?: AdminHandler;
}

export function serveInventory(inv: GcpInventory): Map<string, Project> {
  const projects = new Map<string, Project>();
  for (const [id, p] of Object.entries(inv.projects)) projects.set(id, { served: serveProject(id, p), faults: p.faults });
  return projects;
}

export function buildState(inv: GcpInventory, pageSize: number, closing: AbortSignal): FakeState {
  return { projects: serveInventory(inv), pageSize, requests: 0, listRequests: { addresses: 0, instances: 0, forwardingRules: 0 }, closing };
}

// An inventory in a PUT can be large; compute requests carry no body worth more than this.
const ADMIN_BODY_LIMIT = 10 * 1024 * 1024;

class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, message: string, reason?: string) {
    super(message);
    this.status = status;
    this.reason = reason ?? REASONS[status] ?? (status >= 500 ? 'backendError' : 'invalid');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The compute API's error body: `{"error":{"code","message","errors":[{"message","domain","reason"}]}}`. */
function sendError(res: ServerResponse, e: ApiError): void {
  send(res, e.status, { error: { code: e.status, message: e.message, errors: [{ message: e.message, domain: 'global', reason: e.reason }] } });
}

/** Never throws: anything unexpected is a 500 in the API's error shape, so the fake cannot crash on input. */
export async function handle(state: FakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  state.requests++;
  try {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path.startsWith('/_admin/')) {
      const body = await readBody(req, ADMIN_BODY_LIMIT);
      if (!state.admin) throw new ApiError(404, `The requested URL ${path} was not found on this server.`);
      const answer = await state.admin(req.method ?? 'GET', path, body);
      send(res, answer.status, answer.body);
      return;
    }
    // A GET carries no body, but whatever is sent must be read (bounded) before answering.
    await readBody(req, 64 * 1024);
    await route(state, req, res);
  } catch (e) {
    if (e instanceof ApiError) sendError(res, e);
    else if (e instanceof BodyTooLarge) sendError(res, new ApiError(413, 'Request body too large.', 'badRequest'));
    else sendError(res, new ApiError(500, 'Internal error in the GCP fake.', 'backendError'));
  }
}

async function route(state: FakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '', 'http://fake.invalid');
  } catch {
    throw new ApiError(400, 'Malformed request URL.', 'badRequest');
  }
  const m = /^\/compute\/v1\/projects\/([^/]+)\/aggregated\/([^/]+)$/.exec(url.pathname);
  if (!m) throw new ApiError(404, `The requested URL ${url.pathname} was not found on this server (this fake serves /compute/v1/projects/{project}/aggregated/{addresses,instances,forwardingRules}).`);
  let projectId: string;
  try {
    projectId = decodeURIComponent(m[1] as string);
  } catch {
    throw new ApiError(400, 'Malformed project id in the request path.', 'badRequest');
  }
  const list = m[2] as ListKind;
  if (!LISTS.includes(list)) throw new ApiError(404, `The requested URL ${url.pathname} was not found on this server.`);
  if (req.method !== 'GET') throw new ApiError(405, `Method ${req.method} is not allowed on ${url.pathname}.`);
  state.listRequests[list]++;

  const maxResults = parseMaxResults(url.searchParams.get('maxResults'));
  for (const unsupported of ['filter', 'orderBy']) {
    // Answering as if the parameter were not there would hand back a wrong result that looks right.
    if (url.searchParams.get(unsupported)) throw new ApiError(400, `Invalid value for field '${unsupported}': this fake does not implement ${unsupported}.`);
  }

  const project = state.projects.get(projectId);
  if (!project) throw new ApiError(404, `The resource 'projects/${projectId}' was not found`);

  const token = url.searchParams.get('pageToken');
  const cursor = token ? decodeToken(token, projectId, list) : { project: projectId, list, offset: 0, page: 0 };
  if (!cursor) throw new ApiError(400, `Invalid value for field 'pageToken': '${token!.slice(0, 100)}'. Invalid page token.`);

  const faults = project.faults;
  if (faults?.delayMs) await sleep(faults.delayMs, state.closing, req);
  if (state.closing.aborted) {
    res.destroy(); // closing: drop the connection rather than keep close() waiting on it
    return;
  }
  if (res.destroyed) return;
  const err = faults?.error;
  if (err && (!err.lists || err.lists.includes(list)) && cursor.page >= (err.afterPages ?? 0)) {
    throw new ApiError(err.status, err.message ?? defaultMessage(err.status, projectId, list), err.reason);
  }

  const size = Math.min(maxResults ?? MAX_RESULTS, state.pageSize);
  send(res, 200, aggregatedPage(project.served, cursor, size));
}

function parseMaxResults(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > MAX_RESULTS) {
    throw new ApiError(400, `Invalid value for field 'maxResults': '${raw.slice(0, 40)}'. Must be an integer between 0 and ${MAX_RESULTS}.`);
  }
  return n === 0 ? undefined : n; // 0 means the default, as in the API
}

function defaultMessage(status: number, project: string, list: ListKind): string {
  if (status === 403) return `Required 'compute.${list}.list' permission for 'projects/${project}'`;
  if (status === 404) return `The resource 'projects/${project}' was not found`;
  if (status === 429) return `Quota exceeded for quota metric 'Read requests' of service 'compute.googleapis.com' for consumer 'project_number:${project}'.`;
  if (status >= 500) return 'Internal error. Please try again or contact Google Support.';
  return `Request failed with status ${status}.`;
}

/** Waits, unless the fake closes or the client goes away first. */
function sleep(ms: number, closing: AbortSignal, req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      closing.removeEventListener('abort', done);
      req.socket.off('close', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    closing.addEventListener('abort', done, { once: true });
    req.socket.once('close', done);
  });
}
