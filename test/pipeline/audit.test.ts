import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/state/audit.ts';
import { runCli } from '../helpers/cli.ts';
import { origins, startHarness, TOKEN, ZONE, type Harness } from '../helpers/pipeline.ts';
import { redisUrl, uniquePrefix } from '../helpers/redis.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('audit trail', () => {
  it('records every item of every write with its plan, trigger and outcome; history filters by zone, IP and time', async () => {
    h = await startHarness({ inventory: origins(250) });
    const first = await h.once();
    const firstPlan = first.zones[0]!.plan!.id;
    const afterFirst = Date.now();
    await new Promise((r) => setTimeout(r, 5));

    // Ten origins go away (deleted: deleteAfterMissedScans 1 under sync), one moves region.
    const next = origins(250).slice(10);
    next[0] = { ...next[0]!, region: 'eu-west-1' };
    await h.setInventory(next);
    const second = await h.once({ reason: 'resync' });
    const secondPlan = second.zones[0]!.plan!;
    expect(secondPlan.deletes).toHaveLength(10);
    expect(secondPlan.upserts).toHaveLength(1);

    const all = await h.rt.ctx.audit.query({ zoneId: ZONE, limit: 10_000 });
    expect(all).toHaveLength(250 + 10 + 1);
    expect(all.filter((r) => r.planId === firstPlan && r.kind === 'upsert' && r.outcome === 'ok' && r.trigger === 'cli')).toHaveLength(250);
    const deletes = all.filter((r) => r.kind === 'delete');
    expect(deletes.map((r) => r.ip).sort()).toEqual(secondPlan.deletes.map((d) => d.ip).sort());
    expect(deletes.every((r) => r.planId === secondPlan.id && r.trigger === 'resync' && r.outcome === 'ok')).toBe(true);
    // Newest first.
    expect(all[0]!.planId).toBe(secondPlan.id);

    const moved = next[0]!.ip;
    const forIp = await h.rt.ctx.audit.query({ zoneId: ZONE, ip: moved, limit: 10 });
    expect(forIp.map((r) => [r.planId, r.region])).toEqual([
      [secondPlan.id, 'eu-west-1'],
      [firstPlan, 'us-east-1'],
    ]);
    const recent = await h.rt.ctx.audit.query({ zoneId: ZONE, since: afterFirst, limit: 10_000 });
    expect(recent).toHaveLength(11);

    const cli = await runCli(['history', '--config', h.configFile, '--ip', moved, '--json'], { env: { CLOUDFLARE_API_TOKEN: TOKEN } });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const doc = JSON.parse(cli.stdout) as { records: Array<{ ip: string; planId: string; outcome: string }>; exitCode: number };
    expect(doc.exitCode).toBe(0);
    expect(doc.records.map((r) => r.planId)).toEqual([secondPlan.id, firstPlan]);
    const text = await runCli(['history', '--config', h.configFile, '--since', '1h'], { env: { CLOUDFLARE_API_TOKEN: TOKEN } });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(secondPlan.id);
    expect(text.stdout).toContain('delete');
  });

  it('items Cloudflare refused are recorded as failed with its error, the others as ok', async () => {
    // The emulator's zone holds 10 while the daemon plans for 3,500: the batch crosses the cap item by item (1164).
    h = await startHarness({ inventory: origins(20), emulator: { maxMappings: 10 } });
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('partial');
    const all = await h.rt.ctx.audit.query({ zoneId: ZONE });
    expect(all).toHaveLength(20);
    expect(all.filter((x) => x.outcome === 'ok')).toHaveLength(10);
    const failed = all.filter((x) => x.outcome === 'failed');
    expect(failed).toHaveLength(10);
    expect(failed.every((x) => /maximum number of ip mappings/i.test(x.error ?? ''))).toBe(true);
  });

  it('a request that got a 5xx is recorded as unknown (it may have landed), never as ok', async () => {
    h = await startHarness({ inventory: origins(20), config: { worker: { applyAttempts: 1 } } });
    // Reads succeed; from the moment the plan is made, every request fails.
    h.rt.ctx.events.once('plan', () => h!.emu.setFaults({ faultRate: 1 }));
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('failed');
    const all = await h.rt.ctx.audit.query({ zoneId: ZONE });
    expect(all).toHaveLength(20);
    expect(all.every((x) => x.outcome === 'unknown' && (x.error ?? '').length > 0)).toBe(true);
  });

  it('stays bounded: by count, and by age', async () => {
    const redis = new Redis(redisUrl());
    try {
      const log = new AuditLog(redis, uniquePrefix('audit'), { retentionMs: 60_000, maxRecords: 1000 });
      const item = (i: number) => ({ zoneId: ZONE, kind: 'upsert' as const, ip: `34.0.${i >> 8}.${i & 255}`, vendor: 'aws', region: 'us-east-1', outcome: 'ok' as const, planId: 'p1', batch: 0, trigger: 'schedule' });
      for (let b = 0; b < 50; b++) await log.record(Array.from({ length: 100 }, (_, i) => item(b * 100 + i)));
      const { records } = await log.size(ZONE);
      // Trimming is approximate (whole stream nodes of 100 entries) and keeps at least the bound.
      expect(records).toBeGreaterThanOrEqual(1000);
      expect(records).toBeLessThan(1200);
      // Two minutes later, everything older than the 60 s retention goes (whole nodes only: the newest may stay).
      await log.record([item(0)], Date.now() + 120_000);
      expect((await log.size(ZONE)).records).toBeLessThanOrEqual(101);
    } finally {
      redis.disconnect();
    }
  });

  it('history refuses what it cannot read, naming the option', async () => {
    h = await startHarness({ workers: false });
    const bad = await runCli(['history', '--config', h.configFile, '--since', 'yesterday-ish'], { env: { CLOUDFLARE_API_TOKEN: TOKEN } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since');
    const ip = await runCli(['history', '--config', h.configFile, '--ip', '10.0.0.300'], { env: { CLOUDFLARE_API_TOKEN: TOKEN } });
    expect(ip.code).toBe(2);
    expect(ip.stderr).toContain('--ip');
  });
});
