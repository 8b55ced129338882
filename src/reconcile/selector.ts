import ipaddr from 'ipaddr.js';
import { wildcardMatcher, type Origin } from '../model/index.ts';
import type { Selector } from './types.ts';

export type OriginMatcher = (origin: Origin, connector: string) => boolean;

/** Compiles a selector once (regex and CIDR parsing are not free at 5,000 origins × N rules). */
export function compileSelector(sel: Selector): OriginMatcher {
  const region = wildcardMatcher(sel.regions);
  const cidrs = (sel.cidrs ?? []).map((c) => ipaddr.parseCIDR(c));
  const tags = Object.entries(sel.tags ?? {});
  return (o, connector) => {
    if (sel.connectors && sel.connectors.length > 0 && !sel.connectors.includes(connector)) return false;
    if (sel.vendors && sel.vendors.length > 0 && !sel.vendors.includes(o.vendor)) return false;
    if (!region(o.region)) return false;
    // Indexed, not destructured: a pair iterator per origin is a million allocations in a large plan.
    for (let t = 0; t < tags.length; t++) {
      const [k, v] = tags[t]!;
      const have = o.tags[k];
      if (have === undefined || (v !== '*' && have !== v)) return false;
    }
    if (cidrs.length > 0) {
      const addr = ipaddr.parse(o.ip);
      if (!cidrs.some((c) => c[0].kind() === addr.kind() && addr.match(c))) return false;
    }
    return true;
  };
}

/** Priority rank: index of the first matching rule; origins no rule matches come last. */
export function compilePriority(rules: readonly Selector[]): (o: Origin, connector: string) => number {
  const matchers = rules.map(compileSelector);
  // A plain loop: a closure per call would be a million allocations for a million origins.
  return (o, connector) => {
    for (let i = 0; i < matchers.length; i++) if (matchers[i]!(o, connector)) return i;
    return matchers.length;
  };
}
