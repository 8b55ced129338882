import { createHash, randomBytes } from 'node:crypto';
import type { Scope, ScanStatus } from '../../connectors/connector.ts';
import type { Vendor } from '../model/index.ts';

export const QUEUES = { cycle: 'cycle', discover: 'discover', reconcile: 'reconcile', apply: 'apply' } as const;

export type Trigger = 'schedule' | 'resync' | 'cli' | 'api' | 'approve' | 'startup' | 'plan-file' | 'event' | 'confirm';

/** The cloud event behind an event-triggered resync (the first of those coalesced into it). */
export interface EventCause {
  source: string;
  eventId: string;
  /** When this daemon received it: the start of the event-to-applied latency. */
  receivedAt: number;
}

/** A saved plan (`plan --out`) to apply exactly: refused as stale unless a fresh plan makes the same writes from the same state. */
export interface PlanExpectation {
  planId: string;
  digest: string;
  basis: { zone: string; desired: string };
}

/** One pass over some zones: list scopes, discover them, then reconcile each zone. */
export interface CycleJob {
  cycleId?: string;
  reason: Trigger;
  /** Zones to reconcile (default all). */
  zones?: string[];
  /** Only these scope ids are rediscovered (default every scope the zones select). */
  scopes?: string[];
  dryRun?: boolean;
  /** Per zone id: apply only this saved plan. */
  expect?: Record<string, PlanExpectation>;
  /** An event-triggered (or confirming) cycle: the event, for the audit trail and the latency metric. */
  cause?: EventCause;
}

export interface CycleResult {
  cycleId: string;
  scopes: Array<{ scope: string; status: ScanStatus | 'unknown'; origins: number; skipped: number; error?: string }>;
  listErrors: Array<{ connector: string; error: string }>;
  /**
   * Per zone, the reconcile job queued for it, or (jobId '') the answer the cycle gave itself: a quiet
   * zone's, or a dry run's, whose zones no job runs.
   */
  reconciles: Array<{ zoneId: string; jobId: string; result?: ReconcileResult }>;
  /** When discovery ended: a reconcile that started later has seen this cycle's snapshots. */
  discoveredAt: number;
}

export interface DiscoverJob {
  cycleId: string;
  connector: string;
  scope: Scope;
}

export interface DiscoverResult {
  scope: string;
  status: ScanStatus;
  origins: number;
  skipped: number;
  error?: string;
  at: number;
}

export interface ReconcileJob {
  cycleId: string;
  zoneId: string;
  reason: Trigger;
  dryRun?: boolean;
  expect?: PlanExpectation;
  cause?: EventCause;
}

export interface ReconcileResult {
  zoneId: string;
  cycleId: string;
  planId: string | null;
  status: string;
  statusReason?: string;
  upserts: number;
  deletes: number;
  failed: number;
  requests: number;
}

/** What caused a write, for the audit trail: the plan's trigger and, for a cloud event, its id. */
export interface WriteCause {
  trigger: Trigger;
  eventId?: string;
}

export type ApplyJob =
  | ({ planId: string; zoneId: string; batch: number; kind: 'upsert'; items: Array<{ ip: string; vendor: Vendor; region: string; scope: string }> } & Partial<WriteCause>)
  | ({ planId: string; zoneId: string; batch: number; kind: 'delete'; items: Array<{ ip: string }> } & Partial<WriteCause>);

/**
 * BullMQ job and deduplication ids may not contain `:` (IPv6, our own separators) and must not be all
 * digits: every id we choose is a readable prefix plus a hash.
 */
export function jobId(kind: string, ...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 20);
  return `${kind}-${h}`;
}

export function newCycleId(now = Date.now()): string {
  return `c${now.toString(36)}${randomBytes(3).toString('hex')}`;
}

export function newPlanId(zoneId: string, now = Date.now()): string {
  return `p${now.toString(36)}${zoneId.slice(0, 6)}${randomBytes(3).toString('hex')}`;
}

