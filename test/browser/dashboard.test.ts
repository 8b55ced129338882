import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startEvents, type Events } from '../../src/events/index.ts';
import { startAdminServer, type AdminServer } from '../../src/server/http.ts';
import { until } from '../helpers/cli.ts';
import { origins, startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

// Debian's chromium (.ci/run installs it with apt): never a downloaded browser.
const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'admin-secret-token-42';
const BROKEN = 'broken/mixed/file/*';

let h: Harness | undefined;
let srv: AdminServer | undefined;
let browser: Browser | undefined;
let ev: Events | undefined;
afterEach(async () => {
  await ev?.stop();
  ev = undefined;
  await browser?.close();
  await srv?.close();
  await h?.close();
  browser = srv = h = undefined;
});

/**
 * A daemon with real data: 100 mappings written, then half the inventory gone, so the guard holds a plan
 * deleting 50; a second connector whose file is missing leaves a failed scope (the zone is degraded).
 */
async function heldAndDegraded(): Promise<{ planId: string }> {
  h = await startHarness({
    inventory: origins(100),
    connectors: [
      { name: 'inventory', type: 'file', path: './inventory.yaml' },
      { name: 'broken', type: 'file', path: './missing.yaml' },
    ],
    zones: [zoneYaml({ select: { connectors: ['inventory', 'broken'] } })],
    config: { server: { listen: '127.0.0.1:0', token: '${ORS_ADMIN_TOKEN}' }, events: { sources: [{ name: 'hook', type: 'webhook', token: '${ORS_ADMIN_TOKEN}' }] } },
    env: { ORS_ADMIN_TOKEN: ADMIN },
  });
  expect((await h.once()).zones[0]!.result.status).toBe('applied');
  expect(h.emu.mappings(ZONE)).toHaveLength(100);
  await h.setInventory(origins(50));
  const held = (await h.once()).zones[0]!.result;
  expect(held.status).toBe('held');
  expect(h.emu.mappings(ZONE)).toHaveLength(100);
  return { planId: held.planId! };
}

describe('the dashboard in a real browser', () => {
  it('shows the zone, its budget and degraded scope, and applies a held plan approved by clicking', { timeout: 120_000 }, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const { planId } = await heldAndDegraded();
    ev = await startEvents(h!.rt.ctx, { watchFiles: false });
    srv = await startAdminServer(h!.rt, { port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(srv.url);

    const zone = page.locator(`[data-zone="${ZONE}"]`);
    await zone.waitFor();
    expect(await zone.locator('.badge').textContent()).toBe('ready');
    expect(await zone.locator('[data-budget="managed"] b').textContent()).toBe('100');
    expect(await zone.locator('[data-budget="free"] b').textContent()).toBe(String(3500 - 100));
    expect(await zone.locator('.bar .seg.managed').count()).toBe(1);
    expect(await zone.locator(`[data-degraded="${BROKEN}"]`).textContent()).toMatch(/failed: broken\/mixed\/file\/\*.*file not found/);
    expect(await zone.locator(`[data-held="${planId}"]`).textContent()).toMatch(/0 upsert\(s\), 50 delete\(s\)/);
    // (Page expressions are strings: the project's types have no DOM.) The polled API fills the plans table: the held plan with its counts, and the first one applied.
    await page.locator(`#plans tr[data-plan="${planId}"]`).waitFor();
    expect(await page.locator(`#plans tr[data-plan="${planId}"] td`).allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^held/), '50']));
    expect(await page.locator('[data-writes-total]').textContent()).toBe('100');
    await until(async () => /webhook.*up/.test((await page.locator('#events tr[data-event-source="hook"]').textContent()) ?? ''), { timeoutMs: 10_000, what: 'the event source row' });
    expect(Number(await page.locator('[data-cf-total]').textContent())).toBeGreaterThan(0);
    // The current window as BullMQ's global limiter counts it (every replica's writes): the first sync's one batch.
    expect(Number(await page.locator('[data-cf-window]').textContent())).toBeGreaterThanOrEqual(1);
    expect(await zone.locator('[data-mappings] td').allTextContents()).toEqual(['aws 67', 'us-east-1 67', 'gcp 33', 'us-central1 33']);

    // The plan's diff needs the token (it lists IPs): typed, sent once, shown, the field cleared.
    await page.fill('#token', ADMIN);
    await page.locator(`#plans tr[data-plan="${planId}"] button[data-diff]`).click();
    await page.locator('#diff tr[data-diff-delete]').first().waitFor();
    expect(await page.locator('#diff tr[data-diff-delete]').count()).toBe(50);
    expect(await page.inputValue('#token')).toBe('');

    // Without the token nothing is sent.
    await zone.locator(`button[data-approve="${planId}"]`).click();
    expect(await page.locator('#msg').textContent()).toMatch(/type the admin token first/);
    expect(h!.emu.mappings(ZONE)).toHaveLength(100);

    await page.fill('#token', ADMIN);
    await zone.locator(`button[data-approve="${planId}"]`).click();
    await page.waitForFunction("/accepted/.test(document.getElementById('msg').textContent)");
    expect(await page.inputValue('#token')).toBe(''); // the token is not kept in the page
    await until(() => h!.emu.mappings(ZONE).length === 50, { timeoutMs: 30_000, what: 'the approved plan applied' });
    // The next poll shows the zone after the writes.
    await page.waitForFunction(`document.querySelector('[data-budget="managed"] b')?.textContent === '50'`, undefined, { timeout: 15_000 });
    await page.waitForFunction(`document.querySelector('[data-writes-total]')?.textContent === '150'`, undefined, { timeout: 15_000 });
    expect(await page.locator(`[data-held]`).count()).toBe(0);

    // Everything the page loaded came from the daemon itself (no CDN), without errors or stored secrets.
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((u) => !u.startsWith(srv!.url))).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.evaluate('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie')).toBe('{}{}');
    expect(await page.content()).not.toContain(ADMIN);
  });

  it('opens Bull Board with the token typed once, through an HttpOnly SameSite=Strict cookie scoped to /queues', { timeout: 120_000 }, async () => {
    h = await startHarness({ inventory: origins(5), config: { server: { listen: '127.0.0.1:0', token: '${ORS_ADMIN_TOKEN}' } }, env: { ORS_ADMIN_TOKEN: ADMIN } });
    await h.once();
    srv = await startAdminServer(h.rt, { port: 0 });
    expect((await fetch(`${srv.url}/queues`)).status).toBe(401);
    expect((await fetch(`${srv.url}/queues`, { headers: { cookie: 'ors_queues=9999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).status).toBe(401);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const context = await browser.newContext();
    const requests: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    const page = await context.newPage();
    await page.goto(srv.url);
    await page.fill('#token', ADMIN);
    const [board] = await Promise.all([context.waitForEvent('page'), page.click('#open-queues')]);
    await board.waitForLoadState();
    expect(board.url()).toBe(`${srv.url}/queues`);
    // Bull Board lists the daemon's BullMQ queues.
    await board.getByText('reconcile', { exact: false }).first().waitFor({ timeout: 20_000 });
    const [c] = await context.cookies();
    expect(c).toMatchObject({ name: 'ors_queues', path: '/queues', httpOnly: true, sameSite: 'Strict' });
    expect(c!.value).not.toContain(ADMIN);
    expect(await page.inputValue('#token')).toBe('');
    // Bull Board's own assets are served by the daemon too (its Google Fonts link is dropped).
    expect(requests.some((u) => u.includes('/queues/static/'))).toBe(true);
    expect(requests.filter((u) => !u.startsWith(srv!.url))).toEqual([]);
  });
});
