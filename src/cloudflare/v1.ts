import type { Send } from './transport.ts';
import { batchShapeProblem, isRecord, supportedShapeProblem, toRawBatch, type FamilyWire } from './wire.ts';

/**
 * v1, deprecated (EOL 2026-10-01): `/zones/{zone_id}/cache/origin_cloud_regions`. Results sit in a zone
 * setting envelope `{id, editable, value, modified_on}`; request items use `ip`, response items
 * `"origin-ip"`; the list is not paginated; PATCH upserts.
 */
const BASE = '/zones/{zone_id}/cache/origin_cloud_regions';
const ROUTES = {
  collection: BASE,
  one: `${BASE}/{origin_ip}`,
  batch: `${BASE}/batch`,
  supported: `${BASE}/supported_regions`,
};
const path = (zoneId: string, tail = '') => `/zones/${zoneId}/cache/origin_cloud_regions${tail}`;

/** The setting envelope's `value`, or undefined. */
function value(result: unknown): unknown {
  return isRecord(result) ? result.value : undefined;
}

export const v1: FamilyWire = {
  family: 'v1',
  routes: ROUTES,
  ipKey: 'origin-ip',

  async list(send: Send, zoneId, signal) {
    const res = await send({
      method: 'GET',
      route: ROUTES.collection,
      path: path(zoneId),
      zoneId,
      family: 'v1',
      signal,
      // The docs show an emptied zone as `value: []`. Anything else (null included) says nothing about
      // what the zone holds, and read as empty it would let the planner forget every mapping it owns.
      expect: (r) => (!isRecord(r) ? 'not a setting object' : Array.isArray(r.value) ? null : `value is ${r.value === null ? 'null' : 'not a list'}`),
    });
    return value(res.result) as unknown[];
  },

  async upsert(send, zoneId, item, signal) {
    await send({
      method: 'PATCH',
      route: ROUTES.collection,
      path: path(zoneId),
      body: { ip: item.ip, region: item.region, vendor: item.vendor },
      zoneId,
      family: 'v1',
      signal,
    });
  },

  async upsertBatch(send, zoneId, items, signal) {
    const res = await send({
      method: 'PATCH',
      route: ROUTES.batch,
      path: path(zoneId, '/batch'),
      body: items.map((i) => ({ ip: i.ip, region: i.region, vendor: i.vendor })),
      zoneId,
      family: 'v1',
      signal,
      expect: (r) => batchShapeProblem(value(r)),
    });
    return toRawBatch(value(res.result));
  },

  async delete(send, zoneId, ip, signal) {
    await send({ method: 'DELETE', route: ROUTES.one, path: path(zoneId, `/${ip}`), zoneId, family: 'v1', signal });
  },

  async deleteBatch(send, zoneId, ips, signal) {
    const res = await send({
      method: 'DELETE',
      route: ROUTES.batch,
      path: path(zoneId, '/batch'),
      body: ips,
      zoneId,
      family: 'v1',
      signal,
      expect: (r) => batchShapeProblem(value(r)),
    });
    return toRawBatch(value(res.result));
  },

  async supportedRegions(send, zoneId, signal) {
    // Documented without the setting envelope; accepted inside one too, in case v1 wraps it like the rest.
    const unwrap = (r: unknown) => (isRecord(r) && !isRecord(r.vendors) && isRecord(r.value) ? r.value : r);
    const res = await send({
      method: 'GET',
      route: ROUTES.supported,
      path: path(zoneId, '/supported_regions'),
      zoneId,
      family: 'v1',
      signal,
      expect: (r) => supportedShapeProblem(unwrap(r)),
    });
    return unwrap(res.result) as Record<string, unknown>;
  },
};
