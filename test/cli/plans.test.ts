import { afterEach, describe, expect, it } from 'vitest';
import { planSummary } from '../../src/commands/plan-summary.ts';
import { runCli } from '../helpers/cli.ts';
import { origins, startHarness, TOKEN, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const env = { CLOUDFLARE_API_TOKEN: TOKEN };

describe('plans people can review', () => {
  it('plans list and plans show read the stored plans from Redis without a daemon; every printout starts with the summary line', async () => {
    h = await startHarness({ zones: [zoneYaml({ name: 'shop.example' })], inventory: [...origins(30), { ip: '10.1.2.3', vendor: 'aws', region: 'us-east-1' }] });
    const first = await h.once();
    const applied = first.zones[0]!.plan!;
    // 5 go away, 2 move: 5 deletes (deleteAfterMissedScans 1), 2 updates, 23 unchanged.
    const next = origins(30).slice(5);
    next[1] = { ...next[1]!, region: 'eu-west-1' }; // 34.0.0.6 and 34.0.0.7: aws
    next[2] = { ...next[2]!, region: 'eu-west-1' };
    await h.setInventory(next);
    const second = await h.once({ reason: 'resync' });
    const plan = second.zones[0]!.plan!;
    expect(planSummary(plan)).toBe('0 to create, 2 to update, 5 to delete, 23 unchanged, 0 skipped, budget left 3475');
    expect(planSummary(applied)).toMatch(/^30 to create, 0 to update, 0 to delete, 0 unchanged, 1 skipped \(not-public 1\), budget left 3470$/);
    await h.rt.close();

    const list = await runCli(['plans', 'list', '--config', h.configFile, '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    const doc = JSON.parse(list.stdout) as { plans: Array<{ id: string; status: string; create: number; update: number; delete: number; unchanged: number; trigger: string }>; exitCode: number };
    expect(doc.exitCode).toBe(0);
    expect(doc.plans.map((p) => p.id)).toEqual([plan.id, applied.id]);
    expect(doc.plans[0]).toMatchObject({ status: 'applied', trigger: 'resync', create: 0, update: 2, delete: 5, unchanged: 23 });
    const onlyApplied = await runCli(['plans', 'list', '--config', h.configFile, '--status', 'held'], { env });
    expect(onlyApplied.stdout.trim()).toBe('no plans stored');
    const text = await runCli(['plans', 'list', '--config', h.configFile, '--zone', 'shop.example'], { env });
    expect(text.stdout).toContain(plan.id);
    expect(text.stdout).toContain('shop.example');

    const show = await runCli(['plans', 'show', plan.id, '--config', h.configFile], { env });
    expect(show.code).toBe(0);
    expect(show.stdout.split('\n')[1]!.trim()).toBe(planSummary(plan));

    const md = await runCli(['plans', 'show', plan.id, '--config', h.configFile, '--markdown'], { env });
    expect(md.code).toBe(0);
    expect(md.stdout).toContain(`## Plan \`${plan.id}\` for zone shop.example`);
    expect(md.stdout).toContain(`**${planSummary(plan)}**`);
    expect(md.stdout).toContain('| IP | change | from | to | scope / reason |');
    for (const d of plan.deletes) expect(md.stdout).toContain(`| \`${d.ip}\` | delete |`);
    expect(md.stdout).toContain('| aws/us-east-1 | aws/eu-west-1 |');

    const json = await runCli(['plans', 'show', applied.id, '--config', h.configFile, '--json'], { env });
    const shown = JSON.parse(json.stdout) as { plan: { id: string; upserts: unknown[]; batches: unknown[] } };
    expect(shown.plan.id).toBe(applied.id);
    expect(shown.plan.upserts).toHaveLength(30);
    expect(shown.plan.batches).toHaveLength(1);
  }, 120_000);

  it('refuses what it cannot do, with the reason and the exit code', async () => {
    h = await startHarness({ workers: false });
    const missing = await runCli(['plans', 'show', 'pnosuch', '--config', h.configFile], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no plan pnosuch');
    const status = await runCli(['plans', 'list', '--config', h.configFile, '--status', 'bogus'], { env });
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('--status');
    const both = await runCli(['plans', 'show', 'x', '--json', '--markdown', '--config', h.configFile], { env });
    expect(both.code).toBe(2);
    const sub = await runCli(['plans', 'nosuch'], { env });
    expect(sub.code).toBe(2);
  }, 120_000);
});
