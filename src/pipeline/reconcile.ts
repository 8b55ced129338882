import { UnrecoverableError, type Job } from 'bullmq';
import type { ScanResult, Scope } from '../../connectors/connector.ts';
import { CloudflareApiError } from '../cloudflare/errors.ts';
import { MAX_BATCH } from '../cloudflare/limits.ts';
import type { Mapping, SupportedRegions } from '../cloudflare/types.ts';
import { isVendor, type Vendor } from '../model/index.ts';
import { PLAN_SAMPLE, planZone } from '../reconcile/plan.ts';
import type { Plan, ScopeView, ZoneSettings } from '../reconcile/types.ts';
import type { ApplyOutcome, BatchResult, PlanStatus, StoredPlan } from '../state/store.ts';
import { supportedRegionsCache } from '../state/caches.ts';
import { checkEpoch } from './bootstrap.ts';
import { BudgetHold } from './cloudflare-budget.ts';
import { paceFromHeaders, pauseCloudflare } from './cloudflare-pace.ts';
import type { PipelineContext } from './context.ts';
import { zoneConnectors } from './cycle.ts';
import { observeEventToApplied } from './event-cycles.ts';
import { handBack } from './handback.ts';
import { jobId, newPlanId, type ApplyJob, type PlanExpectation, type ReconcileJob, type ReconcileResult } from './jobs.ts';
import { noopPlanTtl, planInputsDigest, quietAnswer } from './quiet.ts';
import { afterRecoveryPlan, planWithRecovery } from './recovery.ts';
import { readZoneList, type ListSource } from './zone-list.ts';
import type { KnownWrites } from '../state/list-cache.ts';

const SUPPORTED_REGIONS_TTL = 3600;

/**
 * Reconciles one zone: reads Cloudflare's list, plans against the snapshots, stores the plan, and (unless
 * it is a dry run, has nothing to do, or is held by the guard) applies it: deletes first, then upserts,
 * in batches of ≤100 through the rate-limited apply queue, waiting for each phase. The job stays
 * active while its batches run, which is what keeps a zone's reconciles from overlapping.
 */
export async function processReconcile(ctx: PipelineContext, job: Job<ReconcileJob>, token?: string, signal?: AbortSignal): Promise<ReconcileResult> {
  const endTimer = ctx.metrics.reconcileDuration.startTimer({ zone: job.data.zoneId });
  try {
    const result = await reconcileZone(ctx, job, token, signal);
    observeEventToApplied(ctx, job.data, result);
    return result;
  } finally {
    endTimer();
  }
}

