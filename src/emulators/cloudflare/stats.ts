export interface StatRow {
  method: string;
  route: string;
  status: number;
  count: number;
}

/**
 * Request counts by method, route pattern and status, for tests and benchmarks to assert on. The route is
 * the pattern (`/zones/:zone_id/origin/cloud_regions/:origin_ip`), `unmatched` for paths with no route;
 * status 0 marks a connection dropped by fault injection.
 */
export class Stats {
  readonly #rows = new Map<string, StatRow>();

  record(method: string, route: string, status: number): void {
    const key = `${method} ${route} ${status}`;
    const row = this.#rows.get(key);
    if (row) row.count++;
    else this.#rows.set(key, { method, route, status, count: 1 });
  }

  /** Sorted by route, method, status so two runs compare equal. */
  rows(): StatRow[] {
    return [...this.#rows.values()]
      .map((r) => ({ ...r }))
      .sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method) || a.status - b.status);
  }

  clear(): void {
    this.#rows.clear();
  }
}
