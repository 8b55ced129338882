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
 * read in far faster than in address order). A claim is its origin's place (see Places) and its rank,
 * in typed arrays: a Map and an object per origin cost a plan of a million origins about 100 MB. A
 * DesiredOrigin is made only when asked for.
 */
export class Desired {
  readonly size: number;
  readonly #places: Places;
  /** Each origin's rank, by place (only claims' are set). */
  readonly #rank: Uint8Array | Uint32Array;
  /** Place of each winner. */
  readonly #winners: Uint32Array;
  /** The winners that are dotted quads, in address order: an address is found by binary search. */
  readonly #byV4: Uint32Array;
  /** Each winner's key: a dotted quad's value, or for the others (flagged in #isOther) its slot. */
  readonly #keys: Uint32Array;
  readonly #isOther: Uint8Array;
  /** The other addresses (IPv6), each with a slot: its winner and its key are at that slot. */
  readonly #other: Map<string, number>;
  readonly #otherWinner: Uint32Array;
  readonly #otherKeys: string[];

  constructor(
    places: Places,
    rank: Uint8Array | Uint32Array,
    winners: { places: Uint32Array; keys: Uint32Array; isOther: Uint8Array },
    byV4: Uint32Array,
    other: { slots: Map<string, number>; winner: Uint32Array; keys: string[] },
  ) {
    this.#places = places;
    this.#rank = rank;
    this.#winners = winners.places;
    this.#keys = winners.keys;
    this.#isOther = winners.isOther;
    this.#byV4 = byV4;
    this.#other = other.slots;
    this.#otherWinner = other.winner;
    this.#otherKeys = other.keys;
    this.size = winners.places.length;
  }

  /** The origin of the i-th winner (0 ≤ i < size). */
  origin(i: number): Origin {
    return this.#places.origin(this.#winners[i]!);
  }

  rank(i: number): number {
    return this.#rank[this.#winners[i]!]!;
  }

  key(i: number): IpKey {
    return this.#isOther[i >> 3]! & (1 << (i & 7)) ? this.#otherKeys[this.#keys[i]!]! : this.#keys[i]!;
  }

  /** The value of the i-th winner's address when it is a dotted quad, else -1. */
  quad(i: number): number {
    return this.#isOther[i >> 3]! & (1 << (i & 7)) ? -1 : this.#keys[i]!;
  }

  at(i: number): DesiredOrigin {
    const g = this.#winners[i]!;
    const view = this.#places.view(g);
    return { origin: this.#places.origin(g), connector: view.connector, rank: this.#rank[g]!, status: view.status, key: this.key(i) };
  }

  /** The winner's index for an address, or -1. */
  indexOf(ip: string): number {
    const k = dottedQuad(ip);
    if (k < 0) {
      const slot = this.#other.get(ip);
      return slot === undefined ? -1 : this.#otherWinner[slot]!;
    }
    const byV4 = this.#byV4;
    let lo = 0;
    let hi = byV4.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#keys[byV4[mid]!]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo < byV4.length && this.#keys[byV4[lo]!] === k ? byV4[lo]! : -1;
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
    for (let j = 0; j < list.length; j++) if (this.quad(list[j]!) >= 0) quads++;
    const keys = new Uint32Array(quads);
    const v4 = new Uint32Array(quads);
    const other: number[] = [];
    let q = 0;
    for (let j = 0; j < list.length; j++) {
      const i = list[j]!;
      const k = this.key(i);
      if (typeof k === 'number') {
        keys[q] = k;
        v4[q++] = i;
      } else other.push(i);
    }
    other.sort((a, b) => compareKeys(this.key(a), this.key(b)));
    const out = new Uint32Array(list.length);
    const order = radixOrder(keys);
    for (let j = 0; j < quads; j++) out[j] = v4[order[j]!]!;
    out.set(other, quads);
    return out;
  }
}

/**
 * Every origin of the scopes by its place: the scopes' origins taken one after another, so one number
 * stands for (scope, position) and needs one typed array, not two.
 */
class Places {
  readonly scopes: readonly ScopeView[];
  readonly total: number;
  /** Where each scope's origins start. */
  readonly #starts: Uint32Array;
  #last = 0;

  constructor(scopes: readonly ScopeView[]) {
    this.scopes = scopes;
    this.#starts = new Uint32Array(scopes.length + 1);
    for (let s = 0; s < scopes.length; s++) this.#starts[s + 1] = this.#starts[s]! + scopes[s]!.origins.length;
    this.total = this.#starts[scopes.length]!;
  }

