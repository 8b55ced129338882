import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import pkg from '../../package.json' with { type: 'json' };
import type { Outcome } from '../cloudflare/types.ts';

/**
 * The daemon's Prometheus metrics. Counters count what this process did; the zone and scope gauges
 * are refreshed from Redis at scrape time (see refreshFromState), so every replica reports the same
 * picture whichever of them did the work.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly cloudflareRequests = new Counter({
    name: 'ors_cloudflare_requests_total',
    help: 'Cloudflare API requests by method, API family and outcome (ok, rate_limited, cap_reached, invalid, not_found, auth, transient, no_route, unexpected).',
    labelNames: ['method', 'family', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly cloudflareRateLimited = new Counter({
    name: 'ors_cloudflare_rate_limited_total',
    help: 'HTTP 429 answers from Cloudflare; each paused the apply queue for Retry-After.',
    registers: [this.registry],
  });

  readonly cloudflareBudgetRemaining = new Gauge({
    name: 'ors_cloudflare_ratelimit_remaining',
    help: 'Requests left in the current Cloudflare rate-limit window, from the last Ratelimit header seen.',
    registers: [this.registry],
  });

  readonly planChanges = new Counter({
    name: 'ors_plan_changes_total',
    help: 'Changes in applied plans by zone and kind (create, update, adopt, repair, recreate, delete).',
    labelNames: ['zone', 'kind'] as const,
    registers: [this.registry],
  });

  readonly writeItems = new Counter({
    name: 'ors_write_items_total',
    help: 'Mappings written or deleted, by zone, kind (upsert, delete) and result (ok, failed, unknown: answer lost, settled from the next list read).',
    labelNames: ['zone', 'kind', 'result'] as const,
    registers: [this.registry],
  });

  readonly drift = new Counter({
    name: 'ors_drift_total',
    help: 'Managed mappings found changed or deleted by someone else, by zone and action (repair, recreate, report).',
    labelNames: ['zone', 'action'] as const,
    registers: [this.registry],
  });

  readonly scans = new Counter({
    name: 'ors_scans_total',
    help: 'Scope discoveries by connector and status (complete, partial, failed).',
    labelNames: ['connector', 'status'] as const,
    registers: [this.registry],
  });

  readonly plansHeld = new Counter({
    name: 'ors_plans_held_total',
    help: 'Plans held by the mass-change guard, by zone.',
    labelNames: ['zone'] as const,
    registers: [this.registry],
  });

  readonly redisUp = new Gauge({ name: 'ors_redis_up', help: '1 when this process can use Redis; 0 while it is unreachable (the zone gauges then keep their last values).', registers: [this.registry] });

  // Gauges refreshed from Redis at scrape time.
  readonly managed = new Gauge({ name: 'ors_zone_mappings_managed', help: 'Mappings this daemon manages in the zone (after the last plan).', labelNames: ['zone'] as const, registers: [this.registry] });
  readonly unmanaged = new Gauge({ name: 'ors_zone_mappings_unmanaged', help: 'Mappings in the zone managed by someone else.', labelNames: ['zone'] as const, registers: [this.registry] });
  readonly budgetLeft = new Gauge({ name: 'ors_zone_budget_left', help: 'Mappings the daemon may still add to the zone (cap − unmanaged − reserve − managed).', labelNames: ['zone'] as const, registers: [this.registry] });
  readonly overflow = new Gauge({ name: 'ors_zone_overflow', help: 'Desired origins left out of the zone for lack of room.', labelNames: ['zone'] as const, registers: [this.registry] });
  readonly skipped = new Gauge({ name: 'ors_zone_skipped', help: 'Origins not written in the last plan, by reason.', labelNames: ['zone', 'reason'] as const, registers: [this.registry] });
  readonly lastComplete = new Gauge({ name: 'ors_zone_last_complete_reconcile_timestamp_seconds', help: 'When the zone last had a reconcile applied without error.', labelNames: ['zone'] as const, registers: [this.registry] });
  readonly held = new Gauge({ name: 'ors_zone_plan_held', help: '1 while a plan for the zone waits for approval.', labelNames: ['zone'] as const, registers: [this.registry] });
  readonly scopeStatus = new Gauge({ name: 'ors_scope_status', help: '1 for the status of each scope\'s latest scan (complete, partial, failed, never).', labelNames: ['connector', 'scope', 'status'] as const, registers: [this.registry] });
  readonly scopeLastScan = new Gauge({ name: 'ors_scope_last_scan_timestamp_seconds', help: 'When each scope was last scanned.', labelNames: ['connector', 'scope'] as const, registers: [this.registry] });

  readonly stateLoss = new Gauge({
    name: 'ors_state_loss_detected_timestamp_seconds',
    help: 'When the daemon last found its Redis state lost (kind: detected = a process saw the epoch vanish; suspected = identical mappings with no ownership on a first start). Absent: never.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly possiblyOurs = new Gauge({ name: 'ors_zone_possibly_ours', help: 'Unowned mappings listed as "possibly ours, from before the state loss", awaiting review (`recover --zone`).', labelNames: ['zone'] as const, registers: [this.registry] });
  readonly deletesFrozen = new Gauge({ name: 'ors_zone_deletes_frozen', help: '1 while the zone\'s deletes are frozen after a state loss (until its first complete reconcile).', labelNames: ['zone'] as const, registers: [this.registry] });

  // BullMQ's own export names its gauge bullmq_job_count, which Prometheus' naming rules (and promtool) reserve
  // for summaries and histograms: the same counts, under a conforming name.
  readonly queueJobs = new Gauge({ name: 'ors_queue_jobs', help: 'Jobs in each queue (cycle, discover, reconcile, apply) by state, at scrape time.', labelNames: ['queue', 'state'] as const, registers: [this.registry] });

  readonly buildInfo = new Gauge({ name: 'ors_build_info', help: 'Always 1; the labels say which release and which Node.js run.', labelNames: ['version', 'node'] as const, registers: [this.registry] });

  // Durations, measured in the process that did the work.
  readonly discoverDuration = new Histogram({
    name: 'ors_discover_duration_seconds',
    help: 'Time to discover one scope (the connector call, up to schedule.discoverTimeout), by connector.',
    labelNames: ['connector'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: 'ors_reconcile_duration_seconds',
    help: 'Time to reconcile one zone: list, plan and, unless dry run or held, wait for its batches; by zone.',
    labelNames: ['zone'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });

  readonly applyDuration = new Histogram({
    name: 'ors_apply_batch_duration_seconds',
    help: 'Time to send one batch of ≤100 mappings to Cloudflare and record its result, by batch kind (upsert, delete).',
    labelNames: ['kind'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  // Cloud events, counted in the process that received them.
  readonly eventsReceived = new Counter({
    name: 'ors_events_total',
    help: 'Event messages received, by source and outcome (enqueued: a targeted resync was queued; coalesced: joined one already waiting; ignored: an event that changes nothing discovered; unrouted: no configured scope covers it; malformed: refused).',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly eventToApplied = new Histogram({
    name: 'ors_event_to_applied_seconds',
    help: 'From receiving a cloud event to the end of the reconcile it caused (applied: changes written; noop: nothing to write), by source.',
    labelNames: ['source', 'result'] as const,
    buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120],
    registers: [this.registry],
  });

  readonly eventSourceUp = new Gauge({ name: 'ors_event_source_up', help: '1 while this process can receive from the event source; 0 while it cannot (retried with backoff).', labelNames: ['source', 'type'] as const, registers: [this.registry] });
  readonly eventLag = new Gauge({ name: 'ors_event_message_age_seconds', help: 'Age of the oldest message in the last batch received from the source, at receipt (where the vendor stamps messages).', labelNames: ['source'] as const, registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    // prom-client's standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, …), unprefixed,
    // so stock Node.js dashboards work as they are.
    if (opts.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named *_total break Prometheus' naming rules (promtool rejects them); the per-type
      // nodejs_active_{handles,requests,resources} gauges carry the same figures: sum() them.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    }
    this.buildInfo.set({ version: pkg.version, node: process.version }, 1);
  }

  async setQueueCounts(queues: Queue[]): Promise<void> {
    const counts = await Promise.all(queues.map(async (q) => [q.name, await q.getJobCounts()] as const));
    this.queueJobs.reset();
    for (const [queue, byState] of counts) for (const [state, n] of Object.entries(byState)) this.queueJobs.set({ queue, state }, n);
  }

  cloudflareRequest(info: { method: string; family: string; outcome: Outcome }): void {
    this.cloudflareRequests.inc({ method: info.method, family: info.family, outcome: info.outcome });
    if (info.outcome === 'rate_limited') this.cloudflareRateLimited.inc();
  }
}
