import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.ts';
import type { EventSourceReport, StateStore } from '../state/store.ts';
import type { SourceHealth } from './types.ts';

/** A replica that has not reported for this long is shown as stale, not as working. */
export const REPORT_EVERY_MS = 15_000;
export const STALE_AFTER_MS = 3 * REPORT_EVERY_MS;

export interface SourceState extends EventSourceReport {
  name: string;
}

/**
 * What this process knows of its event sources: up or down (with the error and since when), the last
 * message and the lag. Kept in memory for /readyz and metrics, and reported to Redis (on each change,
 * and every REPORT_EVERY_MS while up) so `status` and the dashboard of any replica show it.
 */
export class SourceHealthBoard {
  private readonly sources = new Map<string, SourceState>();
  private readonly reporters = new Map<string, SourceHealth>();
  private readonly replica = `${hostname()}:${process.pid}`;
  private timer: NodeJS.Timeout | undefined;

  private readonly deps: { state: StateStore; metrics: Metrics; logger: Logger };

  constructor(deps: { state: StateStore; metrics: Metrics; logger: Logger }) {
    this.deps = deps;
  }

  /** The reporter of a registered source (the webhook's routes exist before the board does). */
  reporter(name: string): SourceHealth | undefined {
    return this.reporters.get(name);
  }

  /** The SourceHealth a source reports through. */
  register(name: string, type: string): SourceHealth {
    const now = Date.now();
    this.sources.set(name, { name, type, state: 'starting', since: now, at: now });
    this.deps.metrics.eventSourceUp.set({ source: name, type }, 0);
    void this.report(name);
    const reporter: SourceHealth = {
      up: () => this.set(name, 'up'),
      down: (error) => this.set(name, 'down', error),
      lag: (seconds) => {
        const s = this.sources.get(name);
        if (!s) return;
        s.lagSeconds = Math.max(0, seconds);
        s.lastMessageAt = Date.now();
        this.deps.metrics.eventLag.set({ source: name }, s.lagSeconds);
      },
    };
    this.reporters.set(name, reporter);
    return reporter;
  }

  start(): void {
    this.timer ??= setInterval(() => {
      for (const name of this.sources.keys()) void this.report(name);
    }, REPORT_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** This process's sources, for /readyz. */
  list(): SourceState[] {
    return [...this.sources.values()].map((s) => ({ ...s }));
  }

  /** Removes this replica's reports (a clean stop), so no one reads them as a source gone silent. */
  async forget(): Promise<void> {
    await this.deps.state.eventSources.drop([...this.sources.keys()].map((source) => ({ source, replica: this.replica }))).catch(() => {});
  }

  private set(name: string, state: 'up' | 'down', error?: string): void {
    const s = this.sources.get(name);
    if (!s) return;
    const changed = s.state !== state || (state === 'down' && s.error !== error);
    if (s.state !== state) s.since = Date.now();
    s.state = state;
    if (error === undefined) delete s.error;
    else s.error = error;
    this.deps.metrics.eventSourceUp.set({ source: name, type: s.type }, state === 'up' ? 1 : 0);
    if (changed) {
      if (state === 'down') this.deps.logger.warn({ source: name, error }, 'event source cannot receive; retrying with backoff (the schedule and other sources go on)');
      else this.deps.logger.info({ source: name }, 'event source receiving');
      void this.report(name);
    }
  }

  private async report(name: string): Promise<void> {
    const s = this.sources.get(name);
    if (!s) return;
    s.at = Date.now();
    const { name: _n, ...report } = s;
    // Health is advisory: a Redis hiccup here must not disturb the consumer that reported.
    await this.deps.state.eventSources.set(name, this.replica, report).catch(() => {});
  }
}
