import type { Logger } from 'pino';
import type { Connector, ConnectorContext, ScanResult, Scope } from '../connector.ts';
import { mapBounded } from '../shared/concurrency.ts';
import { regionMatcher } from '../shared/regions-filter.ts';
import { ScanCollector } from '../shared/scan-collector.ts';
import { matchesTags } from '../shared/tags.ts';
import { ComputeClientPool, type ClientKind } from './clients.ts';
import { configSchema, type Config } from './config.ts';
import { describeError } from './errors.ts';
import { locate } from './locations.ts';
import { listSource, type Candidate, type SourceResult } from './discover.ts';
import { failedScan } from '../shared/failed-scan.ts';

// Fixed order: when one IP is both a reserved address and an instance's or a load balancer's address,
// the address resource is the one reported (first wins), whatever order the lists finish in.
const KINDS: readonly ClientKind[] = ['addresses', 'instances', 'forwardingRules'];

const GLOBAL_DETAIL = 'GCP global address (global external load balancing): anycast from Google\u2019s edge, not in one region';

/**
 * One scope per configured project, covering every region at once (region `*`): the compute API's
 * aggregated lists return all regions of a project in one paginated call per resource kind, and
 * permissions are granted per project, so a project is what succeeds or fails as a whole. A region the
 * API reports UNREACHABLE makes the project's scan partial (nothing in it is deleted); a project that
 * refuses or errors on every list fails alone.
 */
export class GcpConnector implements Connector {
  readonly name: string;
  readonly type = 'gcp';
  private readonly config: Config;
  private readonly pool: ComputeClientPool;
  private readonly logger: Logger;
  private readonly inRegions: (region: string) => boolean;

  constructor(config: Config, ctx: ConnectorContext) {
    this.config = config;
    this.name = config.name;
    this.pool = new ComputeClientPool(config.endpoint);
    this.logger = ctx.logger.child({ connector: config.name, type: 'gcp' });
    this.inRegions = regionMatcher(config.regions);
  }

  async listScopes(signal: AbortSignal): Promise<Scope[]> {
    signal.throwIfAborted();
    return this.config.projects.map((project) => ({
      id: `${this.name}/gcp/${project}/*`,
      connector: this.name,
      vendor: 'gcp',
      account: project,
      region: '*',
    }));
  }

  async discover(scope: Scope, signal: AbortSignal): Promise<ScanResult> {
    if (scope.connector !== this.name || scope.vendor !== 'gcp' || scope.region !== '*' || !this.config.projects.includes(scope.account)) {
      return failedScan(`scope ${scope.id} is not one of connector ${this.name}'s scopes`);
    }
    if (signal.aborted) return failedScan('discovery aborted before it started');

    const project = scope.account;
    const results = await mapBounded(KINDS, this.config.concurrency ?? 4, (kind) => listSource(this.pool, kind, project, signal));
    if (signal.aborted) return failedScan('discovery aborted');

    const collector = new ScanCollector(scope);
    const skippedSeen = new Set<string>();
    for (const r of results) for (const c of r.candidates) this.consider(c, collector, skippedSeen);
    this.noteWarnings(results, collector);
    for (const [message, kinds] of groupErrors(results)) collector.fail(`aggregated ${kinds.join(', ')}: ${message}`);

    const nothingRead = results.every((r) => r.error !== undefined && r.entries === 0);
    const result = collector.result(nothingRead ? 'failed' : undefined);
    const counts = { origins: result.origins.length, skipped: result.skipped.length };
    if (result.status === 'complete') this.logger.debug({ scope: scope.id, ...counts }, 'gcp scope discovered');
    else this.logger.warn({ scope: scope.id, status: result.status, error: result.error, ...counts }, `gcp scope ${result.status}`);
    return result;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private consider(c: Candidate, collector: ScanCollector, skippedSeen: Set<string>): void {
    // Resources without the configured labels are simply not origins: no skip is reported for them.
    if (!matchesTags(this.config.tags, c.labels)) return;
    const loc = locate(c.scopeKey, c.itemLocation);
    if (loc && !loc.global && !this.inRegions(loc.region)) return;
    const skip = (reason: 'not-public' | 'anycast', detail: string) => {
      const key = `${c.ip}\u0000${reason}`;
      if (skippedSeen.has(key)) return;
      skippedSeen.add(key);
      collector.skip({ ip: c.ip, reason, detail, source: c.source });
    };
    if (c.exclude) return skip(c.exclude.reason, c.exclude.detail);
    if (loc?.global) return skip('anycast', GLOBAL_DETAIL);
    collector.add({ ip: c.ip, vendor: 'gcp', region: loc?.region, source: c.source, tags: c.labels });
  }

  /** UNREACHABLE (or any unexpected warning) on a scope we keep: what is there is unknown, so the scan is partial. */
  private noteWarnings(results: SourceResult[], collector: ScanCollector): void {
    for (const r of results) {
      for (const w of r.warnings) {
        const loc = locate(w.scopeKey);
        // Global items only ever become anycast skips, so an unreadable global scope hides no origin.
        if (loc?.global || (loc && !this.inRegions(loc.region))) continue;
        collector.fail(`aggregated ${r.kind}: ${w.scopeKey} ${w.code}${w.message ? `: ${w.message.slice(0, 200)}` : ''}`);
      }
    }
  }
}

/** Same failure on several lists (a project-wide 403, typically) reads better as one line. */
function groupErrors(results: SourceResult[]): Map<string, ClientKind[]> {
  const byMessage = new Map<string, ClientKind[]>();
  for (const r of results) {
    if (r.error === undefined) continue;
    const m = describeError(r.error);
    byMessage.set(m, [...(byMessage.get(m) ?? []), r.kind]);
  }
  return byMessage;
}

export { configSchema, type Config };

export function create(config: Config, ctx: ConnectorContext): Connector {
  return new GcpConnector(configSchema.parse(config), ctx);
}
