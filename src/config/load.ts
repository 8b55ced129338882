import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { load, YAMLException } from 'js-yaml';
import type { ConnectorConfig } from '../../connectors/index.ts';
import type { ApiMode } from '../cloudflare/types.ts';
import type { ZoneSettings } from '../reconcile/types.ts';
import { expandEnv } from './env.ts';
import { ConfigError, keyPath } from './errors.ts';
import { configSchema } from './schema.ts';
import { Secret } from './secret.ts';

export interface Config {
  /** Absolute path of the file read, and its folder (relative paths in it resolve against the folder). */
  file: string;
  dir: string;
  redis: { url: string; prefix: string };
  cloudflare: {
    apiBase: string;
    auth: { token: Secret } | { email: string; key: Secret };
    api: ApiMode;
    rateLimit: { requests: number; perSeconds: number };
    timeoutMs: number;
  };
  zones: ZoneSettings[];
  connectors: ConnectorConfig[];
  schedule: { reconcileEveryMs: number; maxScanAgeMs: number; discoverTimeoutMs: number };
  server: { host: string; port: number; token?: Secret; readyMaxAgeMs: number };
  worker: {
    discoverConcurrency: number;
    reconcileConcurrency: number;
    applyConcurrency: number;
    applyAttempts: number;
    shutdownTimeoutMs: number;
    lockDurationMs: number;
  };
  audit: { retentionMs: number; maxRecordsPerZone: number };
  log: { level: string };
  /** Things that work but deserve a word (an inline secret, say). */
  warnings: string[];
}

export const DEFAULT_CONFIG_NAME = 'origin-region-sync.yaml';

/** --config FILE, else $ORS_CONFIG, else ./origin-region-sync.yaml. */
export function configPath(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  return resolve(cwd, explicit ?? env.ORS_CONFIG ?? DEFAULT_CONFIG_NAME);
}

/**
 * What the caller will use. A command that only reads Redis or enqueues work (status, resync, approve)
 * passes `cloudflare: false`: the Cloudflare credentials may then be unset or unreadable (they are not
 * loaded, and revealing them gives an empty string).
 */
export interface LoadOptions {
  cloudflare?: boolean;
}

const CLOUDFLARE_SECRETS = new Set(['cloudflare.token', 'cloudflare.key', 'cloudflare.email']);

export async function loadConfig(opts: { path?: string; env?: NodeJS.ProcessEnv; cwd?: string } & LoadOptions = {}): Promise<Config> {
  const env = opts.env ?? process.env;
  const file = configPath(opts.path, env, opts.cwd);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(
      [e.code === 'ENOENT' ? `file not found (give --config FILE, set ORS_CONFIG, or create ./${DEFAULT_CONFIG_NAME}; see config/example.yaml)` : `cannot read: ${e.message}`],
      file,
      'cannot read the configuration',
    );
  }
  return parseConfig(text, file, env, opts.cloudflare === false ? { cloudflare: false } : {});
}

export async function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv, uses: LoadOptions = {}): Promise<Config> {
  const needsCloudflare = uses.cloudflare !== false;
  let raw: unknown;
  try {
    raw = load(text, { filename: file });
  } catch (err) {
    if (err instanceof YAMLException) throw new ConfigError([`YAML: ${err.message.split('\n')[0]}`], file);
    throw err;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(['(root): expected a mapping with keys redis, cloudflare, zones, connectors, …'], file);

  const expanded = expandEnv(raw, env, (path) => !needsCloudflare && CLOUDFLARE_SECRETS.has(path));
  if (expanded.issues.length > 0) throw new ConfigError(expanded.issues, file);
  const parsed = configSchema.safeParse(expanded.value);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        if (i.code === 'unrecognized_keys') return `${keyPath(i.path)}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
        const missing = /^Invalid input: expected (\w+), received undefined$/.exec(i.message);
        return `${keyPath(i.path)}: ${missing ? `required (${missing[1]})` : i.message}`;
      }),
      file,
    );
  }
  const c = parsed.data;
  const dir = dirname(file);
  const warnings: string[] = [];
  const issues: string[] = [];

  const notLoaded = new Secret('', 'not loaded: this command does not talk to Cloudflare');
  const secret = async (path: string, inline: string | undefined, fileRef: string | undefined, envHint: string): Promise<Secret | undefined> => {
    const unused = !needsCloudflare && CLOUDFLARE_SECRETS.has(path);
    if (unused && (fileRef !== undefined || expanded.unset.has(path))) return notLoaded;
    if (fileRef !== undefined) {
      const p = resolve(dir, fileRef);
      try {
        const v = (await readFile(p, 'utf8')).trim();
        if (v === '') issues.push(`${path}File: ${p} is empty`);
        return new Secret(v, `file ${p}`);
      } catch (err) {
        issues.push(`${path}File: cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
        return undefined;
      }
    }
    if (inline === undefined) return undefined;
    if (!expanded.fromEnv.has(path)) warnings.push(`${path} is written inline in ${file}; use \${${envHint}} or ${path}File so the secret stays out of the file`);
    return new Secret(inline, expanded.fromEnv.has(path) ? 'environment' : 'inline');
  };

  const token = await secret('cloudflare.token', c.cloudflare.token, c.cloudflare.tokenFile, 'CLOUDFLARE_API_TOKEN');
  const key = await secret('cloudflare.key', c.cloudflare.key, c.cloudflare.keyFile, 'CLOUDFLARE_API_KEY');
  const adminToken = await secret('server.token', c.server.token, c.server.tokenFile, 'ORS_ADMIN_TOKEN');
  if (issues.length > 0) throw new ConfigError(issues, file);

  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(c.server.listen)!;
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError([`server.listen: port ${port} is out of range`], file);

  const every = c.schedule.reconcileEvery;
  return {
    file,
    dir,
    redis: { url: env.REDIS_URL || c.redis.url, prefix: c.redis.prefix },
    cloudflare: {
      apiBase: c.cloudflare.apiBase.replace(/\/+$/, ''),
      auth: token ? { token } : { email: c.cloudflare.email!, key: key ?? notLoaded },
      api: c.cloudflare.api,
      rateLimit: c.cloudflare.rateLimit,
      timeoutMs: c.cloudflare.timeout,
    },
    zones: c.zones,
    connectors: c.connectors,
    schedule: { reconcileEveryMs: every, maxScanAgeMs: c.schedule.maxScanAge ?? 3 * every, discoverTimeoutMs: c.schedule.discoverTimeout },
    server: { host: m[1] ?? m[2]!, port, ...(adminToken ? { token: adminToken } : {}), readyMaxAgeMs: c.server.readyMaxAge ?? 3 * every },
    worker: {
      discoverConcurrency: c.worker.discoverConcurrency,
      reconcileConcurrency: c.worker.reconcileConcurrency,
      applyConcurrency: c.worker.applyConcurrency,
      applyAttempts: c.worker.applyAttempts,
      shutdownTimeoutMs: c.worker.shutdownTimeout,
      lockDurationMs: c.worker.lockDuration,
    },
    audit: { retentionMs: c.audit.retention, maxRecordsPerZone: c.audit.maxRecordsPerZone },
    log: c.log,
    warnings,
  };
}