async function reconcileZone(ctx: PipelineContext, job: Job<ReconcileJob>, token?: string, signal?: AbortSignal): Promise<ReconcileResult> {
  const { zoneId, cycleId, dryRun = false } = job.data;
  const zone = ctx.config.zones.find((z) => z.id === zoneId);
  const base = { zoneId, cycleId, upserts: 0, deletes: 0, failed: 0, requests: 0 };
  if (!zone) return { ...base, planId: null, status: 'skipped', statusReason: 'zone is not in this configuration' };
  const log = ctx.logger.child({ zone: zoneId, cycle: cycleId });
  // Before anything is read as ownership: an empty registry after a loss must not look like a fresh zone.
  await checkEpoch(ctx);

  const reviewed = !!job.data.expect || job.data.reason === 'approve';
  const inputs = dryRun || reviewed ? null : await planInputsDigest(ctx, zone, Date.now());
  const quiet = inputs === null ? null : await quietAnswer(ctx, zone, log, inputs);
  if (quiet) return { ...base, ...quiet, status: 'noop' };

  let plan, api, now, listed, list;
  try {
    // Writes a person reviewed (a saved plan, an approval) are checked against the zone as it is, not as cached.
    const full = dryRun ? undefined : job.data.expect ? `applying saved plan ${job.data.expect.planId}` : job.data.reason === 'approve' ? 'applying an approved plan' : undefined;
    ({ plan, api, now, listed, list } = await buildPlan(ctx, zone, await zoneScopes(ctx, zone), { signal, cache: true, dryRun, full }));
  } catch (err) {
    if (err instanceof CloudflareApiError) {
      // The shared budget had no slot: no 429 was met, so no pause is recorded; the walk resumes from its progress.
      if (err instanceof BudgetHold) throw await handBack(job, token, err.retryAfterMs ?? 1_000);
      if (err.outcome === 'rate_limited') {
        const ms = err.retryAfterMs ?? 60_000;
        await pauseCloudflare(ctx, ms, 'rate limited while listing mappings');
        throw await handBack(job, token, ms);
      }
      // Nothing is planned from a list that could not be read: an unreadable list is not an empty zone,
      // and planning from it would forget every mapping the daemon owns there (tombstones included).
      const message = `zone not reconciled, nothing planned or written: ${err.message}`;
      await ctx.state.errors.record(`reconcile ${zoneId}`, message);
      log.error({ outcome: err.outcome, status: err.status, error: err.message }, 'zone not reconciled: Cloudflare answer unusable');
      if (!err.retryable) throw new UnrecoverableError(message);
    }
    throw err;
  }

  // Reads see the Ratelimit header too: a window they nearly spent pauses every replica's requests, writes and reads.
  if (list.from === 'cloudflare') await paceFromHeaders(ctx);

  const writes = plan.upserts.length + plan.deletes.length;
  const zoneStatus = await ctx.state.zones.get(zoneId);

  // A held plan keeps its id while nothing changes, so the id an operator approves stays valid, and the
  // plan applied after the approval is the very plan that was approved.
  let id = newPlanId(zoneId, now);
  if (!dryRun && zoneStatus.heldPlanId) {
    const prev = await ctx.state.plans.get(zoneStatus.heldPlanId);
    if (prev && prev.status === 'held' && prev.digest === plan.digest) id = prev.id;
  }
  let status: PlanStatus = dryRun ? 'dry-run' : writes === 0 ? 'noop' : 'applying';
  let statusReason: string | undefined;
  const expect = dryRun ? undefined : job.data.expect;
  const stale = expect ? staleness(expect, plan) : null;
  if (expect && stale) {
    const stored: StoredPlan = { ...plan, id, status: 'stale', statusReason: `${stale}; nothing written: make a new plan (plan --out) and review it`, reason: job.data.reason, cycleId, dryRun, api, updatedAt: now };
    await ctx.state.plans.save(stored);
    ctx.events.emit('plan', stored);
    log.warn({ plan: id, savedPlan: expect.planId, why: stale }, 'saved plan is stale: not applied');
    return { ...base, planId: id, status: 'stale', statusReason: stored.statusReason! };
  }
  if (expect) {
    // The reviewer saw exactly these writes, made from this very state: the guard has had its say.
    if (writes > 0) statusReason = `saved plan ${expect.planId} applied as reviewed${plan.guard.held ? ` (guard: ${plan.guard.reason})` : ''}`;
  } else if (!dryRun && writes > 0 && plan.guard.held) {
    const forced = await ctx.state.guard.takeForce(zoneId);
    const approved = await ctx.state.guard.approvedDigest(zoneId);
    if (forced || approved === plan.digest) {
      statusReason = forced ? `guard overridden (--force): ${plan.guard.reason}` : `approved: ${plan.guard.reason}`;
      if (approved === plan.digest) await ctx.state.guard.clearApproval(zoneId);
    } else {
      status = 'held';
      statusReason = `${plan.guard.reason}; run \`origin-region-sync approve ${id}\` or sync --force`;
    }
  }
  const stored: StoredPlan = { ...plan, id, status, reason: job.data.reason, cycleId, dryRun, api, list, updatedAt: now, ...(statusReason ? { statusReason } : {}), ...(job.data.cause ? { cause: job.data.cause } : {}) };
  await ctx.state.plans.save(stored, { noopTtlSeconds: noopPlanTtl(ctx) });
  if (!dryRun && zoneStatus.heldPlanId && zoneStatus.heldPlanId !== id) await supersede(ctx, zoneStatus.heldPlanId, id, 'held');
  if (!dryRun) {
    await ctx.state.tombstones.replace(zoneId, plan.tombstones);
    await ctx.state.zones.set(zoneId, { ...planFigures(plan, stored, api), ...inZone(plan, listed), listFrom: list.from, listReadAt: list.readAt });
    for (const d of plan.drift) ctx.metrics.drift.inc({ zone: zoneId, action: d.action });
    if (plan.drift.length > 0) log.warn({ drift: plan.drift.slice(0, 20), count: plan.drift.length }, 'managed mappings were changed by someone else');
  }
  ctx.events.emit('plan', stored);
  log.info(
    {
      plan: id,
      status,
      upserts: plan.upserts.length,
      deletes: plan.deletes.length,
      skipped: plan.totals.skipped,
      overflow: plan.totals.overflow,
      budgetLeft: plan.budget.left,
      guard: plan.guard.reason,
      ...(plan.recovery ? { reowned: plan.recovery.reowned, possiblyOurs: plan.recovery.possiblyOurs.length, frozenDeletes: plan.recovery.frozenDeletes } : {}),
    },
    `plan ${status}`,
  );

  if (dryRun) return { ...base, planId: id, status };
  if (status === 'held') {
    ctx.metrics.plansHeld.inc({ zone: zoneId });
    await ctx.state.zones.set(zoneId, { heldPlanId: id, pending: JSON.stringify(pendingFigures(plan, id)) });
    await ctx.state.errors.record(`reconcile ${zoneId}`, `plan ${id} held by the guard: ${plan.guard.reason}`);
    await afterRecoveryPlan(ctx, zoneId, plan, status);
    return { ...base, planId: id, status, ...(statusReason ? { statusReason } : {}) };
  }
  await ctx.state.zones.clear(zoneId, 'heldPlanId');
  await ctx.state.zones.clear(zoneId, 'pending');

  // From here on the plan is the zone's: batches of any older plan are superseded.
  const previous = await ctx.state.plans.getCurrent(zoneId);
  await ctx.state.plans.setCurrent(zoneId, id);
  if (previous && previous !== id) await supersede(ctx, previous, id, 'applying');
  await rememberAndForget(ctx, zoneId, id, plan, now);
  if (status === 'noop') {
    // Remembered only when the inputs did not move while the plan was made: the digest must be of what it saw.
    const settled = inputs !== null && (await planInputsDigest(ctx, zone, Date.now())) === inputs;
    await ctx.state.zones.set(zoneId, { lastCompleteAt: now, lastStatus: 'noop', ...afterPlan(plan), ...(settled ? { planInputs: inputs } : {}) });
    if (!settled) await ctx.state.zones.clear(zoneId, 'planInputs');
    await afterRecoveryPlan(ctx, zoneId, plan, status);
    return { ...base, planId: id, status };
  }

  // Until the results are laid over it, the cached list cannot stand for the zone: a crash in between leaves it stale.
  const writing = `plan ${id} was being applied`;
  await ctx.state.lists.markStale(zoneId, writing);
  const { outcome, known } = await applyPlan(ctx, job, token, id, zone, plan);
  await ctx.state.lists.applyWrites(zoneId, known, writing);
  const finalStatus: PlanStatus = outcome.failed.length === 0 && outcome.batchErrors.length === 0 ? 'applied' : outcome.upserted + outcome.deleted > 0 ? 'partial' : 'failed';
  await ctx.state.plans.update(id, { status: finalStatus, result: outcome });
  // Applied, the zone holds what the plan said; partly applied, the figures before it stay until the next
  // reconcile reads the zone again.
  await ctx.state.zones.set(zoneId, { lastStatus: finalStatus, ...(finalStatus === 'applied' ? { lastCompleteAt: Date.now(), ...afterPlan(plan) } : {}) });
  await afterRecoveryPlan(ctx, zoneId, plan, finalStatus);
  for (const u of plan.upserts) ctx.metrics.planChanges.inc({ zone: zoneId, kind: u.kind });
  if (plan.deletes.length > 0) ctx.metrics.planChanges.inc({ zone: zoneId, kind: 'delete' }, plan.deletes.length);
  if (finalStatus !== 'applied') {
    const first = outcome.batchErrors[0] ?? outcome.failed[0]?.error ?? 'unknown';
    await ctx.state.errors.record(`apply ${zoneId}`, `plan ${id} ${finalStatus}: ${outcome.failed.length} item(s) failed; ${first}`);
  }
  log.info({ plan: id, status: finalStatus, upserted: outcome.upserted, deleted: outcome.deleted, failed: outcome.failed.length, requests: outcome.requests }, `plan ${finalStatus}`);
  return {
    ...base,
    planId: id,
    status: finalStatus,
    upserts: outcome.upserted,
    deletes: outcome.deleted,
    failed: outcome.failed.length + outcome.batchErrors.length,
    requests: outcome.requests,
  };
}

