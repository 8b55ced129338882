import { canonicalIp } from '../model/index.ts';
import { CloudflareApiError } from './errors.ts';
import type { Send } from './transport.ts';
import { batchShapeProblem, isRecord, supportedShapeProblem, toRawBatch, type FamilyWire } from './wire.ts';

/**
 * v2, current: `/zones/{zone_id}/origin/cloud_regions`. Flat objects keyed `origin_ip` in requests and
 * responses, PUT upserts, a paginated list.
 */
const BASE = '/zones/{zone_id}/origin/cloud_regions';
const ROUTES = {
  collection: BASE,
  one: `${BASE}/{origin_ip}`,
  batch: `${BASE}/batch`,
  supported: `${BASE}/supported_regions`,
};
const path = (zoneId: string, tail = '') => `/zones/${zoneId}/origin/cloud_regions${tail}`;

export const PER_PAGE = 100;
/** 100,000 mappings: far past the 3,500 cap; a server that never sends an empty page stops here. */
export const MAX_PAGES = 1000;

/**
 * `result_info` is required on list pages (OpenAPI: count, page, per_page, total_count, total_pages, all
 * integers). A page without it, or one that is not the page asked for or does not count what it holds,
 * may be a cut or rewritten answer: an empty one would end the walk and read as "no more mappings".
 */
export function pageInfoProblem(info: unknown, page: number, length: number): string | null {
  if (!isRecord(info)) return 'list page has no result_info';
  for (const k of ['count', 'page', 'per_page', 'total_count'] as const) {
    if (typeof info[k] !== 'number' || !Number.isInteger(info[k]) || info[k] < 0) return `list page result_info.${k} is not a count`;
  }
  if (info.total_pages !== undefined && !(typeof info.total_pages === 'number' && Number.isInteger(info.total_pages))) return 'list page result_info.total_pages is not a count';
  if (info.page !== page) return `list page ${page} came back as page ${String(info.page)}`;
  if (info.count !== length) return `list page holds ${length} entries but result_info.count says ${String(info.count)}`;
  return null;
}

export const v2: FamilyWire = {
  family: 'v2',
  routes: ROUTES,
  ipKey: 'origin_ip',

  /**
   * Pages until the last page the latest answer counts (`result_info.total_pages`), or an empty page when
   * a server leaves total_pages out. The count is read from every page, not the first: a mapping added
   * during the walk lengthens the list, and a later page says so. Stopping there saves the empty page the
   * SDK would read (one request per zone per cycle, 3% of a 3,500-mapping zone's reads). A non-empty page
   * that brings nothing new means the server ignores `page`; the walk fails rather than loop or return a
   * truncated list. A page that fails (a 429 at page 28) leaves the pages before it on the error, so the
   * retry reads from page 28 on: but only while the list still counts what it counted, since a list that
   * changed length may have moved entries across pages, and then the walk starts over.
   */
  async list(send: Send, zoneId, signal, from) {
    let resume = from?.family === 'v2' && from.nextPage > 1 ? from : undefined;
    let all: unknown[] = resume ? [...resume.entries] : [];
    const seen = new Set<string>();
    const keyOf = (e: unknown) => {
      const raw = isRecord(e) ? e.origin_ip : undefined;
      const c = canonicalIp(raw);
      return c.ok ? c.ip : JSON.stringify(raw);
    };
    for (const e of all) seen.add(keyOf(e));
    let totalCount = resume?.totalCount ?? 0;
    let page = resume?.nextPage ?? 1;
    for (let reads = 0; reads < MAX_PAGES; reads++, page++) {
      let res;
      try {
        res = await send({
          method: 'GET',
          route: ROUTES.collection,
          path: path(zoneId),
          query: { page: String(page), per_page: String(PER_PAGE) },
          zoneId,
          family: 'v2',
          signal,
          expect: (r, info) => (Array.isArray(r) ? pageInfoProblem(info, page, r.length) : 'list result is not an array'),
        });
      } catch (err) {
        if (err instanceof CloudflareApiError && page > 1) err.listProgress = { family: 'v2', nextPage: page, totalCount, entries: all };
        throw err;
      }
      const info = res.resultInfo as Record<string, unknown>;
      if (resume && info.total_count !== resume.totalCount) {
        // The list changed length while the walk was stopped: what was read may no longer line up with the pages.
        resume = undefined;
        all = [];
        seen.clear();
        page = 0;
        continue;
      }
      resume = undefined;
      totalCount = info.total_count as number;
      const entries = res.result as unknown[];
      if (entries.length === 0) return all;
      let fresh = 0;
      for (const e of entries) {
        const key = keyOf(e);
        if (!seen.has(key)) {
          seen.add(key);
          fresh++;
        }
      }
      if (fresh === 0) {
        throw new CloudflareApiError({
          outcome: 'unexpected',
          status: res.status,
          codes: [],
          method: 'GET',
          route: ROUTES.collection,
          family: 'v2',
          zoneId,
          detail: `page ${page} repeats only mappings already listed; the server does not page, so the list cannot be trusted`,
        });
      }
      all.push(...entries);
      const totalPages = info.total_pages;
      if (typeof totalPages === 'number' && page >= totalPages) return all;
    }
    throw new CloudflareApiError({
      outcome: 'unexpected',
      status: 200,
      codes: [],
      method: 'GET',
      route: ROUTES.collection,
      family: 'v2',
      zoneId,
      detail: `no empty page after ${MAX_PAGES} pages of ${PER_PAGE}`,
    });
  },

  async upsert(send, zoneId, item, signal) {
    await send({
      method: 'PUT',
      route: ROUTES.one,
      // Canonical IPs hold only hex digits, dots and colons: safe in a path as they are (the SDK sends
      // IPv6 colons raw too).
      path: path(zoneId, `/${item.ip}`),
      body: { origin_ip: item.ip, region: item.region, vendor: item.vendor },
      zoneId,
      family: 'v2',
      signal,
    });
  },

  async upsertBatch(send, zoneId, items, signal) {
    const res = await send({
      method: 'PUT',
      route: ROUTES.batch,
      path: path(zoneId, '/batch'),
      body: items.map((i) => ({ origin_ip: i.ip, region: i.region, vendor: i.vendor })),
      zoneId,
      family: 'v2',
      signal,
      expect: batchShapeProblem,
    });
    return toRawBatch(res.result);
  },

  async delete(send, zoneId, ip, signal) {
    await send({ method: 'DELETE', route: ROUTES.one, path: path(zoneId, `/${ip}`), zoneId, family: 'v2', signal });
  },

  async deleteBatch(send, zoneId, ips, signal) {
    // The OpenAPI requires this body (the SDKs omit it): a JSON array of IP strings.
    const res = await send({
      method: 'DELETE',
      route: ROUTES.batch,
      path: path(zoneId, '/batch'),
      body: ips,
      zoneId,
      family: 'v2',
      signal,
      expect: batchShapeProblem,
    });
    return toRawBatch(res.result);
  },

  async supportedRegions(send, zoneId, signal) {
    const res = await send({
      method: 'GET',
      route: ROUTES.supported,
      path: path(zoneId, '/supported_regions'),
      zoneId,
      family: 'v2',
      signal,
      expect: supportedShapeProblem,
    });
    return res.result as Record<string, unknown>;
  },
};
