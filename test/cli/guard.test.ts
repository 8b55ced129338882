import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { origins, startHarness, TOKEN, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const env = { CLOUDFLARE_API_TOKEN: TOKEN };

/** 100 managed mappings, then half of them vanish from the inventory: the plan deletes 50 of 100. */
async function halfGone(workers: boolean): Promise<Harness> {
  const harness = await startHarness({ inventory: origins(100), zones: [zoneYaml({ deleteAfterMissedScans: 1 })], workers });
  const sync = await runCli(['sync', '--once', '--config', harness.configFile], { env });
  expect(sync.code, sync.stderr).toBe(0);
  expect(harness.emu.mappings(ZONE)).toHaveLength(100);
  await harness.setInventory(origins(50));
  harness.emu.clearStats();
  return harness;
}

describe('the mass-change guard', () => {
  it('holds a plan deleting half of 100 mappings: sync --once exits 3 and writes nothing; --force applies it', { timeout: 180_000 }, async () => {
    h = await halfGone(false);
    const held = await runCli(['sync', '--once', '--json', '--config', h.configFile], { env });
    expect(held.code, held.stderr).toBe(3);
    const doc = JSON.parse(held.stdout) as { exitCode: number; zones: Array<{ result: { status: string }; plan: { deletes: unknown[]; guard: { held: boolean; reason: string } } }> };
    expect(doc.exitCode).toBe(3);
    expect(doc.zones[0]!.result.status).toBe('held');
    expect(doc.zones[0]!.plan.deletes).toHaveLength(50);
    expect(doc.zones[0]!.plan.guard.reason).toMatch(/delete 50 of 100/);
    expect(h.writes()).toBe(0);
    expect(h.emu.mappings(ZONE)).toHaveLength(100);

    const text = await runCli(['sync', '--once', '--config', h.configFile], { env });
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/held by the guard: nothing was written/);

    const forced = await runCli(['sync', '--once', '--force', '--config', h.configFile], { env });
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(h.emu.mappings(ZONE)).toHaveLength(50);
  });

  it('approve releases the held plan and a running daemon applies it', { timeout: 180_000 }, async () => {
    h = await halfGone(true); // the harness runtime plays the running daemon
    const held = await runCli(['sync', '--once', '--json', '--config', h.configFile], { env });
    expect(held.code).toBe(3);
    const planId = (JSON.parse(held.stdout) as { zones: Array<{ plan: { id: string } }> }).zones[0]!.plan.id;

    // The next scheduled cycle finds the same changes: the held plan keeps its id, so the approval stays valid.
    const again = await h.once();
    expect(again.zones[0]!.result).toMatchObject({ status: 'held', planId });

    const wrong = await runCli(['approve', 'pnope', '--config', h.configFile], { env });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/no plan pnope/);

    const ok = await runCli(['approve', planId, '--wait', '--config', h.configFile], { env });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/approved/);
    expect(h.emu.mappings(ZONE)).toHaveLength(50);
    // The plan applied is the very plan that was approved.
    expect(await h.rt.ctx.state.plans.get(planId)).toMatchObject({ status: 'applied', deletes: expect.any(Array) });

    const twice = await runCli(['approve', planId, '--config', h.configFile], { env });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/not held/);
  });
});
