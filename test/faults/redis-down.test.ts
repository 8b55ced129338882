import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/state/private-redis.ts';
import { requestResync } from '../../src/pipeline/requests.ts';
import { runCli, startCli, until } from '../helpers/cli.ts';
import { origins, startHarness, TOKEN, ZONE, type Harness } from '../helpers/pipeline.ts';
import { restartableRedis, type RestartableRedis } from '../helpers/redis-server.ts';

/**
 * Redis goes away and comes back (issue 9, section 2), against a redis-server of each test's own that
 * it stops, pauses and starts again, with the real daemon (`run`) in a child process.
 */

let h: Harness | undefined;
let redis: RestartableRedis | undefined;
const children: Array<ReturnType<typeof startCli>> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  if (redis && !redis.running()) await redis.start(); // the harness closes its runtime through Redis
  await h?.close();
  await redis?.remove();
  h = undefined;
  redis = undefined;
});

const env = { CLOUDFLARE_API_TOKEN: TOKEN };

async function setup(over: Record<string, unknown> = {}, emulator: { latencyMs?: number } = {}): Promise<{ h: Harness; redis: RestartableRedis; http: string }> {
  redis = await restartableRedis();
  await redis.start();
  const port = await freePort();
  h = await startHarness({
    inventory: origins(20),
    workers: false,
    emulator,
    config: { redis: { url: redis.url, prefix: `down-${port}` }, server: { listen: `127.0.0.1:${port}` }, schedule: { reconcileEvery: '1m' }, worker: { lockDuration: '5s', shutdownTimeout: '10s' }, ...over },
  });
  return { h, redis, http: `http://127.0.0.1:${port}` };
}

function daemon(h: Harness) {
  const c = startCli(['run', '--config', h.configFile, '--log-level', 'info'], { env });
  children.push(c);
  return c;
}

/** GET with a hard deadline: an endpoint that hangs fails the test instead of answering late. */
async function get(url: string, withinMs = 1000): Promise<{ status: number; body: string; ms: number }> {
  const t = Date.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(withinMs) });
  return { status: res.status, body: await res.text(), ms: Date.now() - t };
}

