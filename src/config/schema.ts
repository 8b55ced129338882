import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { connectorConfigSchema } from '../../connectors/index.ts';
import { eventSourceSchema } from '../events/sources.ts';
import { MAX_MAPPINGS_PER_ZONE } from '../cloudflare/limits.ts';
import { VENDORS } from '../model/index.ts';
import { redisUrlProblem } from '../state/redis-url.ts';
import { parseDuration } from './duration.ts';

const duration = z.union([z.string(), z.number().nonnegative()]).transform((v, ctx) => {
  if (typeof v === 'number') return v * 1000; // a bare number is seconds, as in most daemons' configs
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (examples: 500ms, 30s, 5m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

const cidr = z.string().refine(
  (c) => {
    try {
      ipaddr.parseCIDR(c);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a CIDR (examples: 192.0.2.0/24, 2001:db8::/32)' },
);

export const selectorSchema = z.strictObject({
  connectors: z.array(z.string()).optional(),
  vendors: z.array(z.enum(VENDORS)).optional(),
  regions: z.array(z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  cidrs: z.array(cidr).optional(),
});

const policy = z.enum(['sync', 'upsert-only', 'create-only'], {
  error: (iss) =>
    iss.input === undefined
      ? 'required, one of sync, upsert-only, create-only (there is no default: sync deletes)'
      : `"${String(iss.input)}" is not one of sync, upsert-only, create-only`,
});

export const zoneSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{32}$/, 'a Cloudflare zone id: 32 lowercase hexadecimal characters'),
  name: z.string().optional(),
  policy,
  adopt: z.boolean().default(false),
  maxMappings: z.int().min(1).max(MAX_MAPPINGS_PER_ZONE).default(MAX_MAPPINGS_PER_ZONE),
  reserve: z.int().min(0).max(MAX_MAPPINGS_PER_ZONE).default(0),
  deleteAfterMissedScans: z.int().min(1).max(1000).default(2),
  /** And the misses must span this long: scans seconds apart (events) never delete on a flapping API. */
  deleteGrace: duration.default(30_000),
  guard: z
    .strictObject({
      maxChangeFraction: z.number().gt(0).max(1).default(0.3),
      minEntries: z.int().min(0).default(10),
    })
    .prefault({}),
  select: selectorSchema.prefault({}),
  priority: z.array(selectorSchema).default([]),
});

const secretRef = z.string().min(1);

export const cloudflareSchema = z
  .strictObject({
    apiBase: z.url({ protocol: /^https?$/ }).default('https://api.cloudflare.com/client/v4'),
    token: secretRef.optional(),
    tokenFile: z.string().optional(),
    email: z.string().optional(),
    key: secretRef.optional(),
    keyFile: z.string().optional(),
    api: z.enum(['v1', 'v2', 'auto']).default('auto'),
    rateLimit: z
      .strictObject({
        requests: z.int().min(1).default(1200),
        perSeconds: z.int().min(1).default(300),
      })
      .prefault({}),
    timeout: duration.default(30_000),
    // How long a zone's list may be served from the cache before it is read again in full (0: every reconcile reads).
    driftCheckEvery: duration.default(30 * 60_000),
    // The most of rateLimit that drift checks may spend in steady state: past it, they are spaced further apart.
    driftCheckShare: z.number().gt(0).max(1).default(0.1),
  })
  .superRefine((c, ctx) => {
    const token = c.token !== undefined || c.tokenFile !== undefined;
    const key = c.key !== undefined || c.keyFile !== undefined;
    if (c.token !== undefined && c.tokenFile !== undefined) ctx.addIssue({ code: 'custom', path: ['tokenFile'], message: 'give token or tokenFile, not both' });
    if (c.key !== undefined && c.keyFile !== undefined) ctx.addIssue({ code: 'custom', path: ['keyFile'], message: 'give key or keyFile, not both' });
    if (token && (key || c.email !== undefined)) ctx.addIssue({ code: 'custom', path: ['token'], message: 'give an API token, or email + global key, not both' });
    if (!token && !key) ctx.addIssue({ code: 'custom', path: ['token'], message: 'required: an API token (token: ${CLOUDFLARE_API_TOKEN} or tokenFile), or email + key' });
    if (key && c.email === undefined) ctx.addIssue({ code: 'custom', path: ['email'], message: 'required with key / keyFile (the global API key needs the account email)' });
  });

const hostPort = z.union(
  [
    z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s,/[\]]+):\d{1,5}$/, 'host:port (e.g. 10.0.0.5:6379) or {host, port}'),
    z.strictObject({ host: z.string().min(1), port: z.int().min(1).max(65535) }),
  ],
  { error: 'host:port (e.g. 10.0.0.5:6379) or {host, port}' },
);

