import type { RateLimitPolicy } from './faults.ts';

export interface RateDecision {
  allowed: boolean;
  /** Headers for every answer: the IETF-draft pair Cloudflare sends, plus Retry-After on 429. */
  headers: Record<string, string>;
  retryAfter: number;
}

/**
 * Cloudflare's global limit as a fixed window per credential: the window opens with the credential's
 * first request; once more than `requests` were made in it, every request is refused until it ends
 * (Cloudflare: "all API calls are blocked for the next five minutes"). Refused requests do not extend it.
 */
export class RateLimiter {
  readonly #policy: RateLimitPolicy;
  readonly #now: () => number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(policy: RateLimitPolicy, now: () => number = Date.now) {
    this.#policy = policy;
    this.#now = now;
  }

  hit(key: string): RateDecision {
    const now = this.#now();
    const windowMs = this.#policy.windowSeconds * 1000;
    let w = this.#windows.get(key);
    if (!w || now >= w.start + windowMs) {
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
      this.#sweep(now, windowMs);
    }
    w.count++;
    const reset = Math.max(1, Math.ceil((w.start + windowMs - now) / 1000));
    const remaining = Math.max(0, this.#policy.requests - w.count);
    const allowed = w.count <= this.#policy.requests;
    const headers: Record<string, string> = {
      Ratelimit: `"default";r=${remaining};t=${reset}`,
      'Ratelimit-Policy': `"default";q=${this.#policy.requests};w=${this.#policy.windowSeconds}`,
    };
    if (!allowed) headers['Retry-After'] = String(reset);
    return { allowed, headers, retryAfter: reset };
  }

  // Expired windows of credentials that went quiet would otherwise pile up in a long-running emulator.
  #sweep(now: number, windowMs: number): void {
    if (this.#windows.size < 1024) return;
    for (const [k, w] of this.#windows) if (now >= w.start + windowMs) this.#windows.delete(k);
  }
}
