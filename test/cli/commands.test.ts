import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.ts';
import { runCli } from '../helpers/cli.ts';
import { redisUrl } from '../helpers/redis.ts';
import { origins, startHarness, TOKEN, ZONE, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const env = { CLOUDFLARE_API_TOKEN: TOKEN };

describe('the command line', () => {
  it('documents every command in --help', async () => {
    const names = buildProgram().commands.map((c) => c.name());
    expect(names).toEqual(['run', 'sync', 'plan', 'resync', 'status', 'approve', 'apply', 'plans', 'history', 'recover', 'state', 'validate', 'demo', 'emulate']);
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const n of names) expect(top.stdout).toContain(n);
    for (const n of ['run', 'sync', 'status', 'recover', 'state export', 'state import', 'emulate cloudflare', 'emulate aws', 'emulate gcp', 'emulate azure', 'emulate oci']) {
      const r = await runCli([...n.split(' '), '--help']);
      expect(r.code, n).toBe(0);
      expect(r.stdout, n).toMatch(/Usage: origin-region-sync/);
    }
  }, 120_000);

  it('a malformed configuration exits 2 and names the key', async () => {
    h = await startHarness({ workers: false });
    const bad = join(h.dir, 'bad.yaml');
    await writeFile(bad, `cloudflare: { token: x }\nzones: [{ id: ${ZONE}, policy: mirror, maxMappings: 9000 }]\nconnectors: [{ name: inv, type: file, path: ./x.yaml, extra: 1 }]\n`);
    for (const cmd of [['run'], ['sync', '--once'], ['status'], ['validate']]) {
      const r = await runCli([...cmd, '--config', bad]);
      expect(r.code, cmd.join(' ')).toBe(2);
      expect(r.stderr).toContain('zones[0].policy: "mirror" is not one of sync, upsert-only, create-only');
      expect(r.stderr).toContain('zones[0].maxMappings');
      expect(r.stderr).toContain('connectors[0]: unknown key "extra"');
    }
    const usage = await runCli(['sync', '--config', bad]);
    expect(usage.code).toBe(2);
  }, 120_000);

  it('status shows the zone after a sync; resync --wait asks the running daemon and prints the result', async () => {
    h = await startHarness({ inventory: origins(12) }); // its runtime is the running daemon
    const sync = await runCli(['sync', '--once', '--config', h.configFile], { env });
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/changes: create 12/);

    const status = await runCli(['status', '--json', '--config', h.configFile], { env });
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as { zones: Array<Record<string, unknown>>; queues: Record<string, unknown>; workers: Record<string, number> };
    expect(report.zones[0]).toMatchObject({ id: ZONE, managed: 12, unmanaged: 0, cap: 3500, budgetLeft: 3488, lastStatus: 'applied', ready: true });
    expect(report.workers.apply).toBeGreaterThan(0);
    const text = await runCli(['status', '--config', h.configFile], { env });
    expect(text.stdout).toMatch(/budget left/);

    await h.setInventory(origins(15));
    const resync = await runCli(['resync', '--zone', ZONE, '--wait', '--config', h.configFile], { env });
    expect(resync.code, resync.stdout + resync.stderr).toBe(0);
    expect(resync.stdout).toMatch(/changes: create 3/);
    expect(h.emu.mappings(ZONE)).toHaveLength(15);

    const unknown = await runCli(['resync', '--zone', 'nope.example', '--config', h.configFile], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no zone "nope.example"/);
  }, 180_000);

  it('npm run demo: two cycles against the simulated clouds, the second writes nothing', async () => {
    const r = await runCli(['demo'], { env: { REDIS_URL: redisUrl() }, timeoutMs: 170_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/discovered 16 scope\(s\): complete 16/);
    expect(r.stdout).toMatch(/plan \w+ \(applied\)/);
    expect(r.stdout).toMatch(/unowned\s+192\.0\.2\.34/);
    expect(r.stdout).toMatch(/Cycle 2: nothing changed[\s\S]*: noop; Cloudflare saw \d+ read request\(s\) and 0 write\(s\)/);
    expect(r.stdout).toMatch(/Converged\./);
  }, 180_000);
});
