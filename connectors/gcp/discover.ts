import type { protos } from '@google-cloud/compute';
import type { ClientKind, ComputeClientPool } from './clients.ts';

type Address = protos.google.cloud.compute.v1.IAddress;
type Instance = protos.google.cloud.compute.v1.IInstance;
type ForwardingRule = protos.google.cloud.compute.v1.IForwardingRule;
type Warning = protos.google.cloud.compute.v1.IWarning;

/** One public-IP-bearing field of one compute resource, as the API spelled it. */
export interface Candidate {
  ip: string;
  /** The aggregated-list scope key the item came under: `regions/<r>`, `zones/<z>` or `global`. */
  scopeKey: string;
  /** The item's own `region` / `zone` URL, used when the scope key says nothing. */
  itemLocation?: string | null;
  source: string;
  labels: Record<string, string>;
  /** Set when the vendor's own fields say the address is not an origin (internal, not EXTERNAL…). */
  exclude?: { reason: 'not-public'; detail: string };
}

/** A per-scope warning other than "nothing here on this page" (UNREACHABLE above all). */
export interface ScopeWarning {
  scopeKey: string;
  code: string;
  message: string;
}

export interface SourceResult {
  kind: ClientKind;
  candidates: Candidate[];
  warnings: ScopeWarning[];
  /** Scope entries received: 0 together with an error means nothing at all was read. */
  entries: number;
  error?: unknown;
}

// Each page repeats a NO_RESULTS_ON_PAGE entry for every scope without items on it: not news.
const BENIGN_WARNINGS = new Set(['NO_RESULTS_ON_PAGE']);

/**
 * Reads one aggregated list to its end (every page; the SDK's iterator follows nextPageToken). A failure
 * part-way keeps what was read: those addresses are real, and the error makes the scan partial.
 */
export async function listSource(pool: ComputeClientPool, kind: ClientKind, project: string, signal: AbortSignal): Promise<SourceResult> {
  const out: SourceResult = { kind, candidates: [], warnings: [], entries: 0 };
  // 500 is the API's maximum page size: fewest round trips in production (a fake may still cap it lower).
  const request = { project, maxResults: 500 };
  const seenWarnings = new Set<string>();
  const noteWarning = (scopeKey: string, w: Warning | null | undefined) => {
    if (!w?.code || BENIGN_WARNINGS.has(String(w.code))) return;
    const key = `${scopeKey}\u0000${w.code}`;
    if (seenWarnings.has(key)) return;
    seenWarnings.add(key);
    out.warnings.push({ scopeKey, code: String(w.code), message: w.message ?? '' });
  };
  try {
    const options = pool.callOptions(signal);
    if (kind === 'addresses') {
      const client = await pool.ready('addresses');
      for await (const [scopeKey, scoped] of client.aggregatedListAsync(request, options)) {
        out.entries++;
        noteWarning(scopeKey, scoped.warning);
        for (const a of scoped.addresses ?? []) out.candidates.push(...fromAddress(scopeKey, a));
      }
    } else if (kind === 'instances') {
      const client = await pool.ready('instances');
      for await (const [scopeKey, scoped] of client.aggregatedListAsync(request, options)) {
        out.entries++;
        noteWarning(scopeKey, scoped.warning);
        for (const i of scoped.instances ?? []) out.candidates.push(...fromInstance(scopeKey, i));
      }
    } else {
      const client = await pool.ready('forwardingRules');
      for await (const [scopeKey, scoped] of client.aggregatedListAsync(request, options)) {
        out.entries++;
        noteWarning(scopeKey, scoped.warning);
        for (const r of scoped.forwardingRules ?? []) out.candidates.push(...fromForwardingRule(scopeKey, r));
      }
    }
  } catch (e) {
    out.error = e;
  }
  return out;
}

/**
 * The compute API documents these fields as single addresses, with an IPv6 range's length in a separate
 * field (prefixLength, externalIpv6PrefixLength). Should an IPv6 value ever arrive as `addr/96`, the
 * address is the start of the range GCP assigned, which is the origin; anything else is left for
 * canonicalIp to refuse.
 */
export function addressOnly(value: string): string {
  const m = /^([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)\/(\d{1,3})$/.exec(value);
  return m && Number(m[2]) <= 128 ? (m[1] as string) : value;
}

function labelsOf(labels: Record<string, string> | null | undefined): Record<string, string> {
  return labels ? { ...labels } : {};
}

/** Reserved static addresses, regional and global. IPv6 ones carry a prefixLength: the address is what counts. */
export function fromAddress(scopeKey: string, a: Address): Candidate[] {
  if (!a.address) return [];
  const c: Candidate = {
    ip: addressOnly(a.address),
    scopeKey,
    itemLocation: a.region,
    source: `${scopeKey}/addresses/${a.name ?? '?'}`,
    labels: labelsOf(a.labels),
  };
  // The API omits addressType on external addresses in some older resources; EXTERNAL is its default.
  const type = a.addressType ?? 'EXTERNAL';
  if (type !== 'EXTERNAL') c.exclude = { reason: 'not-public', detail: `addressType ${type}: reachable only inside the VPC` };
  return [c];
}

/** External IPv4 (access configs) and external IPv6 (IPv6 access configs) of every network interface. */
export function fromInstance(scopeKey: string, i: Instance): Candidate[] {
  const out: Candidate[] = [];
  const labels = labelsOf(i.labels);
  for (const [n, nic] of (i.networkInterfaces ?? []).entries()) {
    const nicName = nic.name ?? `nic${n}`;
    for (const ac of nic.accessConfigs ?? []) {
      if (!ac.natIP) continue; // a stopped instance's ephemeral address is released: nothing to map
      out.push({ ip: addressOnly(ac.natIP), scopeKey, itemLocation: i.zone, source: `${scopeKey}/instances/${i.name ?? '?'} (${nicName} natIP)`, labels });
    }
    for (const ac of nic.ipv6AccessConfigs ?? []) {
      if (!ac.externalIpv6) continue;
      out.push({ ip: addressOnly(ac.externalIpv6), scopeKey, itemLocation: i.zone, source: `${scopeKey}/instances/${i.name ?? '?'} (${nicName} externalIpv6)`, labels });
    }
  }
  return out;
}

/** Load balancer frontends: only EXTERNAL / EXTERNAL_MANAGED schemes face the internet. */
export function fromForwardingRule(scopeKey: string, r: ForwardingRule): Candidate[] {
  if (!r.IPAddress) return [];
  const scheme = r.loadBalancingScheme ? String(r.loadBalancingScheme) : '';
  const c: Candidate = {
    ip: addressOnly(r.IPAddress),
    scopeKey,
    itemLocation: r.region,
    source: `${scopeKey}/forwardingRules/${r.name ?? '?'} (${scheme || 'no scheme'})`,
    labels: labelsOf(r.labels),
  };
  if (!scheme.startsWith('EXTERNAL')) {
    c.exclude = {
      reason: 'not-public',
      detail: scheme
        ? `loadBalancingScheme ${scheme}: an internal load balancer`
        : 'no loadBalancingScheme (a Private Service Connect endpoint): internal',
    };
  }
  return [c];
}
