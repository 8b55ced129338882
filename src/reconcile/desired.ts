import { checkRegion, type Origin, type Vendor } from '../model/index.ts';
import { cmp, compareKeys, dottedQuad, ipKey, radixOrder, type IpKey } from './ip-order.ts';
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
 * The desired set: one winning claim per address, in the order the addresses were first claimed (as a
 * Map keyed by address would hold them: the origins' own order in memory, which a million of them are
 * read in far faster than in address order). A claim is where its origin sits in the scopes (scope,
 * position) and its rank, in typed arrays: a Map and an object per origin cost a plan of a million
 * origins about 100 MB. A DesiredOrigin is made only when asked for.
 */
export class Desired {
  readonly size: number;
  readonly #scopes: readonly ScopeView[];
  readonly #scope: Uint32Array;
  readonly #pos: Uint32Array;
  readonly #rank: Uint32Array;
  /** Claim of each winner. */
  readonly #winners: Uint32Array;
  /** Each winner's address key when it is a dotted quad, else -1 (then it is in #otherKey). */
  readonly #v4Key: Float64Array;
  readonly #otherKey: Map<number, string>;
  /** The dotted-quad keys, ascending, and whose they are: an address is found by binary search. */
  readonly #sortedV4: Uint32Array;
  readonly #sortedV4Winner: Uint32Array;
  /** Winner of each address that is not a dotted quad. */
  readonly #otherIndex: Map<string, number>;

  constructor(
    scopes: readonly ScopeView[],
    claims: { scope: Uint32Array; pos: Uint32Array; rank: Uint32Array },
    winners: { claim: Uint32Array; v4Key: Float64Array; otherKey: Map<number, string> },
    index: { sortedV4: Uint32Array; sortedV4Winner: Uint32Array; other: Map<string, number> },
  ) {
    this.#scopes = scopes;
    this.#scope = claims.scope;
    this.#pos = claims.pos;
    this.#rank = claims.rank;
    this.#winners = winners.claim;
    this.#v4Key = winners.v4Key;
    this.#otherKey = winners.otherKey;
    this.#sortedV4 = index.sortedV4;
    this.#sortedV4Winner = index.sortedV4Winner;
    this.#otherIndex = index.other;
    this.size = winners.claim.length;
  }

  /** The origin of the i-th winner (0 ≤ i < size). */
  origin(i: number): Origin {
    const c = this.#winners[i]!;
    return this.#scopes[this.#scope[c]!]!.origins[this.#pos[c]!]!;
  }

  rank(i: number): number {
    return this.#rank[this.#winners[i]!]!;
  }

  key(i: number): IpKey {
    const k = this.#v4Key[i]!;
    return k >= 0 ? k : this.#otherKey.get(i)!;
  }