async function applyPlan(ctx: PipelineContext, job: Job<ReconcileJob>, token: string | undefined, planId: string, zone: ZoneSettings, plan: Plan): Promise<{ outcome: ApplyOutcome; known: KnownWrites }> {
  const deleteBatches = chunk(plan.deletes.map((d) => ({ ip: d.ip })), MAX_BATCH);
  const upsertBatches = chunk(plan.upserts.map((u) => ({ ip: u.ip, vendor: u.vendor, region: u.region, scope: u.scope })), MAX_BATCH);
  const of = deleteBatches.length + upsertBatches.length;
  const results: BatchResult[] = [];
  const known: KnownWrites = { upserted: [], deleted: [] };
  let n = 0;
  // Deletes first: they free the room the creates need, so no write ever meets the 3,500 cap.
  for (const phase of [deleteBatches.map((items) => ({ kind: 'delete' as const, items })), upsertBatches.map((items) => ({ kind: 'upsert' as const, items }))]) {
    if (phase.length === 0) continue;
    const ids: string[] = [];
    for (const b of phase) {
      const batch = n++;
      const data = { planId, zoneId: zone.id, batch, trigger: job.data.reason, ...(job.data.cause ? { eventId: job.data.cause.eventId } : {}), ...b } as ApplyJob;
      const j = await ctx.queues.apply.add(b.kind, data, { jobId: jobId('apply', planId, String(batch)) });
      ids.push(j.id!);
    }
    try {
      await ctx.jobs.wait(ctx.queues.apply, ids, { signal: ctx.shutdown });
    } catch (err) {
      // Shutting down: hand the zone back; whoever runs it next re-plans, superseding these batches.
      if (ctx.shutdown.aborted) throw await handBack(job, token, 0);
      throw err;
    }
    const recorded = new Map((await ctx.state.plans.getBatches(planId)).map((r) => [r.batch, r]));
    for (let i = n - phase.length; i < n; i++) {
      const r = recorded.get(i) ?? { batch: i, kind: phase[0]!.kind, sent: 0, succeeded: 0, failed: [], error: 'batch job ended without a result' };
      results.push(r);
      settle(known, r, phase[i - (n - phase.length)]!, planId);
      ctx.events.emit('batch', { zoneId: zone.id, planId, batch: i, of, kind: r.kind, sent: r.sent, succeeded: r.succeeded, failed: r.failed.length + (r.error ? r.sent || 1 : 0) });
    }
  }
  const outcome = {
    upserted: sum(results.filter((r) => r.kind === 'upsert').map((r) => r.succeeded)),
    deleted: sum(results.filter((r) => r.kind === 'delete').map((r) => r.succeeded)),
    failed: results.flatMap((r) => r.failed),
    batchErrors: results.flatMap((r) => (r.error ? [`batch ${r.batch} (${r.kind}): ${r.error}`] : [])),
    requests: results.filter((r) => r.sent > 0 && !r.superseded).length,
    finishedAt: Date.now(),
  };
  return { outcome, known };
}

