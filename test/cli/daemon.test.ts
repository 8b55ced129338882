import { afterEach, describe, expect, it } from 'vitest';
import { startCli, until } from '../helpers/cli.ts';
import { origins, startHarness, TOKEN, ZONE, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
const children: Array<ReturnType<typeof startCli>> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await h?.close();
  h = undefined;
});

const env = { CLOUDFLARE_API_TOKEN: TOKEN };
const daemon = (configFile: string) => {
  const c = startCli(['run', '--config', configFile, '--log-level', 'warn'], { env });
  children.push(c);
  return c;
};
const fast = { schedule: { reconcileEvery: '1s' }, server: { listen: '127.0.0.1:0' }, worker: { lockDuration: '5s', shutdownTimeout: '10s' } };

describe('the daemon', () => {
  it('kill -9 during apply, then a restart: it converges, nothing lost, nothing extra', { timeout: 180_000 }, async () => {
    const want = origins(3000);
    h = await startHarness({ inventory: want, workers: false, emulator: { latencyMs: 60 }, config: fast });
    const first = daemon(h.configFile);
    await until(() => h!.emu.mappings(ZONE).length >= 300, { timeoutMs: 90_000, what: 'the first writes' });
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = h.emu.mappings(ZONE).length;
    expect(atKill).toBeLessThan(3000); // killed mid-apply

    const restartedAt = Date.now();
    const second = daemon(h.configFile);
    await until(
      async () => {
        const s = await h!.rt.ctx.state.zones.get(ZONE);
        return h!.emu.mappings(ZONE).length === 3000 && (s.lastCompleteAt ?? 0) > restartedAt && s.lastStatus === 'noop';
      },
      { timeoutMs: 120_000, what: 'convergence after the restart' },
    );
    const held = h.emu.mappings(ZONE).map((m) => `${m.origin_ip} ${m.vendor} ${m.region}`).sort();
    expect(held).toEqual(want.map((o) => `${o.ip} ${o.vendor} ${o.region}`).sort());
    expect(h.emu.stats().filter((s) => s.method === 'DELETE')).toEqual([]);
    const registry = await h.rt.ctx.state.registry.get(ZONE);
    expect(registry.size).toBe(3000);
    expect([...registry.values()].filter((e) => e.pending)).toEqual([]);

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('two daemons on one Redis: the same end state, no duplicate writes, one schedule', { timeout: 180_000 }, async () => {
    h = await startHarness({ inventory: origins(1000), workers: false, config: fast });
    const a = daemon(h.configFile);
    const b = daemon(h.configFile);
    await until(async () => (await h!.rt.ctx.state.zones.get(ZONE)).lastStatus === 'noop', { timeoutMs: 90_000, what: 'convergence' });
    await new Promise((r) => setTimeout(r, 3000)); // a few more cycles from both
    expect(h.emu.mappings(ZONE)).toHaveLength(1000);
    // 1,000 origins are 10 batches of 100: each change was written exactly once.
    expect(h.writes(), JSON.stringify(h.emu.stats()) + a.output() + b.output()).toBe(10);
    expect(await h.rt.ctx.queues.cycle.getJobSchedulers()).toHaveLength(1);
    expect(await h.rt.ctx.queues.apply.getWorkersCount()).toBe(2);

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect(ea.code, a.output()).toBe(0);
    expect(eb.code, b.output()).toBe(0);
  });
});
