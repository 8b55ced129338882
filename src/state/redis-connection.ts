import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Secret } from '../config/secret.ts';
import { errorText } from '../log.ts';
import { redactUrl } from './redis-url.ts';

/** What every part of the daemon talks to: one node, a Sentinel-managed master, or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export interface HostPort {
  host: string;
  port: number;
}

interface Auth {
  username?: string;
  password?: Secret;
}

/** The `redis` section as loaded: exactly one way to reach Redis, and the key prefix. */
export type RedisSettings = { prefix: string } & (
  | ({ mode: 'single'; url: string } & Auth)
  | ({ mode: 'cluster'; nodes: HostPort[]; tls: boolean } & Auth)
  | ({ mode: 'sentinel'; sentinels: HostPort[]; name: string; db: number; tls: boolean; sentinelUsername?: string; sentinelPassword?: Secret } & Auth)
);

export interface ClientOptions {
  /** Per-attempt connect timeout. */
  connectTimeoutMs?: number;
  /** null (BullMQ's requirement for workers): a command waits for the connection to come back instead of failing. */
  maxRetriesPerRequest?: number | null;
  /** null: give up after the first failed connection (probes); default: ioredis's reconnect backoff. */
  retryStrategy?: RedisOptions['retryStrategy'];
}

/** Where Redis is, for messages and logs: never a password. */
export function describeRedis(s: RedisSettings): string {
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (s.mode === 'single') return `Redis at ${redactUrl(s.url)}`;
  if (s.mode === 'cluster') return `Redis Cluster ${list(s.nodes)}`;
  return `Sentinel master "${s.name}" via ${list(s.sentinels)}`;
}

/**
 * The one place a Redis client is built from the configuration. Cluster: BullMQ reads
 * maxRetriesPerRequest from redisOptions (it must be null there for workers), and MOVED/ASK/TRYAGAIN
 * during a slot migration are followed by ioredis. Sentinel: a write refused with READONLY (the master
 * was just demoted) reconnects through Sentinel to the new master and resends the command.
 */
export function createRedisClient(s: RedisSettings, opts: ClientOptions = {}): RedisClient {
  const base: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: opts.maxRetriesPerRequest === undefined ? null : opts.maxRetriesPerRequest,
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeout: opts.connectTimeoutMs } : {}),
    ...(opts.retryStrategy !== undefined ? { retryStrategy: opts.retryStrategy } : {}),
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.password !== undefined ? { password: s.password.reveal() } : {}),
  };
  if (s.mode === 'single') return new Redis(s.url, base);
  if (s.mode === 'cluster') {
    const options: ClusterOptions = {
      lazyConnect: true,
      redisOptions: { ...base, ...(s.tls ? { tls: {} } : {}) },
      ...(opts.retryStrategy !== undefined ? { clusterRetryStrategy: () => null } : {}),
    };
    return new Cluster(s.nodes, options);
  }
  return new Redis({
    ...base,
    sentinels: s.sentinels,
    name: s.name,
    role: 'master',
    db: s.db,
    failoverDetector: true,
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    ...(s.sentinelUsername !== undefined ? { sentinelUsername: s.sentinelUsername } : {}),
    ...(s.sentinelPassword !== undefined ? { sentinelPassword: s.sentinelPassword.reveal() } : {}),
    ...(s.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    ...(opts.retryStrategy !== undefined ? { sentinelRetryStrategy: () => null } : {}),
  });
}

/** Redis could not be reached: commands print this one line and exit 1; the daemon retries. */
export class RedisUnreachable extends Error {
  /** The socket error alone (ECONNREFUSED, ENOTFOUND, a timeout). */
  readonly reason: string;
  constructor(s: RedisSettings, reason: string, cause: unknown) {
    super(`cannot reach ${describeRedis(s)}: ${reason} (is redis-server running there? see redis.url)`, { cause });
    this.reason = reason;
  }
}

/**
 * Connects and pings, with a clear error instead of BullMQ's endless reconnect loop when Redis is not
 * there. The message names the socket error (ECONNREFUSED, ENOTFOUND, a timeout), not ioredis's
 * "Connection is closed." that follows it. Afterwards the client reconnects on its own.
 */
export async function connectRedis(s: RedisSettings, timeoutMs = 5000): Promise<RedisClient> {
  const redis = createRedisClient(s, { connectTimeoutMs: timeoutMs });
  let lastError: Error | undefined;
  // Kept for the client's life: without a listener ioredis prints "Unhandled error event" and a stack on
  // every failed reconnect. Outages are reported by the daemon's RedisHealth.
  redis.on('error', (err: Error) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    // A Cluster or Sentinel client retries its seed nodes without end, and a Redis that accepts the
    // connection but never answers (paused, overloaded) must not hang a command: the deadline bounds both.
    const deadline = new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([redis.connect().then(() => redis.ping()), deadline]);
  } catch (err) {
    redis.disconnect();
    throw new RedisUnreachable(s, errorText(lastError ?? err), err);
  } finally {
    clearTimeout(timer);
  }
  // Pointed at one node of a cluster, everything would fail later with MOVED; say so now. (INFO may be
  // renamed away on managed services: then there is nothing to tell.)
  if (s.mode !== 'cluster' && /^cluster_enabled:1/m.test(await redis.info('cluster').catch(() => ''))) {
    redis.disconnect();
    throw new Error(`${describeRedis(s)} is a Redis Cluster node: list the nodes under redis.cluster.nodes (single-node clients get MOVED for most keys)`);
  }
  return redis;
}
