import { checkRegion, type Origin, type Vendor } from '../model/index.ts';
import { ipKey, type IpKey } from './ip-order.ts';
import { compilePriority, compileSelector } from './selector.ts';
import type { SkipList } from './skips.ts';
import type { PlanInput, PlanSkipReason, ScopeView } from './types.ts';

/** An origin the zone wants, as the winning claim on its address. */
export interface DesiredOrigin {
  origin: Origin;
  connector: string;
  /** Priority rank from the zone's rules (lower first). */
  rank: number;
  /** Status of the scan that claimed it. */
  status: ScopeView['status'];
  key: IpKey;
}

const statusOrder: Record<ScopeView['status'], number> = { complete: 0, partial: 1, failed: 2, never: 3 };

/**
 * Rule 9 and the desired set: the union of what the selected scopes hold, filtered by the zone's selector,
 * regions checked against Cloudflare's supported_regions (or the vendor catalogue when those are not
 * known), one winner per IP. Conflicting claims on an IP (two scopes, two regions) resolve the same way
 * every time: complete scans over incomplete ones, then priority rank, then scope id, then value.
 * What the scans set aside, and every region refused, goes to the skipped list.
 */
export function buildDesired(input: PlanInput, skipped: SkipList): Map<string, DesiredOrigin> {
  const select = compileSelector(input.zone.select);
  const rank = compilePriority(input.zone.priority);
  const desired = new Map<string, DesiredOrigin>();
  // Only addresses claimed more than once keep a list: a million single claims need no array each.
  const contested = new Map<string, DesiredOrigin[]>();

  for (const view of input.scopes) {
    for (const s of view.skipped) {
      const reason: PlanSkipReason = s.reason === 'unknown-region' ? 'invalid-region' : s.reason;
      skipped.addOnce(s.ip, reason, s.detail, s.scope);
    }
    for (const o of view.origins) {
      if (!select(o, view.connector)) continue;
      const unsupported = regionProblem(input, o.vendor, o.region);
      if (unsupported) {
        skipped.addOnce(o.ip, unsupported.reason, unsupported.detail, o.scope);
        continue;
      }
      const claim: DesiredOrigin = { origin: o, connector: view.connector, rank: rank(o, view.connector), status: view.status, key: ipKey(o.ip) };
      const first = desired.get(o.ip);
      if (!first) {
        desired.set(o.ip, claim);
        continue;
      }
      const list = contested.get(o.ip);
      if (list) list.push(claim);
      else contested.set(o.ip, [first, claim]);
    }
  }

  for (const [ip, list] of contested) {
    list.sort(
      (a, b) =>
        statusOrder[a.status] - statusOrder[b.status] ||
        a.rank - b.rank ||
        cmp(a.origin.scope, b.origin.scope) ||
        cmp(a.origin.vendor, b.origin.vendor) ||
        cmp(a.origin.region, b.origin.region),
    );
    const winner = list[0]!;
    desired.set(ip, winner);
    const w = winner.origin;
    const seen = new Set([`${w.vendor}/${w.region}`]);
    for (const loser of list.slice(1)) {
      const value = `${loser.origin.vendor}/${loser.origin.region}`;
      if (seen.has(value)) continue; // the same claim from another scope is not a conflict
      seen.add(value);
      skipped.add(ip, 'conflict', `claimed as ${value} by ${loser.origin.scope}; ${w.vendor}/${w.region} from ${w.scope} wins`, loser.origin.scope);
    }
  }
  return desired;
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
