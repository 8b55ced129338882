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

  /** `detail` is a function where making it for every one of a million entries would cost. */
  add(ip: string, reason: PlanSkipReason, detail: string | (() => string), scope?: string, key: IpKey = safeIpKey(ip)): void {
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    this.#list.offer(key, reason, ip, () => ({ ip, reason, detail: typeof detail === 'string' ? detail : detail(), ...(scope !== undefined ? { scope } : {}) }));
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
