import { afterEach, describe, expect, it } from 'vitest';
import type { PlanSkip } from '../../src/reconcile/types.ts';
import { runCli } from '../helpers/cli.ts';
import { origins, startHarness, TOKEN, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const env = { CLOUDFLARE_API_TOKEN: TOKEN };

interface Doc {
  zones: Array<{ plan: { id: string; skipped: PlanSkip[]; overflow: Array<{ ip: string }>; totals: { skipped: number; overflow: number; skippedByReason: Record<string, number> } } }>;
}

describe('skipped and overflow lists: a sample with totals, every entry on request', () => {
  it('plan --json lists the first 100 and the totals, plan --json --all every one, and the stored plan says it is a sample', { timeout: 120_000 }, async () => {
    // 260 desired, room for 100: 160 over the budget, each one overflow and skipped.
    h = await startHarness({ inventory: origins(260), zones: [zoneYaml({ maxMappings: 100 })], workers: false });

    const sampled = await runCli(['plan', '--json', '--config', h.configFile], { env });
    expect(sampled.code, sampled.stderr).toBe(0);
    const s = (JSON.parse(sampled.stdout) as Doc).zones[0]!.plan;
    expect(s.totals).toEqual({ skipped: 160, skippedByReason: { 'over-budget': 160 }, overflow: 160 });
    expect(s.skipped).toHaveLength(100);
    expect(s.overflow).toHaveLength(100);

    const all = await runCli(['plan', '--json', '--all', '--config', h.configFile], { env });
    expect(all.code, all.stderr).toBe(0);
    const a = (JSON.parse(all.stdout) as Doc).zones[0]!.plan;
    expect(a.totals).toEqual(s.totals);
    expect(a.skipped).toHaveLength(160);
    expect(a.overflow).toHaveLength(160);
    // The sample is the head of the full list, in the same order.
    expect(a.skipped.slice(0, 100)).toEqual(s.skipped);
    expect(a.overflow.slice(0, 100)).toEqual(s.overflow);

    // What Redis keeps of the --all run is the sample too, and reading it back says so.
    const shown = await runCli(['plans', 'show', a.id, '--json', '--config', h.configFile], { env });
    expect(shown.code, shown.stderr).toBe(0);
    const stored = (JSON.parse(shown.stdout) as { plan: Doc['zones'][number]['plan'] }).plan;
    expect(stored.skipped).toEqual(s.skipped);
    expect(stored.totals).toEqual(s.totals);
    const text = await runCli(['plans', 'show', a.id, '--config', h.configFile], { env });
    expect(text.stdout).toContain('skipped: over-budget 160');
    expect(text.stdout).toContain('showing 50 of 160 (`plan --json --all` lists every one)');
    const md = await runCli(['plans', 'show', a.id, '--markdown', '--config', h.configFile], { env });
    expect(md.stdout).toContain('### Skipped (160)');
    expect(md.stdout).toContain('…showing 100 of 160 (`plan --json --all` lists every one).');
  });
});