/** The first {…} of a key decides its Redis Cluster slot; an empty {} does not count. */
export function hashTag(prefix: string): string | null {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : null;
}

/**
 * One Redis node (`url`), a Redis Cluster (`cluster.nodes`) or a Sentinel-monitored master (`sentinels`
 * + `name`). What ioredis would accept and then fail on at every command is rejected here, naming the key.
 */
export const redisSchema = z
  .strictObject({
    url: z.string().optional(),
    cluster: z.strictObject({ nodes: z.array(hostPort).min(1, 'at least one node (host:port)') }).optional(),
    sentinels: z.array(hostPort).min(1, 'at least one Sentinel (host:port)').optional(),
    /** The master group name Sentinel monitors (`sentinel monitor <name> …`). */
    name: z.string().min(1).optional(),
    db: z.int().min(0).optional(),
    username: z.string().min(1).optional(),
    password: secretRef.optional(),
    passwordFile: z.string().optional(),
    sentinelUsername: z.string().min(1).optional(),
    sentinelPassword: secretRef.optional(),
    sentinelPasswordFile: z.string().optional(),
    tls: z.boolean().optional(),
    prefix: z.string().regex(/^[A-Za-z0-9_{}-]+$/, 'letters, digits, _ - and {} (a hash tag for Redis Cluster)').default('ors'),
  })
  .superRefine((r, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const modes = [r.url !== undefined && 'url', r.cluster !== undefined && 'cluster', r.sentinels !== undefined && 'sentinels'].filter((m) => m !== false);
    if (modes.length > 1) issue(modes[1]!, `give one of url, cluster or sentinels, not ${modes.join(' and ')}`);
    if (r.url !== undefined) {
      const problem = redisUrlProblem(r.url);
      if (problem) issue('url', problem);
      else if (new URL(r.url).password !== '' && (r.password !== undefined || r.passwordFile !== undefined)) issue('password', 'the url already carries a password: give it in one place');
      if (r.tls !== undefined) issue('tls', 'with url, use rediss:// for TLS');
      if (r.db !== undefined) issue('db', 'with url, the database is the URL path (redis://host:6379/2)');
    }
    if (r.password !== undefined && r.passwordFile !== undefined) issue('passwordFile', 'give password or passwordFile, not both');
    if (r.sentinelPassword !== undefined && r.sentinelPasswordFile !== undefined) issue('sentinelPasswordFile', 'give sentinelPassword or sentinelPasswordFile, not both');
    if (r.sentinels !== undefined && r.name === undefined) issue('name', 'required with sentinels: the master name Sentinel monitors (sentinel monitor <name> …)');
    if (r.sentinels === undefined) {
      for (const k of ['name', 'sentinelUsername', 'sentinelPassword', 'sentinelPasswordFile'] as const) if (r[k] !== undefined) issue(k, 'only with sentinels');
    }
    if (r.cluster !== undefined) {
      // BullMQ's Lua scripts and our MULTIs touch many keys at once; Redis Cluster runs them only when all
      // keys hash to one slot, which a {hash tag} in the shared prefix guarantees (docs.bullmq.io/patterns/redis-cluster).
      if (hashTag(r.prefix) === null) issue('prefix', `needs a hash tag with redis.cluster, e.g. "{${r.prefix.replace(/[{}]/g, '') || 'ors'}}": every key of a queue must be in one Redis Cluster slot`);
      if (r.db !== undefined && r.db !== 0) issue('db', 'Redis Cluster has only database 0');
    }
  });

const listen = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:9464 or [::1]:9464');

