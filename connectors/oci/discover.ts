import * as core from 'oci-core';
import * as identity from 'oci-identity';
import type { ScanResult, Scope } from '../connector.ts';
import { mapBounded } from '../shared/concurrency.ts';
import { ScanCollector } from '../shared/scan-collector.ts';
import { matchesTags } from '../shared/tags.ts';
import type { OciAuth } from './credentials.ts';
import { regionClients, type RegionClients } from './clients.ts';
import { describeError, isAbort } from './errors.ts';
import { eachPage } from './pages.ts';
import { ociTags } from './tags.ts';
import { failedScan } from '../shared/failed-scan.ts';

export interface DiscoverOptions {
  endpoint: string | undefined;
  concurrency: number;
  tags: Record<string, string> | undefined;
}

type PublicIp = core.models.PublicIp;
type Subnet = core.models.Subnet;

const { Scope: IpScope } = core.requests.ListPublicIpsRequest;
/** OCI list calls take `limit` 1–1000 (the service's default page is smaller): the fewest round trips. */
const PAGE = 1000;

/** At most this many distinct failure messages in a scan's error; the rest are counted. */
const MAX_ERRORS = 5;

/**
 * One tenancy × region. The compartment tree (with its root, the tenancy) and the region's availability
 * domains are read first: without them nothing else can be listed, so their failure fails the scope. Then,
 * per compartment, with at most `concurrency` calls in flight: reserved public IPs, regional ephemeral
 * public IPs (NAT gateways), AD-scoped ephemeral public IPs (instance VNICs; REGION scope never returns
 * them) per availability domain, and the compartment's subnets; then the IPv6 addresses of every subnet
 * that has an IPv6 prefix. A failed compartment or subnet makes the scan partial.
 */
export async function discoverRegion(scope: Scope, auth: OciAuth, opts: DiscoverOptions, signal: AbortSignal): Promise<ScanResult> {
  const region = scope.region;
  const collector = new ScanCollector(scope);
  const failures: string[] = [];
  let succeeded = 0;
  const aborted = (): ScanResult => failedScan(`${region}: discovery aborted`);

  let clients: RegionClients;
  let compartments: string[];
  let ads: string[];
  try {
    clients = regionClients(auth, region, opts.endpoint, signal);
    compartments = await listCompartments(clients.identity, auth.tenancy, signal);
    const r = await clients.identity.listAvailabilityDomains({ compartmentId: auth.tenancy });
    ads = r.items.flatMap((ad) => (ad.name ? [ad.name] : []));
  } catch (e) {
    if (isAbort(e, signal)) return aborted();
    return failedScan(`${region}: listing compartments and availability domains: ${describeError(e)}`);
  }
  const { network } = clients;

  const run = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
      succeeded++;
    } catch (e) {
      failures.push(isAbort(e, signal) ? `${what}: aborted` : `${what}: ${describeError(e)}`);
    }
  };

  const publicIps = (compartmentId: string, what: string, req: Omit<core.requests.ListPublicIpsRequest, 'compartmentId' | 'page'>) =>
    run(`${what} in ${compartmentId}`, () =>
      eachPage(
        signal,
        (page) => network.listPublicIps({ ...req, compartmentId, page }),
        (items) => items.forEach((ip) => addPublicIp(collector, opts.tags, region, ip)),
      ),
    );

  // Only what the IPv6 listing needs of each subnet is kept, not the SDK's whole objects.
  const v6Subnets: V6Subnet[] = [];
  const tasks: Array<() => Promise<void>> = [];
  for (const c of compartments) {
    // `scope` (required) partitions the addresses; the optional `lifetime` filter is not sent: one
    // REGION listing holds the reserved and the regional ephemeral addresses alike, and no result then
    // depends on an endpoint implementing that filter.
    tasks.push(() => publicIps(c, 'regional public IPs', { scope: IpScope.Region, limit: PAGE }));
    for (const ad of ads) {
      tasks.push(() => publicIps(c, `ephemeral public IPs of ${ad}`, { scope: IpScope.AvailabilityDomain, availabilityDomain: ad, limit: PAGE }));
    }
    // Subnets by compartment, not VCN by VCN: a subnet may live in another compartment than its VCN, and
    // every compartment is visited anyway.
    tasks.push(() =>
      run(`subnets in ${c}`, () =>
        eachPage(
          signal,
          (page) => network.listSubnets({ compartmentId: c, page, limit: PAGE }),
          (items) => {
            for (const s of items) if (hasIpv6Prefix(s)) v6Subnets.push({ id: s.id, prohibitInternetIngress: s.prohibitInternetIngress });
          },
        ),
      ),
    );
  }
  await mapBounded(tasks, opts.concurrency, (t) => t());
  if (signal.aborted) return aborted();

  await mapBounded(v6Subnets, opts.concurrency, (subnet) =>
    run(`IPv6 addresses of subnet ${subnet.id}`, () =>
      eachPage(
        signal,
        (page) => network.listIpv6s({ subnetId: subnet.id, page, limit: PAGE }),
        (items) => items.forEach((v6) => addIpv6(collector, opts.tags, region, subnet, v6)),
      ),
    ),
  );
  if (signal.aborted) return aborted();

  if (failures.length > 0) {
    const distinct = [...new Set(failures)];
    const more = distinct.length > MAX_ERRORS ? `; and ${distinct.length - MAX_ERRORS} more` : '';
    collector.fail(`${region}: ${failures.length} of ${failures.length + succeeded} listings failed: ${distinct.slice(0, MAX_ERRORS).join('; ')}${more}`);
  }
  return collector.result(failures.length > 0 && succeeded === 0 ? 'failed' : undefined);
}

