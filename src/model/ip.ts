import ipaddr from 'ipaddr.js';

export type IpFamily = 4 | 6;
export type CanonicalIp = { ok: true; ip: string; family: IpFamily } | { ok: false; reason: string };

/**
 * The one spelling of an IP address used everywhere (connector output, Cloudflare responses, config):
 * IPv4 as a dotted quad, IPv6 in RFC 5952 form (lowercase, no leading zeros, the longest run of two or
 * more zero groups compressed, the first one on a tie).
 *
 * IPv4-mapped IPv6 (`::ffff:192.0.2.1`) becomes the IPv4 address it maps: the origin behind it is reached
 * over IPv4, and keeping both spellings would let one origin take two of the zone's 3,500 mappings.
 *
 * Rejected with a reason: zone ids (`fe80::1%eth0`, meaningless off the host), CIDRs, IPv4 in other than
 * four-part decimal (`010.1.1.1`, `0x7f.1`, `1.2.3`: ambiguous, octal in some parsers), surrounding space
 * and anything else that is not an address.
 */
export function canonicalIp(input: unknown): CanonicalIp {
  if (typeof input !== 'string') return { ok: false, reason: 'not a string' };
  if (input.length === 0) return { ok: false, reason: 'empty' };
  if (input.length > 64) return { ok: false, reason: 'too long to be an IP address' };
  if (input.trim() !== input) return { ok: false, reason: 'surrounding whitespace' };
  if (input.includes('/')) return { ok: false, reason: 'a CIDR, not a single address' };
  if (input.includes('%')) return { ok: false, reason: 'an IPv6 zone id is not allowed' };
  if (input.includes(':')) {
    if (!ipaddr.IPv6.isValid(input)) return { ok: false, reason: 'not a valid IPv6 address' };
    const v6 = ipaddr.IPv6.parse(input);
    if (v6.isIPv4MappedAddress()) return { ok: true, ip: v6.toIPv4Address().toString(), family: 4 };
    return { ok: true, ip: v6.toRFC5952String(), family: 6 };
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(input)) return { ok: false, reason: 'not a valid IPv4 address (four decimal parts)' };
  return { ok: true, ip: ipaddr.IPv4.parse(input).toString(), family: 4 };
}

/** canonicalIp for callers that hold an address already known to be valid; throws otherwise. */
export function mustCanonicalIp(input: string): string {
  const c = canonicalIp(input);
  if (!c.ok) throw new Error(`invalid IP address ${JSON.stringify(input)}: ${c.reason}`);
  return c.ip;
}

const sortKeys = new Map<string, string>();

/** A string that sorts like the address: family first, then the bytes in hex. Cached: plans sort thousands. */
function sortKey(ip: string): string {
  let key = sortKeys.get(ip);
  if (key === undefined) {
    const bytes = ipaddr.parse(ip).toByteArray();
    key = (bytes.length === 4 ? '4' : '6') + Buffer.from(bytes).toString('hex');
    if (sortKeys.size >= 200_000) sortKeys.clear();
    sortKeys.set(ip, key);
  }
  return key;
}

/** Total order on canonical IPs: IPv4 before IPv6, then numerically. Used wherever output must be stable. */
export function compareIps(a: string, b: string): number {
  const x = sortKey(a);
  const y = sortKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