export const configSchema = z
  .strictObject({
    redis: redisSchema.prefault({}),
    cloudflare: cloudflareSchema,
    zones: z.array(zoneSchema).min(1, 'at least one zone'),
    connectors: z.array(connectorConfigSchema).min(1, 'at least one connector'),
    schedule: z
      .strictObject({
        reconcileEvery: duration.default(300_000),
        /** A complete scan older than this can no longer delete (default: 3 × reconcileEvery). */
        maxScanAge: duration.optional(),
        discoverTimeout: duration.default(300_000),
      })
      .prefault({}),
    server: z
      .strictObject({
        listen: listen.default('127.0.0.1:9464'),
        token: secretRef.optional(),
        tokenFile: z.string().optional(),
        /** /readyz answers 200 only if every zone had a complete reconcile this recently (default: 3 × reconcileEvery). */
        readyMaxAge: duration.optional(),
      })
      .prefault({}),
    worker: z
      .strictObject({
        discoverConcurrency: z.int().min(1).max(256).default(8),
        reconcileConcurrency: z.int().min(1).max(64).default(4),
        applyConcurrency: z.int().min(1).max(64).default(2),
        applyAttempts: z.int().min(1).max(100).default(10),
        shutdownTimeout: duration.default(30_000),
        /** How long a job stays locked without renewal: a killed replica's jobs are taken over after about this long. */
        lockDuration: duration.default(30_000),
      })
      .prefault({}),
    audit: z
      .strictObject({
        /** Write records older than this are trimmed (approximately: Redis trims whole stream nodes). */
        retention: duration.default(30 * 86_400_000),
        /** And at most this many per zone, newest kept. */
        maxRecordsPerZone: z.int().min(1000).max(100_000_000).default(200_000),
      })
      .prefault({}),
    events: z
      .strictObject({
        /** Events for one scope within this window become one rediscovery. */
        debounce: duration.default(2_000),
        /** A scan triggered by an event is confirmed by a second one this much later (or deleteGrace, if later). */
        confirmAfter: duration.default(30_000),
        sources: z.array(eventSourceSchema).default([]),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.connectors.forEach((k, i) => {
      if (names.has(k.name)) ctx.addIssue({ code: 'custom', path: ['connectors', i, 'name'], message: `duplicate connector name "${k.name}"` });
      names.add(k.name);
    });
    const ids = new Set<string>();
    c.zones.forEach((z, i) => {
      if (ids.has(z.id)) ctx.addIssue({ code: 'custom', path: ['zones', i, 'id'], message: `duplicate zone id ${z.id}` });
      ids.add(z.id);
      const check = (sel: { connectors?: string[] | undefined }, path: PropertyKey[]) =>
        sel.connectors?.forEach((n, j) => {
          if (!names.has(n)) ctx.addIssue({ code: 'custom', path: [...path, 'connectors', j], message: `no connector named "${n}" (have: ${[...names].join(', ')})` });
        });
      check(z.select, ['zones', i, 'select']);
      z.priority.forEach((p, j) => check(p, ['zones', i, 'priority', j]));
      if (z.reserve >= z.maxMappings) ctx.addIssue({ code: 'custom', path: ['zones', i, 'reserve'], message: `must be below maxMappings (${z.maxMappings})` });
    });
    const sources = new Set<string>();
    const paths = new Set<string>();
    c.events.sources.forEach((s, i) => {
      const at = (k: string) => ['events', 'sources', i, k];
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(s.name)) ctx.addIssue({ code: 'custom', path: at('name'), message: 'lowercase letters, digits, - and _ (it names the source in metrics and logs)' });
      if (sources.has(s.name)) ctx.addIssue({ code: 'custom', path: at('name'), message: `duplicate event source name "${s.name}"` });
      sources.add(s.name);
      if (s.type === 'webhook') {
        if (s.token === undefined && s.tokenFile === undefined) ctx.addIssue({ code: 'custom', path: at('token'), message: 'required: token (${ORS_EVENTS_TOKEN}) or tokenFile; the webhook never accepts unauthenticated events' });
        if (s.token !== undefined && s.tokenFile !== undefined) ctx.addIssue({ code: 'custom', path: at('tokenFile'), message: 'give token or tokenFile, not both' });
        if (paths.has(s.path)) ctx.addIssue({ code: 'custom', path: at('path'), message: `another webhook source already listens on ${s.path}` });
        if (['/healthz', '/readyz', '/metrics', '/resync', '/api', '/'].some((r) => s.path === r || (r !== '/' && s.path.startsWith(`${r}/`)))) ctx.addIssue({ code: 'custom', path: at('path'), message: `${s.path} is one of the server's own routes` });
        paths.add(s.path);
      }
    });
    if (c.server.token !== undefined && c.server.tokenFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['server', 'tokenFile'], message: 'give token or tokenFile, not both' });
    }
  });

export type RawConfig = z.infer<typeof configSchema>;
export type ZoneConfig = z.infer<typeof zoneSchema>;
