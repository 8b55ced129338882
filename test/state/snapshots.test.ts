import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanResult } from '../../connectors/connector.ts';
import { StateStore } from '../../src/state/store.ts';
import { redisUrl, uniquePrefix } from '../helpers/redis.ts';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(redisUrl());
});
afterAll(() => redis.disconnect());

const scope = { id: 'inv/mixed/file/*', connector: 'inv' };
const origin = (ip: string, region = 'us-east-1') => ({ ip, vendor: 'aws' as const, region, scope: scope.id, source: 'inventory.yaml', tags: {} });
const complete = (ips: string[], region?: string): ScanResult => ({ status: 'complete', origins: ips.map((ip) => origin(ip, region)), skipped: [] });

describe('scope snapshots in Redis', () => {
  it('a complete scan that found the same origins moves the time only; a different one replaces the snapshot', async () => {
    const prefix = uniquePrefix('snap');
    const state = new StateStore(redis, prefix);
    const key = `${prefix}:state:snap:${scope.id}`;
    await state.snapshots.saveScan(scope.id, complete(['192.0.2.1', '192.0.2.2']), 1_000);
    const written = await redis.hget(key, 'complete');
    expect(written).toContain('192.0.2.2');

    // Same origins, a new result object (a cloud connector builds one each scan): the snapshot is not rewritten.
    await redis.hset(key, 'complete', written!.replace('"at":1000', '"at":1'));
    await state.snapshots.saveScan(scope.id, complete(['192.0.2.1', '192.0.2.2']), 2_000);
    expect(await redis.hget(key, 'complete')).toContain('"at":1,');
    const [view] = await state.snapshots.getScopeViews([scope]);
    expect(view).toMatchObject({ status: 'complete', scannedAt: 2_000 });
    expect(view!.origins.map((o) => o.ip)).toEqual(['192.0.2.1', '192.0.2.2']);

    // A region moved: written in full.
    await state.snapshots.saveScan(scope.id, complete(['192.0.2.1', '192.0.2.2'], 'eu-west-1'), 3_000);
    const [moved] = await state.snapshots.getScopeViews([scope]);
    expect(moved!.origins.map((o) => o.region)).toEqual(['eu-west-1', 'eu-west-1']);

    // A failed scan keeps the last complete snapshot, at its own time.
    await state.snapshots.saveScan(scope.id, { status: 'failed', origins: [], skipped: [], error: 'boom' }, 4_000);
    const [failed] = await state.snapshots.getScopeViews([scope]);
    expect(failed).toMatchObject({ status: 'failed', scannedAt: 4_000, error: 'boom' });
    expect(failed!.origins.map((o) => o.region)).toEqual(['eu-west-1', 'eu-west-1']);
  });
});
