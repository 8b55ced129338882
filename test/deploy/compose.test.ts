import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { startCloudflareEmulator } from '../../src/emulators/cloudflare/index.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * No Docker engine runs here, so docker-compose.yml is checked two ways: against the Compose Specification's
 * JSON schema (test/fixtures/compose-spec.json, copied from compose-spec/compose-spec schema/compose-spec.json at
 * 170098ba07d9f53c383a41bfd4c5166b0a4529a6), and rendered by a real Compose client (`docker-compose config`,
 * Debian's docker-compose, which needs no engine) with an empty environment, as a new user would run it.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE = `${ROOT}docker-compose.yml`;
const run = promisify(execFile);

interface Service {
  profiles?: string[];
  image?: string;
  command?: string[];
  environment?: Record<string, string | null>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
}
interface Model {
  services: Record<string, Service>;
}

/** `docker-compose config` with nothing set but PATH: what `docker compose … up` would run. */
async function render(args: string[], env: Record<string, string> = {}): Promise<{ ok: true; model: Model } | { ok: false; error: string }> {
  try {
    const { stdout } = await run('docker-compose', ['-f', COMPOSE, ...args, 'config'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    return { ok: true, model: load(stdout) as Model };
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('docker-compose is not installed (apt-get install docker-compose; .ci/run does it)');
    return { ok: false, error: e.stderr || e.message };
  }
}

/** Services Compose starts with these profiles active (compose-spec profiles: no profiles = always). */
function started(model: Model, active: string[]): string[] {
  return Object.entries(model.services)
    .filter(([, s]) => !s.profiles?.length || s.profiles.some((p) => active.includes(p)))
    .map(([name]) => name)
    .sort();
}

const portOf = (listen: string) => Number(/:(\d+)$/.exec(listen)?.[1]);

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', async () => {
    const schema = JSON.parse(await readFile(`${ROOT}test/fixtures/compose-spec.json`, 'utf8')) as object;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    // The schema names draft-07 by its https address; Ajv ships draft-07 under the http one.
    const draft7 = JSON.parse(await readFile(`${ROOT}node_modules/ajv/dist/refs/json-schema-draft-07.json`, 'utf8')) as { $id?: string };
    ajv.addMetaSchema({ ...draft7, $id: 'https://json-schema.org/draft-07/schema' });
    const validate = ajv.compile(schema);
    const doc = load(await readFile(COMPOSE, 'utf8'));
    expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('--profile demo renders and starts with nothing set, without the daemon, its file or its token', async () => {
    const r = await render(['--profile', 'demo']);
    if (!r.ok) throw new Error(`docker-compose --profile demo config failed with an empty environment:\n${r.error}`);
    const names = started(r.model, ['demo']);
    expect(names).toEqual(['cloudflare-emulator', 'demo', 'redis']);
    for (const n of names) {
      const s = r.model.services[n]!;
      expect(s.volumes?.filter((v) => v.includes('origin-region-sync.yaml')) ?? [], n).toEqual([]);
      for (const [k, v] of Object.entries(s.environment ?? {})) expect(v, `${n}: ${k}`).not.toBe('');
    }
  });

  it('the daemon profile passes secrets through only when set (an empty ORS_ADMIN_TOKEN made the config invalid)', async () => {
    const none = await render(['--profile', 'daemon']);
    if (!none.ok) throw new Error(none.error);
    expect(started(none.model, ['daemon'])).toEqual(['origin-region-sync', 'redis']);
    const daemon = none.model.services['origin-region-sync']!;
    expect(daemon.environment).toMatchObject({ ORS_ADMIN_TOKEN: null, CLOUDFLARE_API_TOKEN: null });
    expect(daemon.volumes?.some((v) => v.endsWith(':/config/origin-region-sync.yaml:ro'))).toBe(true);

    const set = await render(['--profile', 'daemon'], { CLOUDFLARE_API_TOKEN: 'cf-token-from-shell' });
    if (!set.ok) throw new Error(set.error);
    expect(set.model.services['origin-region-sync']!.environment).toMatchObject({ CLOUDFLARE_API_TOKEN: 'cf-token-from-shell', ORS_ADMIN_TOKEN: null });
  });

  it('config/example.yaml validates with the daemon service environment and listens where the port is published', async () => {
    const r = await render(['--profile', 'daemon']);
    if (!r.ok) throw new Error(r.error);
    const daemon = r.model.services['origin-region-sync']!;
    // What the container gets: the service's values, plus the token the user exports (null = unset).
    const env = Object.fromEntries(Object.entries({ ...daemon.environment, CLOUDFLARE_API_TOKEN: 'cf-token' }).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const v = await runCli(['validate', '--config', `${ROOT}config/example.yaml`], { env: { ...env, ORS_ADMIN_TOKEN: '', ORS_CONFIG: '' } });
    expect(v.code, v.stderr).toBe(0);
    const { loadConfig } = await import('../../src/config/load.ts');
    const config = await loadConfig({ path: `${ROOT}config/example.yaml`, env });
    expect(config.server.host).toBe('0.0.0.0'); // 127.0.0.1 in a container is unreachable through the published port
    const published = daemon.ports!.map((p) => Number(/:(\d+)(\/tcp)?$/.exec(p)?.[1]));
    expect(published).toContain(config.server.port);

    const noToken = await runCli(['validate', '--config', `${ROOT}config/example.yaml`], { env: { ...env, CLOUDFLARE_API_TOKEN: '' } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/cloudflare\.token: environment variable CLOUDFLARE_API_TOKEN is not set/);
  });

  it('each service built from the image checks a route it serves (the image HEALTHCHECK asks the daemon /healthz)', async () => {
    const r = await render(['--profile', 'demo', '--profile', 'daemon']);
    if (!r.ok) throw new Error(r.error);
    const emu = r.model.services['cloudflare-emulator']!;
    const script = emu.healthcheck?.test?.at(-1) ?? '';
    const emuPort = Number(emu.command![emu.command!.indexOf('--port') + 1]);
    const target = /fetch\('http:\/\/127\.0\.0\.1:(\d+)(\/[^']*)'\)/.exec(script);
    expect(target, `emulator healthcheck: ${script}`).not.toBeNull();
    expect(Number(target![1])).toBe(emuPort);
    // The route answers 200 on a real emulator (and the daemon's /healthz does not exist there).
    const live = await startCloudflareEmulator({ rateLimit: false });
    try {
      expect((await fetch(`${live.origin}${target![2]}`)).status).toBe(200);
      expect((await fetch(`${live.origin}/healthz`)).status).not.toBe(200);
    } finally {
      await live.close();
    }
    const demo = r.model.services.demo!;
    expect(demo.healthcheck).toBeUndefined(); // the image's: /healthz on $ORS_HEALTH_PORT
    expect(Number(demo.environment!.ORS_HEALTH_PORT)).toBe(portOf(demo.command![demo.command!.indexOf('--listen') + 1]!));
    expect(demo.command![demo.command!.indexOf('--listen') + 1]).toMatch(/^0\.0\.0\.0:/);
  });
});
