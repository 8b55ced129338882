import { toOrigin, type Origin, type Skipped, type Vendor } from '../../src/model/index.ts';
import type { ScanResult, ScanStatus, Scope } from '../connector.ts';

/**
 * Accumulates what a connector finds in one scope: every address goes through toOrigin (canonical IP,
 * public, region checked), duplicates within the scope collapse to the first seen.
 */
export class ScanCollector {
  private readonly origins = new Map<string, Origin>();
  private readonly skipped: Skipped[] = [];
  private readonly errors: string[] = [];

  private readonly scope: Scope;

  constructor(scope: Scope) {
    this.scope = scope;
  }

  add(found: { ip: unknown; vendor: Vendor; region: unknown; source: string; tags?: Record<string, string> }): void {
    const r = toOrigin({ ...found, scope: this.scope.id });
    if (!r.ok) {
      this.skipped.push(r.skipped);
      return;
    }
    if (!this.origins.has(r.origin.ip)) this.origins.set(r.origin.ip, r.origin);
  }

  /** Records a skip decided by the connector itself (e.g. a vendor's anycast tier, an unallocated address). */
  skip(s: Omit<Skipped, 'scope'>): void {
    this.skipped.push({ ...s, scope: this.scope.id });
  }

  /** Records a failed source: the scan becomes partial (or failed when nothing was read at all). */
  fail(message: string): void {
    this.errors.push(message);
  }

  get failures(): number {
    return this.errors.length;
  }

  result(status?: ScanStatus): ScanResult {
    const s: ScanStatus = status ?? (this.errors.length === 0 ? 'complete' : 'partial');
    const out: ScanResult = { status: s, origins: [...this.origins.values()], skipped: this.skipped };
    if (this.errors.length > 0) out.error = this.errors.join('; ');
    return out;
  }
}