/**
 * What one batch did to the zone, as its result says: items not refused landed. A batch that ended
 * without a per-item answer (an error after retries, a lost job) may have landed in part: unknown.
 */
function settle(known: KnownWrites, r: BatchResult, batch: { kind: 'upsert' | 'delete'; items: Array<{ ip: string; vendor?: string; region?: string }> }, planId: string): void {
  if (r.superseded) return;
  if (r.error !== undefined) {
    known.unknown ??= `batch ${r.batch} of plan ${planId} ended without a known outcome (${r.error})`;
    return;
  }
  const refused = new Set(r.failed.map((f) => f.ip));
  for (const item of batch.items) {
    if (refused.has(item.ip)) continue;
    if (batch.kind === 'delete') known.deleted.push(item.ip);
    else known.upserted.push({ ip: item.ip, vendor: item.vendor as Mapping['vendor'], region: item.region! });
  }
}

/** Marks an older plan that never finished (held, or interrupted while applying) as superseded. */
async function supersede(ctx: PipelineContext, oldId: string, newId: string, ifStatus: PlanStatus): Promise<void> {
  const old = await ctx.state.plans.get(oldId);
  if (old?.status === ifStatus) await ctx.state.plans.update(oldId, { status: 'superseded', statusReason: `superseded by plan ${newId} (was ${ifStatus})` });
}

