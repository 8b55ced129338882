import type { ScanResult } from '../../connectors/connector.ts';
import type { Origin, Skipped } from '../model/index.ts';
import type { ScopeView } from './types.ts';

/** A scope's latest scan as kept between cycles. */
export interface ScanSnapshot {
  status: ScanResult['status'];
  at: number;
  error?: string;
  skipped: Skipped[];
  /** Only for a partial scan: what it did find (real, but not the whole picture). */
  origins?: Origin[];
}

/** A scope's last complete scan. */
export interface CompleteSnapshot {
  at: number;
  origins: Origin[];
  skipped: Skipped[];
}

/** A scope's snapshot after a scan: the scan is the latest; only a complete one becomes the last complete. */
export function snapshotAfter(result: ScanResult, at: number): { scan: ScanSnapshot; complete?: CompleteSnapshot } {
  const scan: ScanSnapshot = { status: result.status, at, skipped: result.skipped, ...(result.error ? { error: result.error } : {}) };
  if (result.status === 'partial') scan.origins = result.origins;
  return result.status === 'complete' ? { scan, complete: { at, origins: result.origins, skipped: result.skipped } } : { scan };
}

/**
 * Rule 1 (unknown is not empty), on the way in: what a scope contributes to a plan is its last complete
 * scan, plus what a later partial scan found; a failed or partial scan never makes anything absent. The
 * status and time are the latest scan's, so the tombstone step knows whether absence can be trusted.
 */
export function scopeView(scope: { id: string; connector: string }, scan: ScanSnapshot | null, complete: CompleteSnapshot | null): ScopeView {
  const origins = new Map<string, Origin>();
  for (const o of complete?.origins ?? []) origins.set(o.ip, o);
  if (scan?.status === 'partial') for (const o of scan.origins ?? []) origins.set(o.ip, o);
  const view: ScopeView = {
    scope: scope.id,
    connector: scope.connector,
    status: scan?.status ?? 'never',
    scannedAt: scan?.at ?? 0,
    origins: [...origins.values()],
    skipped: scan?.status === 'failed' ? (complete?.skipped ?? []) : (scan?.skipped ?? []),
  };
  if (scan?.error) view.error = scan.error;
  return view;
}
