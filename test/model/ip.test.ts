import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIp, compareIps, nonPublicClass, toOrigin, checkRegion } from '../../src/model/index.ts';

describe('canonicalIp', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // tie: first run compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is never compressed
    ['2001:db8::0:1', '2001:db8::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::ffff:192.0.2.1', '192.0.2.1'], // IPv4-mapped → the IPv4 origin
    ['::FFFF:c000:0201', '192.0.2.1'],
  ])('%s → %s', (input, want) => {
    const c = canonicalIp(input);
    expect(c).toMatchObject({ ok: true, ip: want });
  });

  it.each([
    ['fe80::1%eth0', 'zone id'],
    ['192.0.2.0/24', 'CIDR'],
    ['2001:db8::/32', 'CIDR'],
    ['010.0.0.1', 'four decimal'],
    ['1.2.3', 'four decimal'],
    ['0x7f.0.0.1', 'four decimal'],
    ['256.1.1.1', 'four decimal'],
    [' 192.0.2.1', 'whitespace'],
    ['not-an-ip', 'IPv4'],
    ['2001:db8:::1', 'IPv6'],
    ['', 'empty'],
  ])('rejects %s with a reason', (input, reason) => {
    const c = canonicalIp(input);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toContain(reason);
  });

  it('rejects non-strings', () => {
    expect(canonicalIp(12).ok).toBe(false);
    expect(canonicalIp(null).ok).toBe(false);
  });

  it('is idempotent and agrees with itself on every spelling of an IPv6 address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (a) => {
        const c = canonicalIp(a);
        if (!c.ok) return false;
        const again = canonicalIp(c.ip);
        const upper = canonicalIp(a.toUpperCase());
        return again.ok && again.ip === c.ip && upper.ok && upper.ip === c.ip && c.ip === c.ip.toLowerCase();
      }),
    );
  });

  it('orders IPv4 before IPv6 and numerically', () => {
    const ips = ['2001:db8::2', '192.0.2.10', '2001:db8::1', '192.0.2.9'];
    expect([...ips].sort(compareIps)).toEqual(['192.0.2.9', '192.0.2.10', '2001:db8::1', '2001:db8::2']);
  });
});

describe('nonPublicClass', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['2002::1', 'reserved'],
  ])('%s is %s', (ip, cls) => expect(nonPublicClass(ip)).toBe(cls));

  it.each(['192.0.2.1', '198.51.100.7', '203.0.113.200', '2001:db8::1', '8.8.8.8', '2600:1f18::1', '34.1.2.3'])(
    '%s is public (documentation ranges included)',
    (ip) => expect(nonPublicClass(ip)).toBeNull(),
  );
});

describe('regions', () => {
  it('knows each vendor catalogue', () => {
    expect(checkRegion('aws', 'us-east-1')).toEqual({ ok: true });
    expect(checkRegion('gcp', 'europe-west1')).toEqual({ ok: true });
    expect(checkRegion('azure', 'westeurope')).toEqual({ ok: true });
    expect(checkRegion('oci', 'us-ashburn-1')).toEqual({ ok: true });
  });
  it('tells anycast, malformed and unknown apart', () => {
    expect(checkRegion('gcp', 'global')).toMatchObject({ ok: false, reason: 'anycast' });
    expect(checkRegion('aws', 'GLOBAL')).toMatchObject({ ok: false, reason: 'anycast' });
    expect(checkRegion('azure', 'East US')).toMatchObject({ ok: false, reason: 'invalid-region' });
    expect(checkRegion('gcp', 'us-central1-a')).toMatchObject({ ok: false, reason: 'invalid-region' });
    expect(checkRegion('aws', 'us-east-9')).toMatchObject({ ok: false, reason: 'unknown-region' });
  });
});

describe('toOrigin', () => {
  const base = { vendor: 'aws', region: 'us-east-1', scope: 's', source: 'test' };
  it('canonicalizes at the boundary', () => {
    expect(toOrigin({ ...base, ip: '2001:DB8::0:1' })).toMatchObject({ ok: true, origin: { ip: '2001:db8::1' } });
  });
  it('skips with a reason', () => {
    expect(toOrigin({ ...base, ip: '10.0.0.1' })).toMatchObject({ ok: false, skipped: { reason: 'not-public' } });
    expect(toOrigin({ ...base, ip: 'x' })).toMatchObject({ ok: false, skipped: { reason: 'invalid-ip' } });
    expect(toOrigin({ ...base, ip: '192.0.2.1', vendor: 'ibm' })).toMatchObject({ ok: false, skipped: { reason: 'invalid-vendor' } });
    expect(toOrigin({ ...base, ip: '192.0.2.1', region: 'GLOBAL' })).toMatchObject({ ok: false, skipped: { reason: 'anycast' } });
  });
  it('lets a well-formed unknown region through for supported_regions to decide', () => {
    expect(toOrigin({ ...base, ip: '192.0.2.1', region: 'us-east-9' })).toMatchObject({ ok: true });
  });
});
