import type { ScanResult } from '../connector.ts';

/** A scan that read nothing usable: the scope keeps its last good snapshot, and `error` says why. */
export function failedScan(error: string): ScanResult {
  return { status: 'failed', origins: [], skipped: [], error };
}
