import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

export function redisUrl(): string {
  return inject('redisUrl');
}

/** A key prefix of its own per test, so tests sharing the private Redis never see each other's keys. */
export function uniquePrefix(name = 't'): string {
  return `${name}-${randomBytes(4).toString('hex')}`;
}
