import { cmp, compareKeys, type IpKey } from './ip-order.ts';

interface Entry<T> {
  key: IpKey;
  /** Second sort key (a skip's reason; empty for lists ordered by address alone). */
  reason: string;
  ip: string;
  /** Arrival order: the last tie-break, so equal entries keep the order the planner found them in. */
  seq: number;
  value: T;
}

/**
 * A list in plan order (address, then reason, then the address as written, then arrival) that keeps
 * only its first `limit` entries and counts the rest. Memory stays O(limit) however many are offered:
 * an entry that cannot be among the first is dropped before its value is even made.
 */
export class FirstInOrder<T> {
  total = 0;
  #entries: Array<Entry<T>> = [];
  #cutoff: Entry<T> | null = null;

  readonly limit: number;

  constructor(limit = Infinity) {
    this.limit = limit;
  }

  /**
   * Counts an entry. True when it may be among the first: the caller then gives its value to keep(),
   * so the value of an entry dropped (most of a million) is never made.
   */
  take(key: IpKey, reason: string, ip: string): boolean {
    const seq = this.total++;
    const c = this.#cutoff;
    if (c && (compareKeys(key, c.key) || cmp(reason, c.reason) || cmp(ip, c.ip) || seq - c.seq) > 0) return false;
    this.#entries.push({ key, reason, ip, seq, value: undefined as T });
    return true;
  }

  /** The value of the entry take() just admitted. */
  keep(value: T): void {
    this.#entries[this.#entries.length - 1]!.value = value;
    if (this.#entries.length >= 2 * this.limit + 64) this.#trim();
  }

  /** The first `limit` entries, in order. */
  list(): T[] {
    this.#entries.sort(order);
    if (this.#entries.length > this.limit) this.#entries.length = this.limit;
    return this.#entries.map((e) => e.value);
  }

  #trim(): void {
    this.#entries.sort(order);
    this.#entries.length = this.limit;
    this.#cutoff = this.#entries[this.limit - 1] ?? null;
  }
}

function order<T>(a: Entry<T>, b: Entry<T>): number {
  return compareKeys(a.key, b.key) || cmp(a.reason, b.reason) || cmp(a.ip, b.ip) || a.seq - b.seq;
}