type V6Subnet = Pick<Subnet, 'id' | 'prohibitInternetIngress'>;

async function listCompartments(client: identity.IdentityClient, tenancy: string, signal: AbortSignal): Promise<string[]> {
  // ListCompartments never returns the root compartment, which is the tenancy itself.
  const ids = new Set([tenancy]);
  await eachPage(
    signal,
    (page) =>
      client.listCompartments({
        compartmentId: tenancy,
        compartmentIdInSubtree: true,
        accessLevel: identity.requests.ListCompartmentsRequest.AccessLevel.Accessible,
        lifecycleState: identity.models.Compartment.LifecycleState.Active,
        page,
        limit: PAGE,
      }),
    (items) => {
      for (const c of items) if (c.lifecycleState === identity.models.Compartment.LifecycleState.Active && c.isAccessible !== false) ids.add(c.id);
    },
  );
  return [...ids];
}

function hasIpv6Prefix(s: Subnet): boolean {
  // An IPv6 address can only exist inside one of the subnet's IPv6 prefixes; skipping the rest saves one
  // call per IPv4-only subnet on every scan.
  return Boolean(s.ipv6CidrBlock) || (s.ipv6CidrBlocks?.length ?? 0) > 0;
}

function addPublicIp(collector: ScanCollector, filter: Record<string, string> | undefined, region: string, ip: PublicIp): void {
  const tags = ociTags(ip.freeformTags, ip.definedTags);
  if (!matchesTags(filter, tags)) return;
  const lifetime = (ip.lifetime ?? 'unknown').toLowerCase();
  const entity = ip.assignedEntityType ? `on ${ip.assignedEntityType}` : 'unassigned';
  const source = `${ip.id ?? 'public IP'} (${lifetime} public IP ${entity})`;
  // Only an assigned address has something behind it: AVAILABLE is a reserved IP kept for later,
  // PROVISIONING / ASSIGNING / UNASSIGNING / TERMINATING are in flight (the next scan sees where they land).
  if (ip.lifecycleState !== core.models.PublicIp.LifecycleState.Assigned) {
    collector.skip({ ip: String(ip.ipAddress ?? ''), reason: 'unassigned', detail: `${lifetime} public IP is ${ip.lifecycleState ?? 'in an unknown state'}, not ASSIGNED: nothing answers on it`, source });
    return;
  }
  collector.add({ ip: ip.ipAddress, vendor: 'oci', region, source, tags });
}

function addIpv6(collector: ScanCollector, filter: Record<string, string> | undefined, region: string, subnet: V6Subnet, v6: core.models.Ipv6): void {
  const tags = ociTags(v6.freeformTags, v6.definedTags);
  if (!matchesTags(filter, tags)) return;
  const source = `${v6.id} (IPv6 on ${v6.vnicId ?? 'no VNIC'})`;
  const skip = (detail: string, reason: 'unassigned' | 'not-public' = 'unassigned') => collector.skip({ ip: String(v6.ipAddress ?? ''), reason, detail, source });
  if (v6.lifecycleState !== core.models.Ipv6.LifecycleState.Available) return skip(`IPv6 address is ${v6.lifecycleState}, not AVAILABLE`);
  if (v6.ipState !== undefined && v6.ipState !== core.models.Ipv6.IpState.Assigned) return skip(`IPv6 address is not assigned to a VNIC (ipState ${v6.ipState})`);
  // OCI IPv6 addresses are global unicast whatever the subnet; only a public subnet lets the internet in.
  if (subnet.prohibitInternetIngress === true) return skip(`subnet ${subnet.id} prohibits internet ingress (a private subnet)`, 'not-public');
  collector.add({ ip: v6.ipAddress, vendor: 'oci', region, source, tags });
}
