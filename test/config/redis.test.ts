import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { describeRedis } from '../../src/state/redis-connection.ts';
import { runCli } from '../helpers/cli.ts';
import { configIssues } from '../helpers/config.ts';

const base = `
cloudflare:
  token: \${CLOUDFLARE_API_TOKEN}
zones:
  - id: 023e105f4ecef8ad9ca31a8372d0c353
    policy: sync
connectors:
  - name: inventory
    type: file
    path: ./inventory.yaml
`;
const env = { CLOUDFLARE_API_TOKEN: 'cf-secret-value' };

const issues = (redis: string, e: NodeJS.ProcessEnv = env): Promise<string[]> => configIssues(`${base}redis: ${redis}\n`, e);

describe('configuration: redis', () => {
  it('rejects URLs that ioredis would accept and then fail on at every command, naming the key', async () => {
    expect(await issues('{ url: "redis://10.0.0.1:6379,10.0.0.2:6379" }')).toEqual([expect.stringMatching(/^redis\.url: one host only: for Redis Cluster list the nodes in redis\.cluster\.nodes/)]);
    expect(await issues('{ url: "redis://10.0.0.1,10.0.0.2:6379" }')).toEqual([expect.stringMatching(/^redis\.url: one host only/)]);
    expect(await issues('{ url: "redis://10.0.0.1:6379/x" }')).toEqual(['redis.url: the path is the database number (redis://host:6379/0), not "/x"']);
    expect(await issues('{ url: "redis+cluster://10.0.0.1:6379" }')).toEqual([expect.stringMatching(/^redis\.url: a redis:\/\/ or rediss:\/\/ URL, not redis\+cluster:\/\//)]);
    expect(await issues('{ url: "redis://:pw@10.0.0.1:99999" }')).toEqual([expect.stringMatching(/^redis\.url: not a URL/)]);
    // The same rules for $REDIS_URL, and the password never appears in the message.
    const fromEnv = await issues('{}', { ...env, REDIS_URL: 'redis://:hunter2@a:6379,b:6379' });
    expect(fromEnv).toEqual([expect.stringMatching(/^REDIS_URL \(environment\): one host only/)]);
    expect(fromEnv.join()).not.toContain('hunter2');
  });

  it('accepts a cluster, and requires a hash-tag prefix for it (BullMQ keeps each queue in one slot)', async () => {
    const c = await parseConfig(`${base}redis: { cluster: { nodes: ["10.0.0.1:7000", { host: "10.0.0.2", port: 7001 }, "[::1]:7002"] }, prefix: "{ors}" }\n`, '/x.yaml', env);
    expect(c.redis).toEqual({ mode: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }], tls: false, prefix: '{ors}' });
    expect(describeRedis(c.redis)).toBe('Redis Cluster 10.0.0.1:7000,10.0.0.2:7001,::1:7002');
    expect(await issues('{ cluster: { nodes: ["10.0.0.1:7000"] } }')).toEqual(['redis.prefix: needs a hash tag with redis.cluster, e.g. "{ors}": every key of a queue must be in one Redis Cluster slot']);
    expect(await issues('{ cluster: { nodes: ["10.0.0.1:7000"] }, prefix: "ors{}" }')).toEqual([expect.stringMatching(/^redis\.prefix: needs a hash tag/)]);
    expect(await issues('{ cluster: { nodes: [] }, prefix: "{ors}" }')).toEqual(['redis.cluster.nodes: at least one node (host:port)']);
    expect(await issues('{ cluster: { nodes: ["10.0.0.1"] }, prefix: "{ors}" }')).toEqual(['redis.cluster.nodes[0]: host:port (e.g. 10.0.0.5:6379) or {host, port}']);
    expect(await issues('{ cluster: { nodes: ["10.0.0.1:70000"] }, prefix: "{ors}" }')).toEqual(['redis.cluster.nodes[0]: port 70000 is out of range']);
    expect(await issues('{ cluster: { nodes: ["10.0.0.1:7000"] }, prefix: "{ors}", db: 2 }')).toEqual(['redis.db: Redis Cluster has only database 0']);
    expect(await issues('{ url: "redis://h:6379", cluster: { nodes: ["10.0.0.1:7000"] }, prefix: "{ors}" }')).toEqual(['redis.cluster: give one of url, cluster or sentinels, not url and cluster']);
  });

  it('accepts Sentinel with the master name, and passwords from files, never shown', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ors-cfg-'));
    await writeFile(join(dir, 'redis-pw'), 'redis-secret\n');
    const c = await parseConfig(
      `${base}redis: { sentinels: ["10.0.0.1:26379", "10.0.0.2:26379"], name: mymaster, db: 1, passwordFile: ./redis-pw, sentinelPassword: "\${SENTINEL_PW}" }\n`,
      join(dir, 'config.yaml'),
      { ...env, SENTINEL_PW: 'sentinel-secret' },
    );
    expect(c.redis).toMatchObject({ mode: 'sentinel', name: 'mymaster', db: 1, sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }] });
    if (c.redis.mode !== 'sentinel') throw new Error('sentinel expected');
    expect(c.redis.password?.reveal()).toBe('redis-secret');
    expect(c.redis.sentinelPassword?.reveal()).toBe('sentinel-secret');
    expect(c.warnings).toEqual([]);
    for (const printed of [JSON.stringify(c), inspect(c, { depth: 10 }), describeRedis(c.redis)]) {
      expect(printed).not.toContain('redis-secret');
      expect(printed).not.toContain('sentinel-secret');
    }
    expect(await issues('{ sentinels: ["10.0.0.1:26379"] }')).toEqual([expect.stringMatching(/^redis\.name: required with sentinels/)]);
    expect(await issues('{ name: mymaster }')).toEqual(['redis.name: only with sentinels']);
    expect(await issues('{ sentinels: ["10.0.0.1:26379"], name: m, password: a, passwordFile: b }')).toEqual(['redis.passwordFile: give password or passwordFile, not both']);
  });

  it('warns about a password written inline, in the url or in redis.password', async () => {
    const url = await parseConfig(`${base}redis: { url: "redis://:pasted@10.0.0.1:6379" }\n`, '/x.yaml', env);
    expect(url.warnings).toEqual([expect.stringMatching(/^redis\.url carries a password inline in \/x\.yaml/)]);
    expect(url.warnings.join()).not.toContain('pasted');
    const pw = await parseConfig(`${base}redis: { cluster: { nodes: ["10.0.0.1:7000"] }, prefix: "{ors}", password: pasted }\n`, '/x.yaml', env);
    expect(pw.warnings).toEqual([expect.stringMatching(/^redis\.password is written inline/)]);
    expect(await issues('{ url: "redis://:a@h:6379", password: b }')).toEqual(['redis.password: the url already carries a password: give it in one place']);
  });

  it('validate exits 2 naming the key, for the file and for $REDIS_URL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ors-cfg-'));
    const file = join(dir, 'config.yaml');
    await writeFile(file, `${base}redis: { url: "redis://:hunter2@10.0.0.1:6379,10.0.0.2:6379" }\n`);
    const bad = await runCli(['validate', '--config', file], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('redis.url: one host only');
    expect(bad.stderr + bad.stdout).not.toContain('hunter2');
    await writeFile(file, base);
    const badEnv = await runCli(['validate', '--config', file], { env: { ...env, REDIS_URL: 'redis://10.0.0.1:6379/x' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('REDIS_URL (environment): the path is the database number');
  });
});
