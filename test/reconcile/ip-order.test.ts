import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareIps } from '../../src/model/index.ts';
import { basisDigest, basisDigestByIp } from '../../src/reconcile/digest.ts';
import { compareKeys, ipKey, lexicographicOrder, safeIpKey } from '../../src/reconcile/ip-order.ts';

const address = fc.oneof(fc.ipV4(), fc.ipV6().map((ip) => ip.toLowerCase()), fc.constantFrom('1.2.3.4', '1.2.3.45', '12.0.0.1', '255.255.255.255'));
const canonical = (ip: string) => (ip.includes(':') ? ipKeyCanonical(ip) : ip);
function ipKeyCanonical(ip: string): string {
  // fc.ipV6 may spell an address non-canonically; the planner only ever sees canonical ones.
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

describe('address order', () => {
  it('orders keys as compareIps orders addresses', () => {
    fc.assert(
      fc.property(address, address, (a, b) => {
        const [x, y] = [canonical(a), canonical(b)];
        expect(Math.sign(compareKeys(ipKey(x), ipKey(y)))).toBe(Math.sign(compareIps(x, y)));
      }),
    );
  });

  it('sorts garbage after every IPv4 address, and a non-canonical spelling with its address', () => {
    expect(safeIpKey('not-an-ip')).toBe(0xffffffff);
    expect(safeIpKey('::ffff:1.2.3.4')).toBe(ipKey('1.2.3.4'));
    expect(safeIpKey('010.1.1.1')).toBe(0xffffffff);
  });

  it('orders distinct strings as Array.prototype.sort does, and the desired digest is basisDigest', () => {
    fc.assert(
      fc.property(fc.uniqueArray(address.map(canonical), { maxLength: 200 }), (ips) => {
        expect(lexicographicOrder(ips).map((i) => ips[i])).toEqual([...ips].sort());
        const entries = ips.map((ip, i) => ({ ip, vendor: i % 2 ? 'aws' : 'gcp', region: `r${i % 3}` }));
        expect(basisDigestByIp(entries)).toBe(basisDigest(entries));
      }),
    );
  });
});
