import { FirstInOrder } from './first-in-order.ts';
import { safeIpKey, type IpKey } from './ip-order.ts';
import type { PlanSkip, PlanSkipReason } from './types.ts';

/**
 * Every origin the plan leaves alone, and why: counted per reason, listed in plan order (address,
 * reason) up to the plan's sample size. Entries from the scans themselves can repeat (one address
 * reported twice by a scope): those are counted once.
 */
export class SkipList {
  readonly byReason: Partial<Record<PlanSkipReason, number>> = {};
  #list: FirstInOrder<PlanSkip>;
  #seen = new Set<string>();

  constructor(limit?: number) {
    this.#list = new FirstInOrder<PlanSkip>(limit);
  }

  get total(): number {
    return this.#list.total;
  }

  add(ip: string, reason: PlanSkipReason, detail: string, scope?: string, key: IpKey = safeIpKey(ip)): void {
    if (this.take(ip, reason, key)) this.keep(ip, reason, detail, scope);
  }

  /**
   * Counts an entry; true when it may be listed, and keep() must then be given its detail. For callers
   * with a million entries, whose details are worth making only for those listed.
   */
  take(ip: string, reason: PlanSkipReason, key: IpKey): boolean {
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    return this.#list.take(key, reason, ip);
  }

  keep(ip: string, reason: PlanSkipReason, detail: string, scope: string | undefined): void {
    this.#list.keep({ ip, reason, detail, ...(scope !== undefined ? { scope } : {}) });
  }

  /** For entries taken from the scans: an exact repeat is dropped. */
  addOnce(ip: string, reason: PlanSkipReason, detail: string, scope: string | undefined): void {
    const k = `${ip}|${reason}|${scope ?? ''}|${detail}`;
    if (this.#seen.has(k)) return;
    this.#seen.add(k);
    this.add(ip, reason, detail, scope);
  }

  list(): PlanSkip[] {
    return this.#list.list();
  }
}

