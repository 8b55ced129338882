import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../helpers/cli.ts';
import { redisUrl } from '../helpers/redis.ts';
import { origins, startHarness, TOKEN, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const env = { CLOUDFLARE_API_TOKEN: TOKEN };
const schema = JSON.parse(await readFile(new URL('../../docs/cli-output.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

interface Doc {
  command: string;
  exitCode: number;
  planId?: string;
  zones: Array<{ zoneId: string; name: string | null; result: { status: string; planId: string | null }; plan: { id: string; status: string } | null }>;
  cycles?: Doc[];
}

/** The document a --json run printed: valid against docs/cli-output.schema.json, exitCode = the process's. */
function doc(r: CliRun, command: string): Doc {
  let d: unknown;
  try {
    d = JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not one JSON document:\n${r.stdout}\nstderr: ${r.stderr}`);
  }
  expect(validate(d), JSON.stringify(validate.errors, null, 2)).toBe(true);
  const out = d as Doc;
  expect(out.command).toBe(command);
  expect(out.exitCode, r.stderr).toBe(r.code);
  return out;
}

describe('--json: one documented schema for every command', () => {
  it('plan, sync --once, resync --wait, status and approve --wait print documents the schema accepts', { timeout: 240_000 }, async () => {
    h = await startHarness({ inventory: origins(100), zones: [zoneYaml({ name: 'shop.example.com' })] }); // its runtime is the running daemon
    const c = ['--json', '--config', h.configFile];

    const plan = doc(await runCli(['plan', ...c], { env }), 'plan');
    expect(plan.exitCode).toBe(0);
    expect(plan.zones[0]).toMatchObject({ zoneId: ZONE, name: 'shop.example.com', plan: { status: 'dry-run' } });

    const sync = doc(await runCli(['sync', '--once', ...c], { env }), 'sync');
    expect(sync.zones[0]).toMatchObject({ zoneId: ZONE, name: 'shop.example.com', result: { status: 'applied' } });

    await h.setInventory(origins(105));
    const resync = doc(await runCli(['resync', '--zone', ZONE, '--wait', ...c], { env }), 'resync');
    expect(resync.exitCode).toBe(0);
    expect(resync.zones[0]).toMatchObject({ zoneId: ZONE, name: 'shop.example.com', result: { status: 'applied' } });
    expect(h.emu.mappings(ZONE)).toHaveLength(105);

    const status = doc(await runCli(['status', ...c], { env }), 'status');
    expect(status.exitCode).toBe(0);

    // Half the origins vanish: the guard holds the plan (exit 3), approve --wait applies it (exit 0).
    await h.setInventory(origins(50));
    const held = doc(await runCli(['sync', '--once', ...c], { env }), 'sync');
    expect(held.exitCode).toBe(3);
    const planId = held.zones[0]!.plan!.id;
    const approved = doc(await runCli(['approve', planId, '--wait', ...c], { env }), 'approve');
    expect(approved).toMatchObject({ exitCode: 0, planId, zones: [{ zoneId: ZONE, name: 'shop.example.com', result: { status: 'applied' } }] });
    expect(h.emu.mappings(ZONE)).toHaveLength(50);

    for (const args of [['resync', '--json'], ['approve', planId, '--json']]) {
      const r = await runCli([...args, '--config', h.configFile], { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--json needs --wait/);
    }
  });

  it('demo --json prints both cycles as one document, the narrative on stderr', { timeout: 180_000 }, async () => {
    const r = await runCli(['demo', '--json'], { env: { REDIS_URL: redisUrl() }, timeoutMs: 170_000 });
    // The exit code is the process's (checked in doc()); whether the simulated clouds all answered is the demo test's business.
    const d = doc(r, 'demo');
    expect(d.cycles).toHaveLength(2);
    expect(d.cycles![0]!.zones[0]!.result.status).toBe('applied');
    expect(d.cycles![0]!.zones[0]!.name).toBe('shop.example.com');
    expect(r.stderr).toMatch(/Cycle 2: nothing changed/);
    expect(r.stdout.trimStart().startsWith('{')).toBe(true);
  });
});
