import { checkRegion, type Origin, type Vendor } from '../../../src/model/index.ts';
import { compilePriority, compileSelector } from '../../../src/reconcile/selector.ts';
import type { PlanInput, PlanSkip, PlanSkipReason, ScopeView } from '../../../src/reconcile/types.ts';

export interface DesiredOrigin extends Origin {
  connector: string;
  /** Priority rank from the zone's rules (lower first). */
  rank: number;
}

const statusOrder: Record<ScopeView['status'], number> = { complete: 0, partial: 1, failed: 2, never: 3 };

/**
 * The zone's desired set: the union of what the selected scopes hold, filtered by the zone's selector,
 * regions checked against Cloudflare's supported_regions (or the vendor catalogue when those are not
 * known), one winner per IP. Conflicting claims on an IP (two scopes, two regions) resolve the same way
 * every time: complete scans over incomplete ones, then priority rank, then scope id, then value.
 */
export function buildDesired(input: PlanInput): { desired: Map<string, DesiredOrigin>; skipped: PlanSkip[] } {
  const select = compileSelector(input.zone.select);
  const rank = compilePriority(input.zone.priority);
  const skipped: PlanSkip[] = [];
  const claims = new Map<string, Array<DesiredOrigin & { status: ScopeView['status'] }>>();

  for (const view of input.scopes) {
    for (const s of view.skipped) {
      const reason: PlanSkipReason = s.reason === 'unknown-region' ? 'invalid-region' : s.reason;
      skipped.push({ ip: s.ip, reason, detail: s.detail, scope: s.scope });
    }
    for (const o of view.origins) {
      if (!select(o, view.connector)) continue;
      const unsupported = regionProblem(input, o.vendor, o.region);
      if (unsupported) {
        skipped.push({ ip: o.ip, reason: unsupported.reason, detail: unsupported.detail, scope: o.scope });
        continue;
      }
      const list = claims.get(o.ip) ?? [];
      list.push({ ...o, connector: view.connector, rank: rank(o, view.connector), status: view.status });
      claims.set(o.ip, list);
    }
  }

  const desired = new Map<string, DesiredOrigin>();
  for (const [ip, list] of claims) {
    list.sort(
      (a, b) =>
        statusOrder[a.status] - statusOrder[b.status] ||
        a.rank - b.rank ||
        cmp(a.scope, b.scope) ||
        cmp(a.vendor, b.vendor) ||
        cmp(a.region, b.region),
    );
    const winner = list[0]!;
    const { status: _status, ...origin } = winner;
    desired.set(ip, origin);
    const seen = new Set([`${winner.vendor}/${winner.region}`]);
    for (const loser of list.slice(1)) {
      const value = `${loser.vendor}/${loser.region}`;
      if (seen.has(value)) continue; // the same claim from another scope is not a conflict
      seen.add(value);
      skipped.push({
        ip,
        reason: 'conflict',
        detail: `claimed as ${value} by ${loser.scope}; ${winner.vendor}/${winner.region} from ${winner.scope} wins`,
        scope: loser.scope,
      });
    }
  }
  return { desired, skipped };
}

function regionProblem(input: PlanInput, vendor: Vendor, region: string): { reason: PlanSkipReason; detail: string } | null {
  if (input.supportedRegions) {
    if (input.supportedRegions.get(vendor)?.has(region)) return null;
    return { reason: 'unsupported-region', detail: `${vendor} region "${region}" is not in the zone's supported_regions` };
  }
  const r = checkRegion(vendor, region);
  if (r.ok) return null;
  return { reason: r.reason === 'anycast' ? 'anycast' : 'invalid-region', detail: r.detail };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
