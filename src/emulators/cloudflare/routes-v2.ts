import { canonicalIp } from '../../model/ip.ts';
import { batchDelete, batchUpsert, readBatch } from './batch.ts';
import type { RequestContext, Route } from './context.ts';
import { errors } from './errors.ts';
import type { Mapping } from './store.ts';
import { checkMapping, isRecord, pathIp } from './validate.ts';

// v2: /zones/{zone_id}/origin/cloud_regions — flat objects keyed origin_ip, PUT upserts, a paginated list.
const BASE = '/zones/:zone_id/origin/cloud_regions';

const flat = (m: Mapping) => ({ origin_ip: m.origin_ip, region: m.region, vendor: m.vendor, modified_on: m.modified_on });

export const v2Routes: Route[] = [
  { method: 'GET', pattern: BASE, family: 'v2', handle: list },
  { method: 'GET', pattern: `${BASE}/supported_regions`, family: 'v2', handle: (ctx) => ({ result: ctx.state.catalogue }) },
  { method: 'PUT', pattern: `${BASE}/batch`, family: 'v2', handle: bulkUpdate },
  { method: 'DELETE', pattern: `${BASE}/batch`, family: 'v2', handle: bulkDelete },
  { method: 'GET', pattern: `${BASE}/:origin_ip`, family: 'v2', handle: get },
  { method: 'PUT', pattern: `${BASE}/:origin_ip`, family: 'v2', handle: put },
  { method: 'DELETE', pattern: `${BASE}/:origin_ip`, family: 'v2', handle: remove },
];

function list(ctx: RequestContext) {
  const page = intParam(ctx.query, 'page', 1);
  if (page === undefined || page < 1) throw errors.invalidPage();
  const perPage = intParam(ctx.query, 'per_page', 20);
  if (perPage === undefined || perPage < 1 || perPage > 100) throw errors.invalidPerPage();
  const all = ctx.state.store.list(zone(ctx));
  // A page past the end is an empty 200: the TS SDK's auto-pagination stops only on an empty page.
  const items = all.slice((page - 1) * perPage, page * perPage).map(flat);
  return {
    result: items,
    result_info: { count: items.length, page, per_page: perPage, total_count: all.length, total_pages: Math.ceil(all.length / perPage) },
  };
}

function get(ctx: RequestContext) {
  const m = ctx.state.store.get(zone(ctx), pathIp(ctx.params.origin_ip));
  if (!m) throw errors.notFound();
  return { result: flat(m) };
}

async function put(ctx: RequestContext) {
  const { state } = ctx;
  const ip = pathIp(ctx.params.origin_ip);
  const body = await ctx.body();
  const b = isRecord(body) ? body : {};
  const bodyIp = canonicalIp(b.origin_ip);
  if (!bodyIp.ok) throw errors.invalidIp();
  const same = state.behavior.putIpMatch === 'exact' ? b.origin_ip === ctx.params.origin_ip : bodyIp.ip === ip;
  if (!same) throw errors.ipMismatch();
  const c = checkMapping(ip, b.vendor, b.region, state.regions);
  if (!c.ok) throw c.error;
  const r = state.store.upsert(zone(ctx), c.mapping, state.timestamp());
  if (!r.ok) throw errors.cap();
  return { result: flat(r.mapping) };
}

function remove(ctx: RequestContext) {
  const old = ctx.state.store.delete(zone(ctx), pathIp(ctx.params.origin_ip), ctx.state.timestamp());
  if (!old) throw errors.notFound();
  return { result: { origin_ip: old.origin_ip } };
}

async function bulkUpdate(ctx: RequestContext) {
  const items = await readBatch(ctx, 'mappings {origin_ip, region, vendor}');
  if (items === undefined) throw errors.batchBody(ctx.state.behavior.batchErrorCode, 'mappings {origin_ip, region, vendor}', ctx.state.maxBatch);
  const { failed, succeeded } = batchUpsert(ctx.state, zone(ctx), items, 'origin_ip');
  return { result: { failed, succeeded } };
}

async function bulkDelete(ctx: RequestContext) {
  const ips = await readBatch(ctx, 'origin IP strings');
  if (ips === undefined) {
    if (ctx.state.behavior.batchDeleteWithoutBody === 'empty-result') return { result: { failed: [], succeeded: [] } };
    throw errors.batchBody(ctx.state.behavior.batchErrorCode, 'origin IP strings', ctx.state.maxBatch);
  }
  const { failed, succeeded } = batchDelete(ctx.state, zone(ctx), ips);
  return { result: { failed, succeeded } };
}

function zone(ctx: RequestContext): string {
  return ctx.params.zone_id ?? '';
}

/** An integer query parameter, its default when absent, or undefined when present but not an integer. */
function intParam(q: URLSearchParams, name: string, dflt: number): number | undefined {
  const v = q.get(name);
  if (v === null) return dflt;
  return /^\d{1,9}$/.test(v) ? Number(v) : undefined;
}