async function rememberAndForget(ctx: PipelineContext, zoneId: string, planId: string, plan: Plan, now: number): Promise<void> {
  await ctx.state.registry.set(
    zoneId,
    plan.remember.map((r) => [r.ip, { ...r.entry, planId, at: now }]),
  );
  await ctx.state.registry.forget(zoneId, plan.forget);
}

function planFigures(plan: Plan, stored: StoredPlan, api: string) {
  const counts = plan.totals.skippedByReason;
  return {
    lastPlanId: stored.id,
    lastPlanAt: stored.createdAt,
    lastStatus: stored.status,
    cap: plan.budget.cap,
    available: plan.budget.available,
    overflow: plan.budget.overflow,
    drift: plan.drift.length,
    skipped: JSON.stringify(counts),
    api,
  };
}

/** The part of the context that planning reads from (no queues: a dry run has none). */
export type PlanReader = Pick<PipelineContext, 'config' | 'logger' | 'state' | 'cloudflare' | 'epoch'>;

/** A dry run's own discovery, kept in memory: fresh scope lists and scans laid over what is stored. */
export interface FreshDiscovery {
  lists: ReadonlyMap<string, { scopes: Scope[]; unlisted: boolean }>;
  scans: ReadonlyMap<string, { result: ScanResult; at: number }>;
}

/** The zone's scopes as the planner sees them: the stored snapshots, or a dry run's fresh ones over them. */
export async function zoneScopes(ctx: Pick<PipelineContext, 'config' | 'state'>, zone: ZoneSettings, fresh?: FreshDiscovery): Promise<{ views: ScopeView[]; unlisted: Set<string> }> {
  const selected = zoneConnectors(ctx, zone);
  const lists = await Promise.all(
    selected.map(async (n) => {
      const given = fresh?.lists.get(n);
      if (given) return given;
      const { list, unlisted } = await ctx.state.snapshots.getScopeListing(n);
      return { scopes: list?.scopes ?? [], unlisted };
    }),
  );
  const scopes = lists.flatMap((l) => l.scopes);
  const unlisted = new Set(selected.filter((_, i) => lists[i]!.unlisted));
  const views = await ctx.state.snapshots.getScopeViews(scopes.map((s) => ({ id: s.id, connector: s.connector })), fresh?.scans);
  return { views, unlisted };
}

/**
 * Reads Cloudflare's list (or the list cache; see zone-list.ts) and supported_regions, the registry and the
 * tombstones, and plans the zone with the pure planner. Sends no write; with `cache: false` it stores
 * nothing at all (a dry run without queues); `dryRun` keeps the list cache as it was. Skipped and
 * overflow entries are listed as the stored plan keeps them (the first PLAN_SAMPLE), or every one with
 * `all` (`plan --json --all`).
 */
