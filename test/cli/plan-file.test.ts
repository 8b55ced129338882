import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { origins, startHarness, TOKEN, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const env = { CLOUDFLARE_API_TOKEN: TOKEN };
const zoneIps = () => h!.emu.mappings(ZONE).map((m) => `${m.origin_ip} ${m.vendor}/${m.region}`).sort();

/** A zone of 30 converged mappings; then 20 go away (a plan the guard holds) and 2 move region. No daemon afterwards. */
async function converged(): Promise<string> {
  h = await startHarness({ zones: [zoneYaml({ guard: { maxChangeFraction: 0.3, minEntries: 10 } })], inventory: origins(30) });
  await h.once();
  await h.rt.close();
  const next = origins(30).slice(20);
  next[1] = { ...next[1]!, region: 'eu-west-1' }; // 34.0.0.21: aws
  await h.setInventory(next);
  h.emu.clearStats();
  return join(h.dir, 'reviewed.plan.json');
}

describe('saved plans: plan --out, apply FILE, plan --detailed-exitcode', () => {
  it('applies exactly the reviewed plan, even one the guard would hold; then there is nothing to do', async () => {
    const file = await converged();
    const planned = await runCli(['plan', '--config', h!.configFile, '--out', file, '--detailed-exitcode'], { env });
    expect(planned.code, planned.stderr).toBe(2);
    expect(planned.stdout).toContain('0 to create, 1 to update, 20 to delete, 9 unchanged');
    expect(h!.writes()).toBe(0);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { zones: Array<{ plan: { digest: string; guard: { held: boolean } } }> };
    expect(saved.zones[0]!.plan.guard.held).toBe(true);

    const applied = await runCli(['apply', file, '--config', h!.configFile, '--json'], { env });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const doc = JSON.parse(applied.stdout) as { zones: Array<{ result: { status: string }; plan: { digest: string; statusReason: string } }>; exitCode: number };
    expect(doc.exitCode).toBe(0);
    expect(doc.zones[0]!.result.status).toBe('applied');
    expect(doc.zones[0]!.plan.digest).toBe(saved.zones[0]!.plan.digest);
    expect(doc.zones[0]!.plan.statusReason).toMatch(/saved plan .* applied as reviewed \(guard: would delete 20 of 30/);
    expect(zoneIps()).toEqual(origins(30).slice(20).map((o, i) => `${o.ip} ${o.vendor}/${i === 1 ? 'eu-west-1' : o.region}`).sort());

    const again = await runCli(['plan', '--config', h!.configFile, '--detailed-exitcode'], { env });
    expect(again.code).toBe(0);
  }, 180_000);

  it('refuses a stale plan: the inventory changed, or the zone changed; nothing is written', async () => {
    const file = await converged();
    expect((await runCli(['plan', '--config', h!.configFile, '--out', file], { env })).code).toBe(0);
    const before = zoneIps();

    await h!.setInventory([...origins(30).slice(20), { ip: '34.9.9.9', vendor: 'aws', region: 'us-east-1' }]);
    const inventory = await runCli(['apply', file, '--config', h!.configFile], { env });
    expect(inventory.code).toBe(1);
    expect(inventory.stdout).toMatch(/stale: zone .*the inventory .* changed since plan/);
    expect(h!.writes()).toBe(0);
    expect(zoneIps()).toEqual(before);

    // A new plan against that inventory, then someone else adds a mapping to the zone.
    expect((await runCli(['plan', '--config', h!.configFile, '--out', file], { env })).code).toBe(0);
    h!.emu.seed(ZONE, [...h!.emu.mappings(ZONE).map((m) => ({ origin_ip: m.origin_ip, vendor: m.vendor, region: m.region })), { origin_ip: '203.0.113.7', vendor: 'aws', region: 'us-east-1' }]);
    h!.emu.clearStats();
    const zone = await runCli(['apply', file, '--config', h!.configFile], { env });
    expect(zone.code).toBe(1);
    expect(zone.stdout).toMatch(/stale: zone .*the zone's mappings changed since plan/);
    expect(h!.writes()).toBe(0);
  }, 180_000);

  it('refuses a plan file that was edited, or made against other state', async () => {
    const file = await converged();
    expect((await runCli(['plan', '--config', h!.configFile, '--out', file], { env })).code).toBe(0);
    const doc = JSON.parse(await readFile(file, 'utf8')) as { zones: Array<{ plan: { deletes: unknown[] } }>; prefix: string };
    doc.zones[0]!.plan.deletes = [];
    const edited = join(h!.dir, 'edited.json');
    await writeFile(edited, JSON.stringify(doc));
    const r = await runCli(['apply', edited, '--config', h!.configFile], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('checksum mismatch');
    const junk = join(h!.dir, 'junk.json');
    await writeFile(junk, '{"kind": "something else"}');
    const j = await runCli(['apply', junk, '--config', h!.configFile], { env });
    expect(j.code).toBe(2);
    expect(j.stderr).toContain('not a valid plan file');
    expect(h!.writes()).toBe(0);
  }, 180_000);
});
