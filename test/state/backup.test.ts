import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { dump as stringify, load as parseYaml } from 'js-yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exportState, importState, parseStateDocument, BackupError, type StateDocument } from '../../src/state/backup.ts';
import { startPrivateRedis, type PrivateRedis } from '../../src/state/private-redis.ts';
import { runCli } from '../helpers/cli.ts';
import { origins, startHarness, TOKEN, ZONE, type Harness } from '../helpers/pipeline.ts';
import { uniquePrefix } from '../helpers/redis.ts';

// A second instance: the round trip goes from one Redis to another, as a migration does.
let other: PrivateRedis;
let target: Redis;
beforeAll(async () => {
  other = await startPrivateRedis();
  target = new Redis(other.url);
});
afterAll(async () => {
  target.disconnect();
  await other.stop();
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const env = { CLOUDFLARE_API_TOKEN: TOKEN };

/** The same keys and values; TTLs may only have run down. */
function expectSameState(a: StateDocument, b: StateDocument): void {
  expect(Object.keys(b.keys).sort()).toEqual(Object.keys(a.keys).sort());
  for (const [k, e] of Object.entries(a.keys)) {
    expect(b.keys[k]!.value, k).toEqual(e.value);
    if (e.ttlMs) expect(b.keys[k]!.ttlMs, k).toBeLessThanOrEqual(e.ttlMs);
  }
}

async function populated(): Promise<Harness> {
  const harness = await startHarness({ inventory: origins(300) });
  await harness.once();
  await harness.setInventory(origins(250));
  await harness.once(); // tombstones for the 50 gone (deleteAfterMissedScans 1: deleted) and a second plan
  await harness.rt.ctx.state.guard.approve(ZONE, 'digest-to-approve', 3600);
  await harness.rt.ctx.state.caches.setFamily(ZONE, 'v2'); // what a zone moved off the retired v1 API remembers
  await harness.rt.ctx.state.tombstones.replace(ZONE, { '34.0.9.9': { misses: 1, lastScanAt: 1, firstMissedAt: 1 } });
  return harness;
}

describe('state export / import', () => {
  it('round trip between two Redis instances: registry, tombstones, plans, zone status, approvals and family memory', async () => {
    h = await populated();
    const doc = await exportState(h.rt.redis, h.config.redis.prefix);
    const names = Object.keys(doc.keys);
    for (const k of ['epoch', `registry:${ZONE}`, `tombstones:${ZONE}`, `zone:${ZONE}:status`, `zone:${ZONE}:plans`, `zone:${ZONE}:current`, `zone:${ZONE}:approved`, 'cf:family']) expect(names).toContain(k);
    expect(names.filter((k) => /^plan:[^:]+$/.test(k)).length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(doc.keys[`registry:${ZONE}`]!.value)).toHaveLength(250);
    expect(doc.keys[`zone:${ZONE}:approved`]!.ttlMs).toBeGreaterThan(3_500_000);
    // What a discovery rebuilds, and secrets, are not in it.
    expect(names.some((k) => k.startsWith('snap:') || k.startsWith('lock:') || k.startsWith('cache:'))).toBe(false);
    expect(JSON.stringify(doc)).not.toContain(TOKEN);

    const prefix = uniquePrefix('restored');
    const r = await importState(target, prefix, parseStateDocument(JSON.parse(JSON.stringify(doc))));
    expect(r.written).toBe(names.length);
    expectSameState(doc, await exportState(target, prefix));
    expect(await target.pttl(`${prefix}:state:zone:${ZONE}:approved`)).toBeGreaterThan(3_500_000);
  });

  it('refuses to overwrite a prefix holding state unless forced; forced, it replaces (no merge) and keeps the target epoch', async () => {
    h = await populated();
    const doc = await exportState(h.rt.redis, h.config.redis.prefix);
    const prefix = uniquePrefix('busy');
    await target.hset(`${prefix}:state:registry:other-zone`, '198.51.100.1', JSON.stringify({ vendor: 'aws', region: 'us-east-1', scope: 's', planId: 'p', at: 1 }));
    await target.set(`${prefix}:state:epoch`, JSON.stringify({ id: 'target-epoch', createdAt: 1 }));
    await expect(importState(target, prefix, doc)).rejects.toThrow(BackupError);
    expect(await target.exists(`${prefix}:state:registry:${ZONE}`)).toBe(0);
    const r = await importState(target, prefix, doc, { force: true });
    expect(r.kept).toEqual(['epoch']);
    expect(await target.exists(`${prefix}:state:registry:other-zone`)).toBe(0);
    expect(JSON.parse((await target.get(`${prefix}:state:epoch`))!).id).toBe('target-epoch');
    expect(await target.hlen(`${prefix}:state:registry:${ZONE}`)).toBe(250);
  });

  it('rejects malformed documents with a message naming the problem', () => {
    const ok = { format: 'origin-region-sync/state', version: 1, exportedAt: 'x', prefix: 'p', keys: {} };
    expect(() => parseStateDocument({ ...ok, version: 2 })).toThrow(/version/);
    expect(() => parseStateDocument({ ...ok, keys: { 'registry:z': { type: 'string', value: '{}' } } })).toThrow(/keys\.registry:z: must be a hash/);
    expect(() => parseStateDocument({ ...ok, keys: { 'registry:z': { type: 'hash', value: { '1.2.3.4': 'nope' } } } })).toThrow(/keys\.registry:z: a value is not JSON/);
    expect(() => parseStateDocument({ ...ok, keys: { 'bull:cycle:meta': { type: 'hash', value: {} } } })).toThrow(/not a state key/);
    expect(() => parseStateDocument([])).toThrow(BackupError);
  });

  it('restoring a backup right after a loss brings ownership back: no loss is recorded, nothing listed, nothing written', async () => {
    const own = await startPrivateRedis();
    const admin = new Redis(own.url);
    try {
      h = await startHarness({ inventory: origins(120), config: { redis: { url: own.url, prefix: uniquePrefix('restore') } } });
      await h.once();
      const backup = await exportState(h.rt.redis, h.config.redis.prefix);
      await admin.flushall();
      await importState(admin, h.config.redis.prefix, backup);
      h.emu.clearStats();
      const r = (await h.once()).zones[0]!;
      expect(r.result.status).toBe('noop');
      expect(h.writes()).toBe(0);
      expect(r.plan!.recovery).toBeUndefined();
      expect(await h.rt.ctx.epoch.loss()).toBeNull();
      expect((await h.rt.ctx.state.registry.get(ZONE)).size).toBe(120);
    } finally {
      await h?.close();
      h = undefined;
      admin.disconnect();
      await own.stop();
    }
  });
});

describe('state and recover on the command line', () => {
  it('export to a file, import into another prefix; a malformed document or a busy prefix exits 2; recover on a zone not recovering exits 2', async () => {
    h = await populated();
    const file = join(h.dir, 'state.json');
    const exported = await runCli(['state', 'export', '--config', h.configFile, '--out', file], { env });
    expect(exported.code, exported.stderr).toBe(0);
    const doc = parseStateDocument(JSON.parse(await readFile(file, 'utf8')));

    const cfg = parseYaml(await readFile(h.configFile, 'utf8')) as { redis: { url: string; prefix: string } };
    const otherConfig = join(h.dir, 'other.yaml');
    await writeFile(otherConfig, stringify({ ...cfg, redis: { url: other.url, prefix: uniquePrefix('cli') } }));
    const imported = await runCli(['state', 'import', file, '--config', otherConfig], { env });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/imported \d+ key\(s\)/);

    const again = await runCli(['state', 'import', file, '--config', otherConfig], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds state .* --force/);

    const bad = join(h.dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ ...doc, keys: { ...doc.keys, [`tombstones:${ZONE}`]: { type: 'list', value: [] } } }));
    const malformed = await runCli(['state', 'import', bad, '--config', otherConfig, '--force'], { env });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(`keys.tombstones:${ZONE}: must be a hash`);
    await writeFile(bad, '{"format": ');
    expect((await runCli(['state', 'import', bad, '--config', otherConfig], { env })).stderr).toMatch(/not JSON/);

    const recover = await runCli(['recover', '--zone', ZONE, '--config', h.configFile], { env });
    expect(recover.code).toBe(2);
    expect(recover.stderr).toContain('is not recovering from a state loss');
  }, 180_000);
});