const up = async (url: string) => (await fetch(url).then((r) => r.status, () => 0)) === 200;
const lines = (out: string) => out.split('\n').filter((l) => l.trim() !== '');
const parsed = (out: string) => lines(out).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('Redis unreachable at start', () => {
  it('run retries with backoff, one JSON line per attempt, live but not ready; starts normally once Redis is up', { timeout: 120_000 }, async () => {
    const { h, redis, http } = await setup({ schedule: { reconcileEvery: '2s' } });
    await redis.stop();
    const d = daemon(h);
    await until(() => up(`${http}/healthz`), { timeoutMs: 60_000, what: 'the HTTP server of a daemon without Redis' });
    const ready = await get(`${http}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: false, reason: expect.stringMatching(/^Redis unreachable since .*ECONNREFUSED/) });
    expect((await get(`${http}/metrics`)).body).toContain('ors_redis_up 0');
    await until(() => parsed(d.output()).filter((l) => l.attempt !== undefined).length >= 3, { timeoutMs: 30_000, what: 'three attempts' });
    expect(d.child.exitCode).toBeNull(); // today: exit 1 after the first attempt

    await redis.start();
    await until(() => d.output().includes('"origin-region-sync running"'), { timeoutMs: 60_000, what: 'the start once Redis is up' });
    await until(() => h.emu.mappings(ZONE).length === 20, { timeoutMs: 60_000, what: 'the first cycle applied' });
    await until(() => up(`${http}/readyz`), { timeoutMs: 30_000, what: 'ready' });

    const log = parsed(d.output()); // every line is JSON (JSON.parse throws otherwise)
    const attempts = log.filter((l) => l.attempt !== undefined);
    expect(attempts.map((l) => l.attempt)).toEqual(attempts.map((_, i) => i + 1));
    for (const a of attempts) expect(a).toMatchObject({ level: 40, error: expect.stringContaining('ECONNREFUSED'), retryInMs: expect.any(Number) });
    // Backoff: the delays grow (0.5 s doubling, ±20%).
    expect(Number(attempts[2]!.retryInMs)).toBeGreaterThan(Number(attempts[0]!.retryInMs));
  });

  it('other commands fail fast with one clear line on stderr, exit 1', { timeout: 120_000 }, async () => {
    const { h, redis } = await setup();
    await redis.stop();
    for (const args of [['status'], ['resync'], ['sync', '--once'], ['plan']]) {
      const r = await runCli([...args, '--config', h.configFile], { env, timeoutMs: 60_000 });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      const err = lines(r.stderr);
      expect(err, args.join(' ')).toHaveLength(1);
      expect(err[0]).toBe(`origin-region-sync: cannot reach Redis at ${redis.url}: connect ECONNREFUSED 127.0.0.1:${redis.port} (is redis-server running there? see redis.url)`);
    }
  });
});

describe('Redis lost while the daemon runs', () => {
  it('answers /readyz 503 within a second, /metrics and the dashboard without hanging, logs one JSON line per kind, and resumes when Redis returns', { timeout: 180_000 }, async () => {
    const { h, redis, http } = await setup();
    const d = daemon(h);
    await until(() => up(`${http}/readyz`), { timeoutMs: 60_000, what: 'ready' });
    expect(h.emu.mappings(ZONE)).toHaveLength(20);
    expect((await get(`${http}/metrics`, 10_000)).body).toContain(`ors_zone_mappings_managed{zone="${ZONE}"} 20`); // a scrape while Redis is up sets the zone gauges

    const before = d.output().length;
    const stoppedAt = Date.now();
    await redis.stop();
    let ready = await get(`${http}/readyz`);
    while (ready.status === 200) ready = await get(`${http}/readyz`);
    const detectMs = Date.now() - stoppedAt;
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: false, reason: expect.stringMatching(/^Redis unreachable since |did not answer/) });
    expect(detectMs).toBeLessThan(1000);
    const metrics = await get(`${http}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('ors_redis_up 0');
    expect(metrics.body).toContain(`ors_zone_mappings_managed{zone="${ZONE}"} 20`); // the last known value
    const page = await get(`${http}/`);
    expect(page.status).toBe(503);
    expect(page.body).toContain('Redis unreachable since');

    // A 10 s outage; ORS_TEST_OUTAGE_MS=30000 measures a longer one (the README's figures).
    const outageMs = Number(process.env.ORS_TEST_OUTAGE_MS ?? 10_000);
    await new Promise((r) => setTimeout(r, outageMs));
    const during = lines(d.output().slice(before));
    const log = during.map((l) => JSON.parse(l) as Record<string, unknown>); // no stack traces: every line is JSON
    // Before: ~150 lines a second (a stack trace per queue per reconnect). Now one line per distinct message per 30 s.
    expect(log.length, during.join('\n')).toBeLessThan(20 * Math.ceil(outageMs / 30_000));
    expect(log.filter((l) => l.msg === 'Redis connection lost: not ready until it is back (reconnecting)')).toHaveLength(1);

    // Redis returns: the daemon resumes on its own; a resync after that is applied.
    await h.setInventory(origins(25));
    const backAt = Date.now();
    await redis.start();
    await until(async () => (await fetch(`${http}/metrics`).then((r) => r.text())).includes('ors_redis_up 1'), { timeoutMs: 30_000, what: 'Redis seen again' });
    const r = await requestResync(h.rt, { reason: 'api' });
    expect(r.ok).toBe(true);
    await until(() => h.emu.mappings(ZONE).length === 25, { timeoutMs: 60_000, what: 'the resync after the outage applied' });
    const resumeMs = Date.now() - backAt;
    expect(parsed(d.output()).some((l) => l.msg === 'Redis connection restored' && typeof l.downForMs === 'number')).toBe(true);
    expect(d.child.exitCode).toBeNull();
    const kinds = [...new Set(log.map((l) => l.msg))].join(' | ');
    console.log(`outage detected on /readyz in ${detectMs} ms; ${log.length} log lines (all JSON) in ${outageMs / 1000} s of outage: ${kinds}; resync applied ${resumeMs} ms after Redis restarted`);
  });

  it('a Redis that stops answering (paused) gets /readyz 503 within a second too', { timeout: 120_000 }, async () => {
    const { h, redis, http } = await setup();
    const d = daemon(h);
    await until(() => up(`${http}/readyz`), { timeoutMs: 60_000, what: 'ready' });
    redis.pause();
    try {
      const ready = await get(`${http}/readyz`, 1500);
      expect(ready.status).toBe(503);
      expect(ready.ms).toBeLessThan(1000);
      expect(JSON.parse(ready.body)).toMatchObject({ ready: false, reason: expect.stringMatching(/did not answer/) });
      // The pages that read more wait longer (5 s), then answer with what they know.
      const metrics = await get(`${http}/metrics`, 7000);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('ors_redis_up 0');
      expect((await get(`${http}/`, 7000)).status).toBe(503);
    } finally {
      redis.resume();
    }
    let last = '';
    const readyAgain = async () => {
      const r = await fetch(`${http}/readyz`).then(async (res) => ({ status: res.status, body: await res.text() }), (e: Error) => ({ status: 0, body: e.message }));
      last = `${r.status} ${r.body}`;
      return r.status === 200;
    };
    await until(readyAgain, { timeoutMs: 60_000, what: 'ready again' }).catch((e: Error) => {
      throw new Error(`${e.message}; /readyz last answered ${last}; daemon output:\n${d.output().slice(-4000)}`);
    });
  });
});

describe('SIGTERM with Redis unreachable', () => {
  it('exits 0 within worker.shutdownTimeout', { timeout: 120_000 }, async () => {
    const { h, redis, http } = await setup({ worker: { lockDuration: '5s', shutdownTimeout: '3s' } });
    const d = daemon(h);
    await until(() => up(`${http}/readyz`), { timeoutMs: 60_000, what: 'ready' });
    await redis.stop();
    await until(() => d.output().includes('ECONNREFUSED'), { what: 'the daemon noticing' });
    const t = Date.now();
    d.child.kill('SIGTERM');
    const exit = await Promise.race([d.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    const ms = Date.now() - t;
    expect(exit, d.output()).toEqual({ code: 0, signal: null });
    expect(ms, d.output()).toBeLessThan(3000 + 1000); // the deadline, plus a margin for the process to end on a busy machine
    expect(parsed(d.output()).some((l) => l.msg === 'stopped')).toBe(true);
    console.log(`SIGTERM with Redis down: exited in ${ms} ms (shutdownTimeout 3 s)`);
  });

  it('with a Cloudflare write still in flight, exits 0 at the deadline', { timeout: 120_000 }, async () => {
    const { h, redis } = await setup({ worker: { lockDuration: '5s', shutdownTimeout: '3s' } }, { latencyMs: 8000 });
    const d = daemon(h);
    await until(() => d.output().includes('"plan applying"'), { timeoutMs: 60_000, what: 'an apply under way' });
    await new Promise((r) => setTimeout(r, 500)); // the batch request is sent, its answer 8 s away
    await redis.stop();
    await until(() => d.output().includes('ECONNREFUSED'), { what: 'the daemon noticing' });
    const t = Date.now();
    d.child.kill('SIGTERM');
    const exit = await Promise.race([d.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    const ms = Date.now() - t;
    expect(exit, d.output()).toEqual({ code: 0, signal: null });
    expect(ms, d.output()).toBeLessThan(3000 + 1000);
    expect(parsed(d.output()).some((l) => String(l.msg).startsWith('shutdown deadline reached with Redis unreachable'))).toBe(true);
    console.log(`SIGTERM with Redis down and a write in flight: exited in ${ms} ms (shutdownTimeout 3 s)`);
  });

  it('while still waiting for Redis at start, exits 0 at once', { timeout: 120_000 }, async () => {
    const { h, redis, http } = await setup();
    await redis.stop();
    const d = daemon(h);
    await until(() => up(`${http}/healthz`), { timeoutMs: 60_000, what: 'the HTTP server' });
    const t = Date.now();
    d.child.kill('SIGTERM');
    const exit = await Promise.race([d.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    expect(exit, d.output()).toEqual({ code: 0, signal: null });
    expect(Date.now() - t).toBeLessThan(3000);
    parsed(d.output());
  });
});