export async function buildPlan(
  ctx: PlanReader,
  zone: ZoneSettings,
  scopes: { views: ScopeView[]; unlisted: Set<string> },
  opts: { signal?: AbortSignal | undefined; cache: boolean; dryRun?: boolean; full?: string | undefined; all?: boolean },
): Promise<{ plan: Plan; api: string; now: number; listed: number; list: ListSource }> {
  const supported = await supportedRegions(ctx, zone.id, opts.signal, opts.cache);
  const registry = await ctx.state.registry.get(zone.id);
  const { mappings: current, unparsed, source } = await readZoneList(ctx, zone.id, registry, { signal: opts.signal, dryRun: !opts.cache || opts.dryRun === true, full: opts.full });
  const now = Date.now();
  const tombstones = await ctx.state.tombstones.get(zone.id);
  // A dry run (cache: false) plans under the recovery rule too, but settles nothing.
  const plan = await planWithRecovery(ctx, zone.id, !opts.cache, registry.size, (recovery) =>
    planZone({
      zone,
      now,
      maxScanAgeMs: ctx.config.schedule.maxScanAgeMs,
      scopes: scopes.views,
      unlistedConnectors: scopes.unlisted,
      current,
      unparsed,
      registry,
      tombstones,
      ...(supported ? { supportedRegions: supported } : {}),
      ...(recovery ? { recovery } : {}),
      ...(opts.all ? {} : { sample: PLAN_SAMPLE }),
    }),
  );
  return { plan, api: await ctx.cloudflare.family(zone.id), now, listed: current.length + unparsed.length, list: source };
}

/**
 * What the zone holds as listed, before the plan: a plan that is held (or not yet applied) must not be
 * reported as the zone's figures. Budget left is the room for more of our mappings right now.
 */
function inZone(plan: Plan, total: number) {
  const b = plan.budget;
  return { managed: b.managedBefore, unmanaged: total - b.managedBefore, budgetLeft: b.cap - b.reserve - total };
}

/** What the zone holds once the plan is applied. */
function afterPlan(plan: Plan) {
  return { managed: plan.budget.managedAfter, unmanaged: plan.budget.unmanaged, budgetLeft: plan.budget.left };
}

function pendingFigures(plan: Plan, planId: string) {
  const b = plan.budget;
  return { planId, upserts: plan.upserts.length, deletes: plan.deletes.length, managedAfter: b.managedAfter, unmanagedAfter: b.unmanaged, budgetLeftAfter: b.left, overflow: b.overflow, reason: plan.guard.reason ?? 'held by the guard' };
}

/**
 * The zone's supported_regions, cached for an hour. When Cloudflare will not say (Tiered Cache off, an
 * unexpected answer), regions are checked against the vendor catalogues instead.
 */
async function supportedRegions(ctx: PlanReader, zoneId: string, signal: AbortSignal | undefined, cache: boolean): Promise<Map<Vendor, Set<string>> | undefined> {
  const cacheKey = supportedRegionsCache(zoneId);
  let sr = await ctx.state.caches.get<SupportedRegions | { unavailable: string }>(cacheKey);
  if (!sr) {
    try {
      sr = await ctx.cloudflare.supportedRegions(zoneId, signal);
      if (cache) await ctx.state.caches.set(cacheKey, sr, SUPPORTED_REGIONS_TTL);
    } catch (err) {
      if (err instanceof CloudflareApiError && (err.outcome === 'rate_limited' || err.outcome === 'auth' || err.retryable)) throw err;
      ctx.logger.warn({ zone: zoneId, error: (err as Error).message }, 'supported_regions unavailable: checking regions against the vendor catalogues');
      // Asked again in a while, not at every reconcile: the answer will not change that fast.
      if (cache) await ctx.state.caches.set(cacheKey, { unavailable: (err as Error).message }, SUPPORTED_REGIONS_TTL / 6);
      return undefined;
    }
  }
  if ('unavailable' in sr) return undefined;
  const out = new Map<Vendor, Set<string>>();
  for (const [vendor, regions] of Object.entries(sr.vendors)) if (isVendor(vendor)) out.set(vendor, new Set(regions.map((r) => r.name)));
  return out;
}

function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Why a saved plan no longer fits the zone, or null when a fresh plan makes the same writes from the same state. */
export function staleness(expect: PlanExpectation, plan: Plan): string | null {
  if (plan.basis.zone !== expect.basis.zone) return `the zone's mappings changed since plan ${expect.planId} was made`;
  if (plan.basis.desired !== expect.basis.desired) return `the inventory (what the clouds run, as selected for this zone) changed since plan ${expect.planId} was made`;
  if (plan.digest !== expect.digest) return `the changes differ from plan ${expect.planId} (ownership or tombstones moved on)`;
  return null;
}
