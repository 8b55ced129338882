/** A Redis URL fit for messages: any password (or username) replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Why ioredis cannot use this URL, or null if it can. ioredis parses what it is given loosely and fails
 * later, on every command: a host list ("h1:6379,h2:6379") becomes one host name, and a path that is
 * not a number ("/x") selects database NaN. So these are caught while the configuration is read.
 */
export function redisUrlProblem(url: string): string | null {
  const authority = /^[a-z+]+:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  if (authority.replace(/^.*@/, '').includes(',')) return 'one host only: for Redis Cluster list the nodes in redis.cluster.nodes, for Sentinel in redis.sentinels';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL (example: redis://127.0.0.1:6379/0, rediss://:${REDIS_PASSWORD}@redis.internal:6380)';
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `a redis:// or rediss:// URL, not ${u.protocol}// (for Redis Cluster use redis.cluster.nodes, for Sentinel redis.sentinels)`;
  if (u.hostname === '') return 'no host (example: redis://127.0.0.1:6379)';
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) return `the path is the database number (redis://host:6379/0), not "/${db}"`;
  return null;
}
