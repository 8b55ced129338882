import ipaddr from 'ipaddr.js';

/**
 * Why an address is not a public origin. Special-purpose ranges come from the IANA IPv4 and IPv6
 * special-purpose address registries (RFC 6890 and successors). The documentation ranges are the one
 * exception: Cloudflare's own examples, the demo and the tests use them, so they count as public.
 */
export type NonPublicClass =
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'unique-local'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'reserved';

const DOCUMENTATION = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'];

const NON_PUBLIC: ReadonlyArray<readonly [string, NonPublicClass]> = [
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'reserved'], // "this network"
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
  ['192.31.196.0/24', 'reserved'], // AS112
  ['192.52.193.0/24', 'reserved'], // AMT
  ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['192.175.48.0/24', 'reserved'], // direct delegation AS112
  ['198.18.0.0/15', 'reserved'], // benchmarking
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'reserved'], // deprecated IPv4-compatible
  ['64:ff9b::/96', 'reserved'], // NAT64 well-known prefix: not an origin of its own
  ['64:ff9b:1::/48', 'reserved'],
  ['100::/64', 'reserved'], // discard-only
  ['2001::/23', 'reserved'], // IETF protocol assignments (Teredo, ORCHID, benchmarking…)
  ['2002::/16', 'reserved'], // 6to4
  ['3fff::/20', 'reserved'], // documentation, but not one Cloudflare's examples use
  ['5f00::/16', 'reserved'], // SRv6 SIDs
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'reserved'], // deprecated site-local
  ['ff00::/8', 'multicast'],
];

const parsedDocs = DOCUMENTATION.map((c) => ipaddr.parseCIDR(c));
const parsedNonPublic = NON_PUBLIC.map(([c, cls]) => [ipaddr.parseCIDR(c), cls] as const);

/** null when the (canonical) address is a public origin, else the class that keeps it out. */
export function nonPublicClass(canonical: string): NonPublicClass | null {
  const addr = ipaddr.parse(canonical);
  for (const range of parsedDocs) if (addr.kind() === range[0].kind() && addr.match(range)) return null;
  for (const [range, cls] of parsedNonPublic) if (addr.kind() === range[0].kind() && addr.match(range)) return cls;
  // Only global unicast is public in IPv6 (2000::/3); everything else is unassigned or special.
  if (addr.kind() === 'ipv6' && !addr.match(ipaddr.parseCIDR('2000::/3'))) return 'reserved';
  return null;
}
