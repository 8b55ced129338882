import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { load, YAMLException } from 'js-yaml';
import type { ConnectorConfig } from '../../connectors/index.ts';
import type { ApiMode } from '../cloudflare/types.ts';
import type { ZoneSettings } from '../reconcile/types.ts';
import type { HostPort, RedisSettings } from '../state/redis-connection.ts';
import { redisUrlProblem } from '../state/redis-url.ts';
import { expandEnv } from './env.ts';
import { ConfigError, keyPath } from './errors.ts';
import type { EventSourceConfig } from '../events/sources.ts';
import { configSchema, type RawConfig } from './schema.ts';
import { Secret } from './secret.ts';

export interface Config {
  /** Absolute path of the file read, and its folder (relative paths in it resolve against the folder). */
  file: string;
  dir: string;
  redis: RedisSettings;
  cloudflare: {
    apiBase: string;
    auth: { token: Secret } | { email: string; key: Secret };
    api: ApiMode;
    rateLimit: { requests: number; perSeconds: number };
    timeoutMs: number;
    /** A zone's list comes from the cache between full reads this far apart; 0: read every reconcile. */
    driftCheckEveryMs: number;
    /** The most of the rate limit that drift checks may spend in steady state (a fraction). */
    driftCheckShare: number;
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
  events: {
    debounceMs: number;
    confirmAfterMs: number;
    /** Queue sources (consumed by `run`); webhooks are in `webhooks`, with their token loaded. */
    sources: EventSourceConfig[];
    webhooks: Array<{ name: string; path: string; maxBytes: number; token: Secret }>;
  };
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
  const redisPassword = await secret('redis.password', c.redis.password, c.redis.passwordFile, 'REDIS_PASSWORD');
  const sentinelPassword = await secret('redis.sentinelPassword', c.redis.sentinelPassword, c.redis.sentinelPasswordFile, 'REDIS_SENTINEL_PASSWORD');
  const webhooks: Config['events']['webhooks'] = [];
  for (const [i, s] of c.events.sources.entries()) {
    if (s.type !== 'webhook') continue;
    const t = await secret(`events.sources[${i}].token`, s.token, s.tokenFile, 'ORS_EVENTS_TOKEN');
    if (t) webhooks.push({ name: s.name, path: s.path, maxBytes: s.maxBytes, token: t });
  }
  const redis = redisSettings(c.redis, env, { password: redisPassword, sentinelPassword, urlFromEnv: expanded.fromEnv.has('redis.url'), file }, issues, warnings);
  if (issues.length > 0) throw new ConfigError(issues, file);

  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(c.server.listen)!;
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError([`server.listen: port ${port} is out of range`], file);

  const every = c.schedule.reconcileEvery;
  return {
    file,
    dir,
    redis: redis!,
    cloudflare: {
      apiBase: c.cloudflare.apiBase.replace(/\/+$/, ''),
      auth: token ? { token } : { email: c.cloudflare.email!, key: key ?? notLoaded },
      api: c.cloudflare.api,
      rateLimit: c.cloudflare.rateLimit,
      timeoutMs: c.cloudflare.timeout,
      driftCheckEveryMs: c.cloudflare.driftCheckEvery,
      driftCheckShare: c.cloudflare.driftCheckShare,
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
    events: {
      debounceMs: c.events.debounce,
      confirmAfterMs: c.events.confirmAfter,
      sources: c.events.sources.filter((s) => s.type !== 'webhook'),
      webhooks,
    },
    log: c.log,
    warnings,
  };
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The redis section as the connection module takes it; REDIS_URL (environment) replaces a single node's url. */
function redisSettings(
  r: RawConfig['redis'],
  env: NodeJS.ProcessEnv,
  extra: { password: Secret | undefined; sentinelPassword: Secret | undefined; urlFromEnv: boolean; file: string },
  issues: string[],
  warnings: string[],
): RedisSettings | undefined {
  const auth = { ...(r.username !== undefined ? { username: r.username } : {}), ...(extra.password ? { password: extra.password } : {}) };
  const nodes = (list: Array<string | HostPort>): HostPort[] =>
    list.map((n) => {
      if (typeof n !== 'string') return n;
      const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(n)!;
      return { host: m[1] ?? m[2]!, port: Number(m[3]) };
    });
  const badPort = (list: Array<string | HostPort>, key: string) =>
    nodes(list).forEach((n, i) => {
      if (n.port < 1 || n.port > 65535) issues.push(`${key}[${i}]: port ${n.port} is out of range`);
    });
  const fromEnv = env.REDIS_URL || undefined;
  if (r.cluster !== undefined || r.sentinels !== undefined) {
    if (fromEnv) warnings.push(`REDIS_URL is set in the environment but ignored: ${extra.file} configures redis.${r.cluster ? 'cluster' : 'sentinels'}`);
    if (r.cluster !== undefined) {
      badPort(r.cluster.nodes, 'redis.cluster.nodes');
      return { mode: 'cluster', nodes: nodes(r.cluster.nodes), tls: r.tls ?? false, prefix: r.prefix, ...auth };
    }
    badPort(r.sentinels!, 'redis.sentinels');
    return {
      mode: 'sentinel',
      sentinels: nodes(r.sentinels!),
      name: r.name!,
      db: r.db ?? 0,
      tls: r.tls ?? false,
      prefix: r.prefix,
      ...auth,
      ...(r.sentinelUsername !== undefined ? { sentinelUsername: r.sentinelUsername } : {}),
      ...(extra.sentinelPassword ? { sentinelPassword: extra.sentinelPassword } : {}),
    };
  }
  if (fromEnv) {
    const problem = redisUrlProblem(fromEnv);
    if (problem) issues.push(`REDIS_URL (environment): ${problem}`);
    return { mode: 'single', url: fromEnv, prefix: r.prefix, ...auth };
  }
  const url = r.url ?? DEFAULT_REDIS_URL;
  if (!extra.urlFromEnv && new URL(url).password !== '') warnings.push(`redis.url carries a password inline in ${extra.file}; use \${REDIS_URL}, or redis.passwordFile, so the secret stays out of the file`);
  return { mode: 'single', url, prefix: r.prefix, ...auth };
}
