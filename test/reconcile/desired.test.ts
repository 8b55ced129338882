import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { buildDesired } from '../../src/reconcile/desired.ts';
import { compareKeys, ipKey, lexicographicOrder, lexicographicOrderOf, radixOrder } from '../../src/reconcile/ip-order.ts';
import { SkipList } from '../../src/reconcile/skips.ts';
import type { ScopeView } from '../../src/reconcile/types.ts';
import { input, origin, view, zone } from '../helpers/plan-fixtures.ts';

/**
 * The desired set's typed-array form against what a Map keyed by address gives: the same winners, in
 * first-claim order, found by address, and in address order when asked.
 */
const POOL = Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? `2001:db8::${(i * 41).toString(16)}` : `${[9, 128, 203, 255][i % 4]}.${i}.0.${(i * 13) % 256}`));

describe('radixOrder', () => {
  it('sorts as a stable comparison sort does, ties in index order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(0, 1, 0xffff, 0x10000, 0xffffffff), fc.nat({ max: 0xffffffff })), { maxLength: 300 }), (keys) => {
        const plain = keys.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
        expect(Array.from(radixOrder(Uint32Array.from(keys)))).toEqual(plain);
      }),
    );
  });
});

describe('ipKey', () => {
  it('gives the key ipaddr parsing gives, for any spelling (or throws as it does)', () => {
    const viaIpaddr = (ip: string) => ['6', ...ipaddr.IPv6.parse(ip).parts.map((p) => p.toString(16).padStart(4, '0'))].join('');
    const attempt = (f: () => string | number) => {
      try {
        return f();
      } catch {
        return 'throws';
      }
    };
    const odd = fc.constantFrom('::', '::1', '1::', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::2::3', ':1', '1:', '1:::2', '2001:DB8::1', '12345::', '::ffff:1.2.3.4', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '0001:02::');
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), odd), (ip) => {
        expect(attempt(() => ipKey(ip))).toBe(attempt(() => viaIpaddr(ip)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('lexicographicOrderOf', () => {
  it('gives the same order with the dotted-quad values supplied', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(fc.ipV4(), fc.constantFrom(...POOL)), { maxLength: 100 }), (ips) => {
        const values = ips.map((ip) => (ip.includes(':') ? -1 : ip.split('.').reduce((v, p) => v * 256 + Number(p), 0)));
        expect(Array.from(lexicographicOrderOf(ips.length, (i) => ips[i]!, (i) => values[i]!))).toEqual(lexicographicOrder(ips));
      }),
    );
  });
});

describe('buildDesired', () => {
  const scopes = fc.array(
    fc.record({
      status: fc.constantFrom('complete', 'partial', 'failed' as const),
      origins: fc.array(fc.record({ ip: fc.constantFrom(...POOL), region: fc.constantFrom('us-east-1', 'eu-west-1'), gold: fc.boolean() }), { maxLength: 25 }),
    }),
    { maxLength: 4 },
  );

  it('keeps one winner per address, in first-claim order, found by address and ordered by key', () => {
    fc.assert(
      fc.property(scopes, (raw) => {
        const views: ScopeView[] = raw.map((r, s) =>
          view(
            r.origins.map((o) => origin(o.ip, 'aws', o.region, { scope: `inv/aws/${s}/x`, tags: o.gold ? { tier: 'gold' } : {} })),
            { scope: `inv/aws/${s}/x`, status: r.status },
          ),
        );
        const plan = input({ zone: zone({ priority: [{ tags: { tier: 'gold' } }] }), scopes: views });
        const desired = buildDesired(plan, new SkipList());
        const firstClaims = [...new Set(views.flatMap((v) => v.origins.map((o) => o.ip)))];
        expect(desired.size).toBe(firstClaims.length);
        expect(Array.from({ length: desired.size }, (_, i) => desired.origin(i).ip)).toEqual(firstClaims);
        for (let i = 0; i < desired.size; i++) {
          const d = desired.at(i);
          expect(desired.indexOf(d.origin.ip)).toBe(i);
          expect(desired.get(d.origin.ip)).toEqual(d);
          expect(d.key).toEqual(ipKey(d.origin.ip));
          expect(d.rank).toBe(d.origin.tags.tier === 'gold' ? 0 : 1);
        }
        for (const ip of POOL) expect(desired.has(ip)).toBe(firstClaims.includes(ip));
        const all = Uint32Array.from({ length: desired.size }, (_, i) => i);
        const byAddress = Array.from(desired.byAddress(all), (i) => desired.origin(i).ip);
        expect(byAddress).toEqual([...firstClaims].sort((a, b) => compareKeys(ipKey(a), ipKey(b))));
      }),
      { numRuns: 300 },
    );
  });
});