  /** The scope index of a place: mostly the one asked for last (places are read in runs). */
  scopeOf(g: number): number {
    const starts = this.#starts;
    if (g >= starts[this.#last]! && g < starts[this.#last + 1]!) return this.#last;
    let lo = 0;
    let hi = this.scopes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= g) lo = mid;
      else hi = mid - 1;
    }
    return (this.#last = lo);
  }

  view(g: number): ScopeView {
    return this.scopes[this.scopeOf(g)]!;
  }

  origin(g: number): Origin {
    const s = this.scopeOf(g);
    return this.scopes[s]!.origins[g - this.#starts[s]!]!;
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
  const places = new Places(input.scopes);
  const total = places.total;
  // A rank is at most the number of rules: a byte each, unless there are hundreds of rules.
  const ranks = input.zone.priority.length < 255 ? new Uint8Array(total) : new Uint32Array(total);
  // Dotted quads are told apart by their value, sorted afterwards; only the rest (IPv6) need a Map.
  const v4Claim = new Uint32Array(total);
  const v4Key = new Uint32Array(total);
  let v4Count = 0;
  const otherFirst = new Map<string, number>();
  // Only addresses claimed more than once keep a list: a million single claims need no array each.
  const otherContested = new Map<string, number[]>();
  // Each address's first claim (a place) names its winner: the winners then come out in first-claim order.
  const winnerOfFirst = new Int32Array(total);

  for (let s = 0, g = 0; s < input.scopes.length; s++) {
    const view = input.scopes[s]!;
    for (const k of view.skipped) {
      const reason: PlanSkipReason = k.reason === 'unknown-region' ? 'invalid-region' : k.reason;
      skipped.addOnce(k.ip, reason, k.detail, k.scope);
    }
    for (let p = 0; p < view.origins.length; p++, g++) {
      const o = view.origins[p]!;
      if (!select(o, view.connector)) continue;
      const unsupported = regionProblem(input, o.vendor, o.region);
      if (unsupported) {
        skipped.addOnce(o.ip, unsupported.reason, unsupported.detail, o.scope);
        continue;
      }
      ranks[g] = rank(o, view.connector);
      const k = dottedQuad(o.ip);
      if (k >= 0) {
        v4Claim[v4Count] = g;
        v4Key[v4Count++] = k;
      } else {
        const first = otherFirst.get(o.ip);
        if (first === undefined) otherFirst.set(o.ip, g);
        else {
          const list = otherContested.get(o.ip);
          if (list) list.push(g);
          else otherContested.set(o.ip, [first, g]);
        }
      }
    }
  }

  const originOf = (g: number) => places.origin(g);
  /** The winner among the claims on one address (in the order they came), the others reported as conflicts. */
  const resolve = (ip: string, list: number[]): number => {
    list.sort(
      (a, b) =>
        statusOrder[places.view(a).status] - statusOrder[places.view(b).status] ||
        ranks[a]! - ranks[b]! ||
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

  // The dotted-quad winners in address order, each as its first claim for now (its winner's index later).
  // winnerOfFirst is not used yet: the sort's scratch space.
  const order = radixOrder(v4Key.subarray(0, v4Count), new Uint32Array(winnerOfFirst.buffer));
  winnerOfFirst.fill(-1);
  // Written over the sorted order as it is read (never ahead of it): a million addresses save 4 MB.
  let byV4 = order;
  let quads = 0;
  for (let i = 0; i < v4Count; ) {
    const key = v4Key[order[i]!]!;
    let j = i + 1;
    while (j < v4Count && v4Key[order[j]!] === key) j++;
    // The radix sort keeps equal keys in claim order, which is the order the claims came in.
    const first = v4Claim[order[i]!]!;
    winnerOfFirst[first] = j === i + 1 ? first : resolve(originOf(first).ip, Array.from(order.subarray(i, j), (x) => v4Claim[x]!));
    byV4[quads++] = first;
    i = j;
  }
  // forEach, not for-of: no [key, value] pair made per address.
  otherFirst.forEach((first, ip) => {
    const list = otherContested.get(ip);
    winnerOfFirst[first] = list ? resolve(ip, list) : first;
  });

  const size = quads + otherFirst.size;
  const winners = { places: new Uint32Array(size), keys: new Uint32Array(size), isOther: new Uint8Array((size + 7) >>> 3) };
  // v4Claim lists the dotted-quad claims in place order: walked alongside, it gives each one's key unparsed.
  for (let g = 0, q = 0, w = 0; g < total; g++) {
    const isQuad = q < v4Count && v4Claim[q] === g;
    const key = isQuad ? v4Key[q++]! : 0;
    const winner = winnerOfFirst[g]!;
    if (winner < 0) continue;
    winners.places[w] = winner;
    if (isQuad) winners.keys[w] = key;
    else winners.isOther[w >>> 3]! |= 1 << (w & 7);
    winnerOfFirst[g] = w++;
  }
  for (let i = 0; i < quads; i++) byV4[i] = winnerOfFirst[byV4[i]!]!;
  if (quads < v4Count) byV4 = byV4.slice(0, quads);
  // The first claims' map becomes the slots of the other addresses.
  const other = { slots: otherFirst, winner: new Uint32Array(otherFirst.size), keys: [] as string[] };
  otherFirst.forEach((first, ip) => {
    const w = winnerOfFirst[first]!;
    const slot = other.keys.length;
    winners.keys[w] = slot;
    other.winner[slot] = w;
    other.slots.set(ip, slot);
    other.keys.push(ipKey(ip) as string);
  });
  return new Desired(places, ranks, winners, byV4, other);
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