  at(i: number): DesiredOrigin {
    const c = this.#winners[i]!;
    const view = this.#scopes[this.#scope[c]!]!;
    return { origin: view.origins[this.#pos[c]!]!, connector: view.connector, rank: this.#rank[c]!, status: view.status, key: this.key(i) };
  }

  /** The winner's index for an address, or -1. */
  indexOf(ip: string): number {
    const k = dottedQuad(ip);
    if (k < 0) return this.#otherIndex.get(ip) ?? -1;
    const sorted = this.#sortedV4;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo < sorted.length && sorted[lo] === k ? this.#sortedV4Winner[lo]! : -1;
  }

  has(ip: string): boolean {
    return this.indexOf(ip) >= 0;
  }

  get(ip: string): DesiredOrigin | undefined {
    const i = this.indexOf(ip);
    return i < 0 ? undefined : this.at(i);
  }

  /**
   * Winners (indexes) in address order, equal keys (non-canonical spellings of one IPv6 address) in the
   * order given: dotted quads by a radix sort of their keys, the rest by comparison, after them.
   */
  byAddress(list: Uint32Array): Uint32Array {
    let quads = 0;
    // Indexed loops: an iterator over a typed array may make a result object per element.
    for (let j = 0; j < list.length; j++) if (this.#v4Key[list[j]!]! >= 0) quads++;
    const keys = new Uint32Array(quads);
    const v4 = new Uint32Array(quads);
    const other: number[] = [];
    let q = 0;
    for (let j = 0; j < list.length; j++) {
      const i = list[j]!;
      const k = this.#v4Key[i]!;
      if (k >= 0) {
        keys[q] = k;
        v4[q++] = i;
      } else other.push(i);
    }
    other.sort((a, b) => compareKeys(this.#otherKey.get(a)!, this.#otherKey.get(b)!));
    const out = new Uint32Array(list.length);
    const order = radixOrder(keys);
    for (let j = 0; j < quads; j++) out[j] = v4[order[j]!]!;
    out.set(other, quads);
    return out;
  }
}

/**
 * Rule 9 and the desired set: the union of what the selected scopes hold, filtered by the zone's selector,
 * regions checked against Cloudflare's supported_regions (or the vendor catalogue when those are not
 * known), one winner per IP. Conflicting claims on an IP (two scopes, two regions) resolve the same way
 * every time: complete scans over incomplete ones, then priority rank, then scope id, then value.
 * What the scans set aside, and every region refused, goes to the skipped list.
 */
export function buildDesired(input: PlanInput, skipped: SkipList): Desired {
  const select = compileSelector(input.zone.select);
  const rank = compilePriority(input.zone.priority);
  let total = 0;
  for (const view of input.scopes) total += view.origins.length;
  const claims = { scope: new Uint32Array(total), pos: new Uint32Array(total), rank: new Uint32Array(total) };
  // Dotted quads are told apart by their value, sorted afterwards; only the rest (IPv6) need a Map.
  const v4Claim = new Uint32Array(total);
  const v4Key = new Uint32Array(total);
  let v4Count = 0;
  const otherFirst = new Map<string, number>();
  // Only addresses claimed more than once keep a list: a million single claims need no array each.
  const otherContested = new Map<string, number[]>();
  let n = 0;

  for (let s = 0; s < input.scopes.length; s++) {
    const view = input.scopes[s]!;
    for (const k of view.skipped) {
      const reason: PlanSkipReason = k.reason === 'unknown-region' ? 'invalid-region' : k.reason;
      skipped.addOnce(k.ip, reason, k.detail, k.scope);
    }
    for (let p = 0; p < view.origins.length; p++) {
      const o = view.origins[p]!;
      if (!select(o, view.connector)) continue;
      const unsupported = regionProblem(input, o.vendor, o.region);
      if (unsupported) {
        skipped.addOnce(o.ip, unsupported.reason, unsupported.detail, o.scope);
        continue;
      }
      claims.scope[n] = s;
      claims.pos[n] = p;
      claims.rank[n] = rank(o, view.connector);
      const k = dottedQuad(o.ip);
      if (k >= 0) {
        v4Claim[v4Count] = n;
        v4Key[v4Count++] = k;
      } else {
        const first = otherFirst.get(o.ip);
        if (first === undefined) otherFirst.set(o.ip, n);
        else {
          const list = otherContested.get(o.ip);
          if (list) list.push(n);
          else otherContested.set(o.ip, [first, n]);
        }
      }
      n++;
    }
  }

  const originOf = (c: number) => input.scopes[claims.scope[c]!]!.origins[claims.pos[c]!]!;
  /** The winner among the claims on one address (in the order they came), the others reported as conflicts. */
  const resolve = (ip: string, list: number[]): number => {
    list.sort(
      (a, b) =>
        statusOrder[input.scopes[claims.scope[a]!]!.status] - statusOrder[input.scopes[claims.scope[b]!]!.status] ||
        claims.rank[a]! - claims.rank[b]! ||
        cmp(originOf(a).scope, originOf(b).scope) ||
        cmp(originOf(a).vendor, originOf(b).vendor) ||
        cmp(originOf(a).region, originOf(b).region),
    );
    const w = originOf(list[0]!);
    const seen = new Set([`${w.vendor}/${w.region}`]);
    for (const c of list.slice(1)) {
      const loser = originOf(c);
      const value = `${loser.vendor}/${loser.region}`;
      if (seen.has(value)) continue; // the same claim from another scope is not a conflict
      seen.add(value);
      skipped.add(ip, 'conflict', `claimed as ${value} by ${loser.scope}; ${w.vendor}/${w.region} from ${w.scope} wins`, loser.scope);
    }
    return list[0]!;
  };

  // Each address's first claim names its winner: the winners then come out in first-claim order.
  const winnerOfFirst = new Int32Array(n).fill(-1);
  // The dotted-quad keys in ascending order, each with its first claim for now (its winner's index later).
  const sortedV4 = new Uint32Array(v4Count);
  let sortedV4Winner = new Uint32Array(v4Count);
  let quads = 0;
  const order = radixOrder(v4Key.subarray(0, v4Count));
  for (let i = 0; i < v4Count; ) {
    const key = v4Key[order[i]!]!;
    let j = i + 1;
    while (j < v4Count && v4Key[order[j]!] === key) j++;
    // The radix sort keeps equal keys in claim order, which is the order the claims came in.
    const first = v4Claim[order[i]!]!;
    winnerOfFirst[first] = j === i + 1 ? first : resolve(originOf(first).ip, Array.from(order.subarray(i, j), (x) => v4Claim[x]!));
    sortedV4[quads] = key;
    sortedV4Winner[quads++] = first;
    i = j;
  }
  // forEach, not for-of: no [key, value] pair made per address.
  otherFirst.forEach((first, ip) => {
    const list = otherContested.get(ip);
    winnerOfFirst[first] = list ? resolve(ip, list) : first;
  });

  const size = quads + otherFirst.size;
  const winners = { claim: new Uint32Array(size), v4Key: new Float64Array(size), otherKey: new Map<number, string>() };
  let w = 0;
  // v4Claim lists the dotted-quad claims in claim order: walked alongside, it gives each one's key unparsed.
  for (let c = 0, q = 0; c < n; c++) {
    const isQuad = q < v4Count && v4Claim[q] === c;
    const key = isQuad ? v4Key[q++]! : -1;
    const winner = winnerOfFirst[c]!;
    if (winner < 0) continue;
    winners.claim[w] = winner;
    winners.v4Key[w] = key;
    winnerOfFirst[c] = w++;
  }
  const other = new Map<string, number>();
  otherFirst.forEach((first, ip) => {
    const i = winnerOfFirst[first]!;
    other.set(ip, i);
    winners.otherKey.set(i, ipKey(ip) as string);
  });
  for (let g = 0; g < quads; g++) sortedV4Winner[g] = winnerOfFirst[sortedV4Winner[g]!]!;
  if (quads < v4Count) sortedV4Winner = sortedV4Winner.slice(0, quads);
  return new Desired(input.scopes, claims, winners, { sortedV4: quads < v4Count ? sortedV4.slice(0, quads) : sortedV4, sortedV4Winner, other });
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
