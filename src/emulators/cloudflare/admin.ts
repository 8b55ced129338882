import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, readBody } from '../../http/body.ts';
import { sendJson } from './envelope.ts';
import type { Knobs } from './faults.ts';
import type { StatRow } from './stats.ts';
import { isZoneId } from './validate.ts';

export const ADMIN_PREFIX = '/__emulator';

/** What the admin API drives: the emulator's own in-process API. */
export interface AdminTarget {
  reset(): void;
  seed(zoneId: string, mappings: unknown): void;
  mappings(zoneId: string): unknown[];
  stats(): StatRow[];
  clearStats(): void;
  setFaults(patch: unknown): void;
  faults(): Knobs;
}

/**
 * The emulator's own API, outside Cloudflare's (no auth, no rate limit, no latency or faults, not counted
 * in stats). Plain JSON, not the v4 envelope; errors are `{"error": "..."}` with 400/404/405.
 */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string, target: AdminTarget): Promise<void> {
  const method = req.method ?? 'GET';
  const rest = path.slice(ADMIN_PREFIX.length);
  try {
    if (rest === '/reset') {
      if (method !== 'POST') return notAllowed(res, 'POST');
      target.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (rest === '/stats') {
      if (method === 'GET') return sendJson(res, 200, { requests: target.stats() });
      if (method === 'DELETE') {
        target.clearStats();
        return sendJson(res, 200, { requests: [] });
      }
      return notAllowed(res, 'GET, DELETE');
    }
    if (rest === '/faults') {
      if (method === 'GET') return sendJson(res, 200, target.faults());
      if (method === 'PUT') {
        target.setFaults(await jsonBody(req));
        return sendJson(res, 200, target.faults());
      }
      return notAllowed(res, 'GET, PUT');
    }
    const m = /^\/zones\/([^/]+)\/mappings$/.exec(rest);
    if (m) {
      const zoneId = safeDecode(m[1] ?? '');
      if (!isZoneId(zoneId)) return sendJson(res, 400, { error: 'zone id must be 1–32 characters of [A-Za-z0-9_-]' });
      if (method === 'GET') return sendJson(res, 200, target.mappings(zoneId));
      if (method === 'PUT') {
        target.seed(zoneId, await jsonBody(req));
        return sendJson(res, 200, target.mappings(zoneId));
      }
      return notAllowed(res, 'GET, PUT');
    }
    return sendJson(res, 404, {
      error: `no admin route ${method} ${path}; see docs/cloudflare-emulator.md (reset, zones/{zone_id}/mappings, stats, faults)`,
    });
  } catch (e) {
    if (e instanceof BodyTooLarge) return sendJson(res, 413, { error: e.message }, { Connection: 'close' });
    return sendJson(res, 400, { error: (e as Error).message });
  }
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, 4 * 1024 * 1024);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error('request body is not valid JSON');
  }
}

function notAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, { error: `method not allowed (allowed: ${allow})` }, { Allow: allow });
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
