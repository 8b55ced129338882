import type { TestProject } from 'vitest/node';
import { startPrivateRedis, type PrivateRedis } from '../../src/state/private-redis.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let redis: PrivateRedis | undefined;

/**
 * Tests never touch a Redis on 6379 that may hold someone's data: they get a private redis-server on a
 * free port, or the dedicated instance named by TEST_REDIS_URL.
 */
export async function setup(project: TestProject): Promise<void> {
  const url = process.env.TEST_REDIS_URL;
  if (url) {
    project.provide('redisUrl', url);
    return;
  }
  redis = await startPrivateRedis();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
