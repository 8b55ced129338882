import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../src/cloudflare/errors.ts';
import { parseRateBudget, retryAfterMs } from '../../src/cloudflare/rate-limit.ts';

const h = (init: Record<string, string>) => new Headers(init);
const NOW = Date.parse('2026-10-05T12:00:00Z');

describe('parseRateBudget', () => {
  it('reads the current IETF form and pairs the policy by name', () => {
    const b = parseRateBudget(
      h({ ratelimit: '"burst";r=9;t=5, "default";r=50;t=30', 'ratelimit-policy': '"default";q=1200;w=300, "burst";q=100;w=60' }),
      NOW,
    );
    // the most restrictive limit wins, with its own policy
    expect(b).toEqual({ remaining: 9, resetSeconds: 5, quota: 100, windowSeconds: 60 });
  });

  it('falls back to the first policy when the names differ (as Cloudflare has been seen to send)', () => {
    expect(parseRateBudget(h({ ratelimit: '"default";r=50;t=30', 'ratelimit-policy': '"burst";q=100;w=60' }), NOW)).toEqual({
      remaining: 50,
      resetSeconds: 30,
      quota: 100,
      windowSeconds: 60,
    });
  });

  it('reads the current form without a policy header', () => {
    expect(parseRateBudget(h({ ratelimit: '"default";r=0;t=300' }), NOW)).toEqual({ remaining: 0, resetSeconds: 300 });
  });

  it('reads the draft-07 dictionary form', () => {
    expect(parseRateBudget(h({ ratelimit: 'limit=100, remaining=42, reset=17', 'ratelimit-policy': '100;w=60' }), NOW)).toEqual({
      remaining: 42,
      resetSeconds: 17,
      quota: 100,
      windowSeconds: 60,
    });
  });

  it('reads the separate RateLimit-Limit/-Remaining/-Reset headers of drafts 00-06', () => {
    expect(parseRateBudget(h({ 'ratelimit-limit': '1200, 1200;w=300', 'ratelimit-remaining': '7', 'ratelimit-reset': '12' }), NOW)).toEqual({
      remaining: 7,
      resetSeconds: 12,
      quota: 1200,
      windowSeconds: 300,
    });
  });

  it('reads X-RateLimit-* with the reset as seconds, epoch seconds or epoch milliseconds', () => {
    expect(parseRateBudget(h({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '20' }), NOW)).toEqual({
      remaining: 3,
      resetSeconds: 20,
      quota: 60,
    });
    expect(parseRateBudget(h({ 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': String(NOW / 1000 + 45) }), NOW)).toEqual({
      remaining: 3,
      resetSeconds: 45,
    });
    expect(parseRateBudget(h({ 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': String(NOW + 9_000) }), NOW)).toEqual({
      remaining: 3,
      resetSeconds: 9,
    });
  });

  it('takes the smallest remaining when several forms are present', () => {
    const b = parseRateBudget(h({ ratelimit: '"default";r=500;t=100', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset': '60' }), NOW);
    expect(b).toMatchObject({ remaining: 4, resetSeconds: 60 });
  });

  it.each([
    [{}],
    [{ ratelimit: 'garbage' }],
    [{ ratelimit: '"default";r=-1;t=5' }],
    [{ ratelimit: '"default";r=5' }],
    [{ ratelimit: 'limit=1, remaining=x, reset=3' }],
    [{ 'ratelimit-policy': '"burst";q=100;w=60' }],
    [{ 'x-ratelimit-remaining': '5' }],
    [{ ratelimit: '";;;,,,"' }],
  ])('gives nothing for headers that describe no budget: %j', (init) => {
    expect(parseRateBudget(h(init), NOW)).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  it('prefers retry-after-ms', () => {
    expect(retryAfterMs(h({ 'retry-after-ms': '1500', 'retry-after': '30' }), NOW)).toBe(1500);
  });
  it('reads Retry-After seconds', () => {
    expect(retryAfterMs(h({ 'retry-after': '30' }), NOW)).toBe(30_000);
  });
  it('reads Retry-After as an HTTP date', () => {
    expect(retryAfterMs(h({ 'retry-after': new Date(NOW + 90_000).toUTCString() }), NOW)).toBe(90_000);
    expect(retryAfterMs(h({ 'retry-after': new Date(NOW - 90_000).toUTCString() }), NOW)).toBe(0);
  });
  it('falls back to the Ratelimit t= value, then to 60 s', () => {
    expect(retryAfterMs(h({ ratelimit: '"default";r=0;t=42' }), NOW)).toBe(42_000);
    expect(retryAfterMs(h({ 'retry-after': 'soon' }), NOW)).toBe(60_000);
    expect(retryAfterMs(h({}), NOW)).toBe(60_000);
  });
});

describe('classifyFailure', () => {
  it.each([
    [429, [], 'rate_limited'],
    [400, [971], 'rate_limited'],
    [403, [1164], 'cap_reached'],
    [400, [1157], 'invalid'],
    [400, [1146], 'invalid'],
    [422, [], 'invalid'],
    [404, [1142], 'not_found'],
    [404, [1163], 'not_found'],
    [404, [], 'no_route'],
    [400, [7003, 7000], 'no_route'],
    [404, [7003], 'no_route'],
    [400, [6003, 6103], 'auth'],
    [403, [10000], 'auth'],
    [401, [], 'auth'],
    [403, [], 'auth'],
    [500, [1140], 'transient'],
    [502, [], 'transient'],
    [503, [1156], 'transient'],
    [408, [], 'transient'],
    [302, [], 'unexpected'],
    [0, [], 'unexpected'],
    [0, [1164], 'cap_reached'],
  ] as const)('%i %j → %s', (status, codes, want) => {
    expect(classifyFailure(status, codes)).toBe(want);
  });
});
