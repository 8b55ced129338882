import { afterEach, describe, expect, it } from 'vitest';
import type { Connector } from '../../connectors/connector.ts';
import { renderStatus } from '../../src/commands/render.ts';
import { renderDashboard } from '../../src/server/dashboard.ts';
import { refreshGauges } from '../../src/server/gauges.ts';
import { startAdminServer, type AdminServer } from '../../src/server/http.ts';
import { collectStatus, type StatusReport } from '../../src/server/status.ts';
import { origins, startHarness, ZONE, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
let srv: AdminServer | undefined;
afterEach(async () => {
  await srv?.close();
  await h?.close();
  srv = undefined;
  h = undefined;
});

const status = (x: Harness) => collectStatus(x.config, x.rt.ctx.state, x.rt.ctx.queues);
const SCOPE = 'inventory/mixed/file/*';
/** The status the dashboard page carries (its script renders it, then polls /api/status). */
const pageStatus = (html: string) => JSON.parse(/<script type="application\/json" id="initial">(.*?)<\/script>/s.exec(html)![1]!) as StatusReport;

describe('status tells the truth', () => {
  it('reports no pause after writes that met no 429 and no spent window', async () => {
    h = await startHarness({ inventory: origins(250) });
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('applied');
    const s = await status(h);
    // BullMQ's limiter window (300 s after the first write) is pacing, not a pause.
    expect(s.rateLimitedForMs).toBe(0);
    expect(s.cloudflarePause).toBeNull();
    expect(renderStatus(h.config, s)).not.toMatch(/paused/);
    expect(pageStatus(renderDashboard(s, h.config)).cloudflarePause).toBeNull();
  });

  it('honours a pause the Ratelimit header asks for, even when shorter than the limiter window, and shows why and until when', { timeout: 120_000 }, async () => {
    // Cloudflare allows 8 requests per 2 s; the daemon's own limiter believes 1,200 per 300 s.
    h = await startHarness({ inventory: origins(1000), emulator: { rateLimit: { requests: 8, windowSeconds: 2 } }, config: { worker: { applyConcurrency: 1 } } });
    const seen: StatusReport[] = [];
    const pending: Array<Promise<void>> = [];
    h.rt.ctx.events.on('paused', () => pending.push(status(h!).then((s) => void seen.push(s))));
    const r = await h.once();
    await Promise.all(pending);
    expect(r.zones[0]!.result.status).toBe('applied');
    expect(h.emu.mappings(ZONE)).toHaveLength(1000);
    const limited = h.emu.stats().filter((s) => s.status === 429).reduce((a, s) => a + s.count, 0);
    expect(limited, JSON.stringify(h.emu.stats())).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    const p = seen[0]!;
    expect(p.cloudflarePause).toMatchObject({ reason: expect.stringMatching(/rate-limit window is spent/) });
    expect(p.cloudflarePause!.until).toBeGreaterThan(p.at);
    expect(p.rateLimitedForMs).toBeLessThanOrEqual(2000);
    expect(renderStatus(h.config, p)).toMatch(/Cloudflare writes paused until \d{4}-\d\d-\d\dT.*window is spent/);
  });

  it('shows what the zone holds while a plan is held, and the held plan as pending with its own figures', async () => {
    h = await startHarness({ inventory: origins(20) });
    expect((await h.once()).zones[0]!.result.status).toBe('applied');
    await h.setInventory(origins(5)); // 15 of 20 deletes: the guard holds it
    const r = await h.once();
    expect(r.zones[0]!.result.status).toBe('held');
    const planId = r.zones[0]!.result.planId!;
    expect(h.emu.mappings(ZONE)).toHaveLength(20);

    const s = await status(h);
    const z = s.zones[0]!;
    expect(z).toMatchObject({ managed: 20, unmanaged: 0, budgetLeft: 3480, heldPlanId: planId });
    expect(z.pending).toMatchObject({ planId, upserts: 0, deletes: 15, managedAfter: 5, budgetLeftAfter: 3495 });
    const text = renderStatus(h.config, s);
    expect(text).toContain(`pending in ${ZONE}: plan ${planId}`);
    expect(text).toMatch(/15 delete\(s\), leaving managed 5/);
    expect(pageStatus(renderDashboard(s, h.config)).zones[0]!.pending).toMatchObject({ planId });

    await refreshGauges(h.rt);
    const metrics = await h.rt.ctx.metrics.registry.metrics();
    expect(metrics).toContain(`ors_zone_mappings_managed{zone="${ZONE}"} 20`);
    expect(metrics).toContain(`ors_zone_budget_left{zone="${ZONE}"} 3480`);

    // Approved and applied: the figures are the zone's after the plan, and nothing is pending.
    await h.rt.ctx.state.guard.approve(ZONE, (await h.rt.ctx.state.plans.get(planId))!.digest, 60);
    expect((await h.once()).zones[0]!.result.status).toBe('applied');
    const after = (await status(h)).zones[0]!;
    expect(after).toMatchObject({ managed: 5, budgetLeft: 3495, pending: null });
  });

  it('shows a zone whose selected scope fails as degraded, since its first failure, until a complete scan', async () => {
    h = await startHarness({ inventory: origins(10), config: { server: { listen: '127.0.0.1:0' } } });
    await h.once();
    expect((await status(h)).zones[0]!.degraded).toBeNull();

    await h.setInventory(null); // the file connector's scan fails
    await h.once();
    const first = (await status(h)).zones[0]!.degraded;
    expect(first).toMatchObject({ scopes: [{ scope: SCOPE, status: 'failed', error: expect.stringMatching(/file not found/) }], connectors: [] });
    await new Promise((r) => setTimeout(r, 20));
    await h.once();
    const s = await status(h);
    const again = s.zones[0]!.degraded!;
    expect(again.since).toBe(first!.since); // since the first failure, not the latest
    expect(again.scopes[0]!.since).toBe(first!.since);
    expect(h.emu.mappings(ZONE)).toHaveLength(10); // deletes frozen

    const text = renderStatus(h.config, s);
    expect(text).toMatch(/DEGRADED since/);
    expect(text).toMatch(/deletes are frozen/);
    expect(text).toContain(`failed: ${SCOPE}, since`);
    // The page renders it in the browser (test/browser/dashboard.test.ts): here, that it carries it.
    expect(pageStatus(renderDashboard(s, h.config)).zones[0]!.degraded).toMatchObject({ since: first!.since, scopes: [{ scope: SCOPE, status: 'failed' }] });

    srv = await startAdminServer(h.rt, { port: 0 });
    const ready = await fetch(`${srv.url}/readyz`);
    expect(ready.status).toBe(200); // readiness stays: the daemon works, one scope does not
    expect(await ready.json()).toMatchObject({ ready: true, degraded: [{ zone: ZONE, since: first!.since, scopes: [{ scope: SCOPE, status: 'failed' }] }] });

    await h.setInventory(origins(10));
    await h.once();
    expect((await status(h)).zones[0]!.degraded).toBeNull();
    await h.setInventory(null);
    await h.once();
    expect((await status(h)).zones[0]!.degraded!.since).toBeGreaterThan(first!.since); // a new run of failures
  });

  it('shows a zone as degraded while its connector cannot list its scopes, since the first failed listing', async () => {
    let fail = false;
    const connector: Connector = {
      name: 'inventory',
      type: 'file',
      listScopes: async () => {
        if (fail) throw new Error('AccessDenied');
        return [{ id: SCOPE, connector: 'inventory', vendor: 'mixed', account: 'file', region: '*' }];
      },
      discover: async () => ({ status: 'complete', origins: [], skipped: [] }),
    };
    h = await startHarness({ runtime: { connectors: new Map([['inventory', connector]]) } });
    await h.once();
    expect((await status(h)).zones[0]!.degraded).toBeNull();
    fail = true;
    await h.once();
    const d = (await status(h)).zones[0]!.degraded!;
    expect(d.connectors).toEqual([{ connector: 'inventory', error: expect.stringMatching(/listing scopes failed: AccessDenied/), since: d.since }]);
    await h.once();
    expect((await status(h)).zones[0]!.degraded!.since).toBe(d.since);
    fail = false;
    await h.once();
    expect((await status(h)).zones[0]!.degraded).toBeNull();
  });
});
