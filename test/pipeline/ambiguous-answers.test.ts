import { afterEach, describe, expect, it } from 'vitest';
import type { ListFault, WriteFault } from '../../src/emulators/cloudflare/index.ts';
import { collectStatus } from '../../src/server/status.ts';
import { origins, startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

// Unknown is not empty (issue 9 §3): Cloudflare answers that cannot be read never make the daemon forget
// what it owns. Real Redis, the emulator over real HTTP.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const registry = async () => h!.rt.ctx.state.registry.get(ZONE);
const tombstones = async () => h!.rt.ctx.state.tombstones.get(ZONE);
const held = () => h!.emu.mappings(ZONE).map((m) => m.origin_ip);

describe('pipeline: a list answer that is not clearly a list', () => {
  const cases: Array<['v1' | 'v2', ListFault]> = [
    ['v1', 'null-result'],
    ['v1', 'not-found'],
    ['v1', 'garbled'],
    ['v2', 'no-result'],
    ['v2', 'no-result-info'],
    ['v2', 'bad-result-info'],
  ];

  it.each(cases)('%s %s: the zone is not reconciled; registry and tombstones stay; the deletes happen once answers are good', async (api, listFault) => {
    h = await startHarness({ inventory: origins(300), zones: [zoneYaml({ deleteAfterMissedScans: 2 })], config: { cloudflare: { api } } });
    await h.once();
    expect(held()).toHaveLength(300);
    // 50 origins go away: one complete scan counted, one to go before they are deleted.
    await h.setInventory(origins(250));
    const first = await h.once();
    expect(first.zones[0]!.plan!.skipped.filter((s) => s.reason === 'tombstone-pending')).toHaveLength(50);
    expect((await registry()).size).toBe(300);
    expect((await tombstones()).size).toBe(50);

    // The list must be read for the fault to matter (the cache would answer otherwise); a read that fails
    // leaves the request for a full read standing, so the good cycle below reads in full too.
    await h.rt.ctx.state.lists.requestFull(ZONE, 'test: read the list');
    h.emu.setFaults({ listFault });
    h.emu.clearStats();
    const bad = await h.once();
    expect(bad.zones[0]!.result.status).toBe('error');
    expect(bad.zones[0]!.result.statusReason).toMatch(/zone not reconciled, nothing planned or written/);
    expect(h.writes()).toBe(0);
    expect((await registry()).size).toBe(300);
    expect([...(await registry()).values()].filter((e) => e.pending)).toEqual([]);
    const t = await tombstones();
    expect(t.size).toBe(50);
    expect([...t.values()].every((x) => x.misses === 1)).toBe(true);
    // What `status` and the dashboard show.
    const status = await collectStatus(h.config, h.rt.ctx.state, h.rt.ctx.queues);
    expect(status.errors[0]).toMatchObject({ where: `reconcile ${ZONE}`, message: expect.stringMatching(/zone not reconciled/) });
    expect(held()).toHaveLength(300);

    h.emu.setFaults({ listFault: 'off' });
    const good = await h.once();
    expect(good.zones[0]!.plan!.list?.from).toBe('cloudflare');
    expect(good.zones[0]!.result.status).toBe('applied');
    expect(good.zones[0]!.plan!.deletes).toHaveLength(50);
    expect(held().sort()).toEqual(origins(250).map((o) => o.ip).sort());
    expect((await registry()).size).toBe(250);
  });
});

describe('pipeline: a write whose answer is lost is settled from the next list read', () => {
  const cases: Array<[WriteFault, string]> = [
    ['truncated', 'a 2xx cut off mid-body'],
    ['garbled', 'a 2xx that is not JSON'],
    ['late', 'no answer before the client timeout'],
  ];

  it.each(cases)('%s (%s): ownership stays pending; what landed becomes owned, what did not is dropped', async (writeFault, _what) => {
    h = await startHarness({
      inventory: origins(120),
      emulator: { writeFault },
      config: { cloudflare: { timeout: '300ms' }, worker: { applyAttempts: 1 } },
    });
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('failed');
    // Every write landed, none was confirmed: all 120 stay ours, pending.
    expect(held()).toHaveLength(120);
    const pending = await registry();
    expect(pending.size).toBe(120);
    expect([...pending.values()].every((e) => e.pending === true)).toBe(true);
    expect(await h.rt.ctx.metrics.registry.getSingleMetricAsString('ors_write_items_total')).toMatch(/result="unknown"} 120/);

    // Before the next read, someone else sets one of them to another value: our write to it "did not land".
    const theirs = origins(120)[110]!.ip; // one the inventory drops below: it must survive that
    h.emu.seed(
      ZONE,
      h.emu.mappings(ZONE).map((m) => (m.origin_ip === theirs ? { origin_ip: theirs, vendor: 'aws', region: 'eu-west-1' } : m)),
    );
    h.emu.setFaults({ writeFault: 'off' });
    h.emu.clearStats();
    const settled = await h.once();
    expect(settled.zones[0]!.result.status).toBe('noop');
    expect(h.writes()).toBe(0); // the writes that landed are not sent again
    const owned = await registry();
    expect(owned.size).toBe(119);
    expect(owned.has(theirs)).toBe(false);
    expect([...owned.values()].some((e) => e.pending)).toBe(false);
    expect(settled.zones[0]!.plan!.skipped).toContainEqual(expect.objectContaining({ ip: theirs, reason: 'unowned' }));
    expect(h.emu.mappings(ZONE)).toContainEqual(expect.objectContaining({ origin_ip: theirs, region: 'eu-west-1' }));

    // Owned for good: removing them from the inventory deletes them.
    await h.setInventory(origins(100));
    await h.once();
    expect(held()).toHaveLength(101);
    expect(held()).toContain(theirs);
  });
});
