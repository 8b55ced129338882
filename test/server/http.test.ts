import { afterEach, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../../src/server/http.ts';
import { origins, startHarness, ZONE, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
let srv: AdminServer | undefined;
afterEach(async () => {
  await srv?.close();
  await h?.close();
  srv = undefined;
  h = undefined;
});

const ADMIN = 'admin-secret-token-42';

async function start(): Promise<{ h: Harness; srv: AdminServer }> {
  h = await startHarness({ inventory: origins(30), config: { server: { listen: '127.0.0.1:0', token: '${ORS_ADMIN_TOKEN}' } }, env: { ORS_ADMIN_TOKEN: ADMIN } });
  srv = await startAdminServer(h.rt, { port: 0 });
  return { h, srv };
}

describe('HTTP server', () => {
  it('answers liveness always and readiness only after a complete reconcile', async () => {
    const { h, srv } = await start();
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    const before = await fetch(`${srv.url}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ ready: false, notReady: [{ zone: ZONE }] });
    await h.once();
    const after = await fetch(`${srv.url}/readyz`);
    expect(after.status).toBe(200);
  });

  it('serves Prometheus metrics: domain gauges from Redis and BullMQ queue counts', async () => {
    const { h, srv } = await start();
    await h.once();
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toContain(`ors_zone_mappings_managed{zone="${ZONE}"} 30`);
    expect(text).toContain(`ors_zone_budget_left{zone="${ZONE}"} 3470`);
    expect(text).toMatch(/ors_zone_last_complete_reconcile_timestamp_seconds\{zone="[0-9a-f]+"\} \d+/);
    expect(text).toMatch(/ors_cloudflare_requests_total\{method="PATCH",family="v1",outcome="ok"\} 1/);
    expect(text).toMatch(/ors_scope_status\{connector="inventory",scope="inventory\/mixed\/file\/\*",status="complete"\} 1/);
    expect(text).toMatch(/ors_queue_jobs\{queue="apply",state="completed"\} \d+/);
    // One HELP/TYPE per metric family, even with four queues: Prometheus rejects duplicates.
    expect(text.match(/# TYPE ors_queue_jobs /g)).toHaveLength(1);
    expect(text.match(/# TYPE ors_zone_mappings_managed /g)).toHaveLength(1);
    expect(text).not.toContain(ADMIN);
  });

  it('takes a resync behind the admin token and refuses malformed requests with a 4xx', async () => {
    const { h, srv } = await start();
    const post = (body: string, token?: string) =>
      fetch(`${srv.url}/resync`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    expect((await post('{}')).status).toBe(401);
    expect((await post('{}', 'wrong')).status).toBe(401);
    expect((await post('{not json', ADMIN)).status).toBe(400);
    expect((await post('[1,2]', ADMIN)).status).toBe(400);
    expect((await post('{"zone": 5}', ADMIN)).status).toBe(400);
    expect((await post('{"zone": "nope.example"}', ADMIN)).status).toBe(404);
    expect((await fetch(`${srv.url}/resync`)).status).toBe(405);
    expect((await fetch(`${srv.url}/nope`)).status).toBe(404);
    expect((await post('x'.repeat(70_000), ADMIN)).status).toBe(413);
    const ok = await post(JSON.stringify({ zone: ZONE }), ADMIN);
    expect(ok.status).toBe(202);
    const body = (await ok.json()) as { jobId: string };
    // The harness runtime is the daemon here: the resync runs and converges the zone.
    const [c] = await h.rt.ctx.jobs.wait<{ reconciles: Array<{ jobId: string }> }>(h.rt.ctx.queues.cycle, [body.jobId]);
    expect(c!.state).toBe('completed');
    if (c!.state !== 'completed') return;
    await h.rt.ctx.jobs.wait(h.rt.ctx.queues.reconcile, [c!.result.reconciles[0]!.jobId]);
    expect(h.emu.mappings(ZONE)).toHaveLength(30);
  });

  it('takes a full resync ({"full": true}): the zone is read from Cloudflare, not from the list cache', async () => {
    const { h, srv } = await start();
    await h.once();
    h.emu.clearStats();
    const post = (body: unknown) => fetch(`${srv.url}/resync`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` } });
    expect((await post({ zone: ZONE, full: 'yes' })).status).toBe(400);
    const ok = await post({ zone: ZONE, full: true });
    expect(ok.status).toBe(202);
    const [c] = await h.rt.ctx.jobs.wait<{ reconciles: Array<{ jobId: string }> }>(h.rt.ctx.queues.cycle, [((await ok.json()) as { jobId: string }).jobId]);
    if (c!.state !== 'completed') throw new Error(`cycle ${c!.state}`);
    const [r] = await h.rt.ctx.jobs.wait<{ planId: string }>(h.rt.ctx.queues.reconcile, [c!.result.reconciles[0]!.jobId]);
    if (r!.state !== 'completed') throw new Error(`reconcile ${r!.state}`);
    expect((await h.rt.ctx.state.plans.get(r!.result.planId))!.list).toMatchObject({ from: 'cloudflare', why: 'full read asked for (POST /resync with full)' });
    expect(h.reads()).toBeGreaterThan(0);
  });

  it('shows a stored plan behind the token, and a dashboard without secrets', async () => {
    const { h, srv } = await start();
    const r = await h.once();
    const id = r.zones[0]!.result.planId!;
    expect((await fetch(`${srv.url}/plans/${id}`)).status).toBe(401);
    const plan = await fetch(`${srv.url}/plans/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(plan.status).toBe(200);
    expect(await plan.json()).toMatchObject({ id, zoneId: ZONE, status: 'applied', batches: [{ kind: 'upsert', succeeded: 30 }] });
    expect((await fetch(`${srv.url}/plans/pnope`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(404);
    const page = await fetch(`${srv.url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(ZONE);
    expect(html).not.toContain(ADMIN);
    expect(html).not.toContain('test-token');
  });

  it('serves the page its JSON API without a token, validates queries and bodies by schema, and never shows a secret', async () => {
    const { h, srv } = await start();
    const r = await h.once();
    const planId = r.zones[0]!.result.planId!;
    const get = (path: string, token?: string) => fetch(`${srv.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

    const status = await get('/api/status');
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ zones: [{ id: ZONE, managed: 30, ready: true }], cloudflareRequests: { window: { requests: 1200, perSeconds: 300 }, byOutcome: { ok: expect.any(Number) }, rateLimited: 0 } });

    const plans = await get(`/api/plans?zone=${ZONE}&limit=5`);
    expect(plans.status).toBe(200);
    expect(await plans.json()).toMatchObject({ plans: [{ id: planId, zoneId: ZONE, status: 'applied', counts: { create: 30, delete: 0, budgetLeft: 3470 } }] });
    const history = await get('/api/history?limit=3');
    expect(history.status).toBe(200);
    const writes = (await history.json()) as { records: Array<{ planId: string; outcome: string }>; perHour: Array<{ ok: number }> };
    expect(writes.records).toHaveLength(3);
    expect(writes.records[0]).toMatchObject({ planId, outcome: 'ok', kind: 'upsert', trigger: 'cli' });
    expect(writes.perHour).toHaveLength(24);
    expect(writes.perHour.at(-1)!.ok).toBe(30);

    const mappings = await get('/api/mappings');
    expect(mappings.status).toBe(200);
    const byRegion = ((await mappings.json()) as { zones: Record<string, Record<string, Record<string, number>>> }).zones[ZONE]!;
    expect(byRegion).toEqual({ aws: { 'us-east-1': 20 }, gcp: { 'us-central1': 10 } });

    // Malformed reads are a 400 naming what is wrong; an unknown zone a 404.
    const bad = await get('/api/plans?limit=abc');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: expect.stringMatching(/limit/) });
    expect((await get('/api/history?zones=x')).status).toBe(400);
    expect((await get(`/api/plans?zone=${'0'.repeat(32)}`)).status).toBe(404);
    expect((await fetch(`${srv.url}/api/status`, { method: 'POST' })).status).toBe(405);
    expect((await get('/plans/not..an..id')).status).toBe(401); // the token comes first
    expect((await get('/plans/not..an..id', ADMIN)).status).toBe(400);
    // A misspelt field must not widen a resync to every zone.
    const typo = await fetch(`${srv.url}/resync`, { method: 'POST', body: JSON.stringify({ zones: ZONE }), headers: { authorization: `Bearer ${ADMIN}` } });
    expect(typo.status).toBe(400);
    expect(await typo.json()).toMatchObject({ error: expect.stringMatching(/additional properties/) });

    // A cross-site page cannot send the token header: its CORS preflight gets no allow.
    const preflight = await fetch(`${srv.url}/plans/${planId}/approve`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull();

    // The Bull Board session: only for the token, HttpOnly, SameSite=Strict, only sent to /queues.
    expect((await fetch(`${srv.url}/api/session`, { method: 'POST' })).status).toBe(401);
    expect((await get('/queues')).status).toBe(401);
    const session = await fetch(`${srv.url}/api/session`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(session.status).toBe(200);
    const cookie = session.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^ors_queues=\d+\.[\w-]{43}; Max-Age=900; Path=\/queues; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(ADMIN);
    const board = await fetch(`${srv.url}/queues`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(board.status).toBe(200);
    expect(await board.text()).not.toMatch(/https?:\/\/(?!localhost|127\.0\.0\.1)/); // no CDN
    const forged = cookie.split(';')[0]!.replace(/^ors_queues=\d+/, 'ors_queues=9999999999999');
    expect((await fetch(`${srv.url}/queues`, { headers: { cookie: forged } })).status).toBe(401);

    for (const path of ['/api/status', '/api/plans', '/api/history', '/']) expect(await (await get(path)).text()).not.toMatch(new RegExp(`${ADMIN}|test-token`));
  });
});

