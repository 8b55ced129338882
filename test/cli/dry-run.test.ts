import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { origins, startHarness, TOKEN, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';
import { dumpPrefix, settle } from '../helpers/redis-dump.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const env = { CLOUDFLARE_API_TOKEN: TOKEN };

interface PlanDoc {
  exitCode: number;
  zones: Array<{ result: { status: string; planId: string }; plan: { id: string; status: string; deletes: unknown[]; digest: string; guard: { held: boolean } } }>;
}

describe('plan and sync --once --dry-run, with work waiting for a daemon that is not running', () => {
  it('run none of it: no write reaches Cloudflare, the zone and every key in Redis stay as they were', { timeout: 180_000 }, async () => {
    // The harness runtime has no workers: it is not a daemon, only a window on Redis for the test.
    h = await startHarness({ inventory: origins(100), zones: [zoneYaml({ deleteAfterMissedScans: 1 })], workers: false });
    const seed = await runCli(['sync', '--once', '--config', h.configFile], { env });
    expect(seed.code, seed.stderr).toBe(0);
    await h.setInventory(origins(50));
    const held = await runCli(['sync', '--once', '--json', '--config', h.configFile], { env });
    expect(held.code, held.stderr).toBe(3);
    const heldPlan = (JSON.parse(held.stdout) as PlanDoc).zones[0]!.plan;

    // Real work for a daemon: an approved plan (50 deletes) and a resync, both waiting in the queues.
    const approve = await runCli(['approve', heldPlan.id, '--config', h.configFile], { env });
    expect(approve.code, approve.stderr).toBe(0);
    const resync = await runCli(['resync', '--zone', ZONE, '--config', h.configFile], { env });
    expect(resync.code, resync.stderr).toBe(0);
    const waiting = async () => ({ cycle: await h!.rt.ctx.queues.cycle.getWaitingCount(), reconcile: await h!.rt.ctx.queues.reconcile.getWaitingCount() });
    expect(await waiting()).toEqual({ cycle: 1, reconcile: 1 });
    h.emu.clearStats();
    await settle(h.rt.redis, h.prefix);
    const before = await dumpPrefix(h.rt.redis, h.prefix);

    for (const args of [['plan', '--json'], ['sync', '--once', '--dry-run', '--json'], ['plan']]) {
      const r = await runCli([...args, '--config', h.configFile], { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(h.writes(), args.join(' ')).toBe(0);
      expect(h.emu.mappings(ZONE)).toHaveLength(100);
      if (args.includes('--json')) {
        const doc = JSON.parse(r.stdout) as PlanDoc;
        expect(doc.exitCode).toBe(0);
        expect(doc.zones[0]!.result.status).toBe('dry-run');
        // It shows what the approved plan will do when a daemon runs it.
        expect(doc.zones[0]!.plan).toMatchObject({ status: 'dry-run', digest: heldPlan.digest, guard: { held: true } });
        expect(doc.zones[0]!.plan.deletes).toHaveLength(50);
      } else {
        expect(r.stdout).toMatch(/dry-run/);
      }
    }

    // Redis holds exactly what it held, plus the three dry-run plans under their own keys and the pointer to
    // the zone's newest one (which only `recover` reads).
    const after = await dumpPrefix(h.rt.redis, h.prefix);
    // The dry runs' reads spend the one Cloudflare budget like any other request: the limiter counts them.
    const limiter = `${h.prefix}:apply:limiter`;
    expect(Number(after[limiter] ?? 0) - Number(before[limiter] ?? 0)).toBe(h.reads());
    delete after[limiter];
    delete before[limiter];
    const added = Object.keys(after).filter((k) => !(k in before));
    expect(added).toHaveLength(4);
    const pointer = `${h.prefix}:state:zone:${ZONE}:dry-run`;
    expect(added).toContain(pointer);
    delete after[pointer];
    for (const k of added.filter((x) => x !== pointer)) {
      expect(k).toMatch(new RegExp(`^${h.prefix}:state:plan:p`));
      expect(JSON.parse(after[k] as string)).toMatchObject({ status: 'dry-run' });
      delete after[k];
    }
    expect(after).toEqual(before);
    expect(await waiting()).toEqual({ cycle: 1, reconcile: 1 });
  });
});
