import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Connector } from '../../connectors/connector.ts';
import type { CloudflareClient } from '../cloudflare/client.ts';
import type { Config } from '../config/load.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { AuditLog } from '../state/audit.ts';
import type { StateEpoch } from '../state/epoch.ts';
import type { StateStore, StoredPlan } from '../state/store.ts';
import type { DiscoverResult } from './jobs.ts';
import type { Queues } from './queues.ts';
import type { JobWaiter } from './wait.ts';

/** Progress, for a terminal watching its own `sync --once` (emitted by the process that ran the job). */
export interface PipelineEvents {
  scopes: [{ cycleId: string; total: number }];
  scope: [DiscoverResult & { cycleId: string }];
  plan: [StoredPlan];
  batch: [{ zoneId: string; planId: string; batch: number; of: number; kind: 'upsert' | 'delete'; sent: number; succeeded: number; failed: number }];
  paused: [{ ms: number; why: string }];
  /** A cloud event taken by this process, and the scopes it queued a resync for. */
  event: [{ source: string; id: string; outcome: string; hints: Array<{ vendor: string; account?: string; region?: string; resource?: string; action?: string }>; scopes: string[] }];
}

export interface PipelineContext {
  config: Config;
  logger: Logger;
  state: StateStore;
  audit: AuditLog;
  /** The state epoch as this process last saw it: how a loss of the Redis state is noticed. */
  epoch: StateEpoch;
  queues: Queues;
  connectors: ReadonlyMap<string, Connector>;
  cloudflare: CloudflareClient;
  metrics: Metrics;
  events: EventEmitter<PipelineEvents>;
  /** Aborted when the process starts shutting down: long waits hand their job back instead of holding it. */
  shutdown: AbortSignal;
  /** Waits for jobs of any replica to finish, woken by the queues' events (no polling). */
  jobs: JobWaiter;
}
