import { batchDelete, batchUpsert, readBatch, type BatchOutcome } from './batch.ts';
import type { RequestContext, Route } from './context.ts';
import { errors } from './errors.ts';
import type { Mapping } from './store.ts';
import { checkMapping, isRecord, pathIp } from './validate.ts';

// v1 (deprecated, EOL 2026-10-01): /zones/{zone_id}/cache/origin_cloud_regions — results wrapped as the
// zone setting "origin_public_cloud_region", items keyed "origin-ip", request bodies keyed "ip".
const BASE = '/zones/:zone_id/cache/origin_cloud_regions';

export const v1Routes: Route[] = [
  { method: 'GET', pattern: BASE, family: 'v1', handle: list },
  { method: 'POST', pattern: BASE, family: 'v1', handle: create },
  { method: 'PATCH', pattern: BASE, family: 'v1', handle: edit },
  { method: 'GET', pattern: `${BASE}/supported_regions`, family: 'v1', handle: (ctx) => ({ result: ctx.state.catalogue }) },
  { method: 'PATCH', pattern: `${BASE}/batch`, family: 'v1', handle: bulkEdit },
  { method: 'DELETE', pattern: `${BASE}/batch`, family: 'v1', handle: bulkDelete },
  { method: 'GET', pattern: `${BASE}/:origin_ip`, family: 'v1', handle: get },
  { method: 'DELETE', pattern: `${BASE}/:origin_ip`, family: 'v1', handle: remove },
];

const item = (m: Mapping) => ({ 'origin-ip': m.origin_ip, region: m.region, vendor: m.vendor, modified_on: m.modified_on });

// `editable` would be false for a read-only token; the emulator has no read-only tokens.
const setting = (value: unknown, modifiedOn: string | null) => ({ id: 'origin_public_cloud_region', editable: true, value, modified_on: modifiedOn });

function list(ctx: RequestContext) {
  const z = zone(ctx);
  return { result: setting(ctx.state.store.list(z).map(item), ctx.state.store.modifiedOn(z)) };
}

function get(ctx: RequestContext) {
  const z = zone(ctx);
  const m = ctx.state.store.get(z, pathIp(ctx.params.origin_ip));
  if (!m) throw errors.notFound();
  return { result: setting(item(m), ctx.state.store.modifiedOn(z)) };
}

async function create(ctx: RequestContext) {
  const { state } = ctx;
  const z = zone(ctx);
  const body = await ctx.body();
  const b = isRecord(body) ? body : {};
  const c = checkMapping(b.ip, b.vendor, b.region, state.regions);
  if (!c.ok) throw c.error;
  if (state.store.has(z, c.mapping.origin_ip)) throw errors.duplicate();
  const now = state.timestamp();
  const r = state.store.upsert(z, c.mapping, now);
  if (!r.ok) throw errors.cap();
  return { result: setting(item(r.mapping), now) };
}

async function edit(ctx: RequestContext) {
  const { state } = ctx;
  const z = zone(ctx);
  const body = await ctx.body();
  const b = isRecord(body) ? body : {};
  const c = checkMapping(b.ip, b.vendor, b.region, state.regions);
  if (!c.ok) throw c.error;
  const r = state.store.upsert(z, c.mapping, state.timestamp());
  if (!r.ok) throw errors.cap();
  return { result: setting(state.store.list(z).map(item), state.store.modifiedOn(z)) };
}

function remove(ctx: RequestContext) {
  const now = ctx.state.timestamp();
  const old = ctx.state.store.delete(zone(ctx), pathIp(ctx.params.origin_ip), now);
  if (!old) throw errors.notFoundV1Delete();
  return { result: setting(item(old), now) };
}

async function bulkEdit(ctx: RequestContext) {
  const what = 'mappings {ip, region, vendor}';
  const items = await readBatch(ctx, what);
  if (items === undefined) throw errors.batchBody(ctx.state.behavior.batchErrorCode, what, ctx.state.maxBatch);
  return batchResult(ctx, batchUpsert(ctx.state, zone(ctx), items, 'ip'));
}

async function bulkDelete(ctx: RequestContext) {
  const what = 'origin IP strings';
  const ips = await readBatch(ctx, what);
  if (ips === undefined) {
    if (ctx.state.behavior.batchDeleteWithoutBody === 'empty-result') return { result: setting({ failed: [], succeeded: [] }, null) };
    throw errors.batchBody(ctx.state.behavior.batchErrorCode, what, ctx.state.maxBatch);
  }
  return batchResult(ctx, batchDelete(ctx.state, zone(ctx), ips));
}

/** v1 batch answer: "origin-ip" keys; set-level modified_on only when something was applied. */
function batchResult(ctx: RequestContext, out: BatchOutcome) {
  const rename = <T extends { origin_ip: string }>({ origin_ip, ...rest }: T) => ({ 'origin-ip': origin_ip, ...rest });
  const value = { failed: out.failed.map(rename), succeeded: out.succeeded.map(rename) };
  const modifiedOn = out.applied ? (ctx.state.store.modifiedOn(zone(ctx)) ?? ctx.state.timestamp()) : null;
  return { result: setting(value, modifiedOn) };
}

function zone(ctx: RequestContext): string {
  return ctx.params.zone_id ?? '';
}
