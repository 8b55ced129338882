import type { Logger } from 'pino';
import type { Origin, Skipped, Vendor } from '../src/model/index.ts';

/**
 * The unit of discovery: what one connector can list on its own and succeed or fail at on its own
 * (vendor × account/project/subscription/tenancy × region). Deletes only ever happen inside a scope whose
 * latest scan was complete, so a scope must be small enough that one AccessDenied fails only it.
 */
export interface Scope {
  /** Stable, unique across the whole configuration: `<connector>/<vendor>/<account>/<region>`. */
  id: string;
  connector: string;
  vendor: Vendor | 'mixed';
  account: string;
  /** A region name, or `*` for a scope that covers every region of an account at once. */
  region: string;
}

export type ScanStatus = 'complete' | 'partial' | 'failed';

export interface ScanResult {
  /**
   * complete: every page of every source was read; absence of an IP means it is gone.
   * partial: some sources or pages failed; what was found is real, absence means nothing.
   * failed: nothing usable; the scope keeps its last good snapshot.
   */
  status: ScanStatus;
  origins: Origin[];
  /** Addresses found but not usable (not public, anycast, bad region…), each with its reason. */
  skipped: Skipped[];
  /** Why the scan is partial or failed; never contains a credential. */
  error?: string;
}

export interface Connector {
  readonly name: string;
  readonly type: string;
  /** Lists the scopes to discover. Throws when the list itself cannot be obtained. */
  listScopes(signal: AbortSignal): Promise<Scope[]>;
  /** Discovers one scope. Never throws for a vendor error: it returns status failed/partial instead. */
  discover(scope: Scope, signal: AbortSignal): Promise<ScanResult>;
  close?(): Promise<void>;
}

export interface ConnectorContext {
  /** Folder of the configuration file: relative paths in connector config are resolved against it. */
  configDir: string;
  logger: Logger;
  env: NodeJS.ProcessEnv;
}
