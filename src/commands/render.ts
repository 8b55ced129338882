import type { Config } from '../config/load.ts';
import { formatDuration } from '../config/duration.ts';
import type { PipelineEvents } from '../pipeline/context.ts';
import type { OnceResult } from '../pipeline/run-once.ts';
import type { StatusReport } from '../server/status.ts';
import type { StoredPlan } from '../state/store.ts';
import { planCounts, planSummary, shownOf } from './plan-summary.ts';
import type { EventEmitter } from 'node:events';

/** Left-aligned text table; numbers right-aligned. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[], isHead = false) =>
    r.map((c, i) => (!isHead && /^-?[\d.,]+%?$/.test(c) ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join('  ').trimEnd();
  return [line(head, true), width.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map((r) => line(r))].join('\n');
}

function zoneLabel(config: Config, id: string): string {
  const z = config.zones.find((x) => x.id === id);
  return z?.name ? `${z.name} (${id})` : id;
}

function counts<T>(list: readonly T[], key: (t: T) => string): string {
  const m = new Map<string, number>();
  for (const x of list) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m].map(([k, n]) => `${k} ${n}`).join(', ');
}

function byCount(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

/** The plan, for a human: what changes, what is left out and why, the budget, the guard. */
/** Where the plan's list came from, and how old the full read behind it is. */
function listLine(list: NonNullable<StoredPlan['list']>, at: number): string {
  const age = formatDuration(Math.max(0, at - list.readAt));
  return list.from === 'cache' ? `from the list cache (last full read ${age} before the plan)` : `read from Cloudflare${list.why ? ` (${list.why})` : ''}`;
}

export function renderPlan(config: Config, plan: StoredPlan, opts: { limit?: number } = {}): string {
  const limit = opts.limit ?? 20;
  const out: string[] = [];
  out.push(`zone ${zoneLabel(config, plan.zoneId)}: plan ${plan.id} (${plan.status}${plan.statusReason ? `: ${plan.statusReason}` : ''})`);
  out.push(`  ${planSummary(plan)}`);
  if (plan.list) out.push(`  list: ${listLine(plan.list, plan.createdAt)}`);
  const kinds = counts(plan.upserts, (u) => u.kind);
  out.push(`  changes: ${kinds || 'no upserts'}${plan.deletes.length ? `, delete ${plan.deletes.length}` : ''}`);
  const show = <T>(title: string, list: readonly T[], fmt: (t: T) => string) => {
    if (list.length === 0) return;
    out.push(`  ${title}:`);
    for (const x of list.slice(0, limit)) out.push(`    ${fmt(x)}`);
    if (list.length > limit) out.push(`    … and ${list.length - limit} more (--json for all)`);
  };
  show('upserts', plan.upserts, (u) => `${u.kind.padEnd(8)} ${u.ip}  ${u.vendor}/${u.region}${u.from ? `  (was ${u.from.vendor}/${u.from.region})` : ''}`);
  show('deletes', plan.deletes, (d) => `delete   ${d.ip}  ${d.vendor}/${d.region}  (${d.reason})`);
  show('drift (changed by someone else)', plan.drift, (d) => `${d.ip}: expected ${d.expected.vendor}/${d.expected.region}, found ${d.actual ? `${d.actual.vendor}/${d.actual.region}` : 'nothing'} → ${d.action}`);
  const totals = planCounts(plan);
  if (totals.skipped > 0) {
    out.push(`  skipped: ${byCount(totals.skippedByReason)}`);
    const shown = plan.skipped.slice(0, limit);
    for (const s of shown) out.push(`    ${s.reason.padEnd(17)} ${s.ip}  ${s.detail}`);
    if (shown.length < totals.skipped) out.push(`    … ${shownOf(shown.length, totals.skipped)} (${plan.skipped.length < totals.skipped ? '`plan --json --all` lists every one' : '--json for all'})`);
  }
  const b = plan.budget;
  out.push(
    `  budget: cap ${b.cap}, unmanaged ${b.unmanaged}, reserve ${b.reserve} → ${b.available} for this daemon; managed ${b.managedBefore} → ${b.managedAfter}, left ${b.left}${b.overflow ? `, overflow ${b.overflow} (not written: no room)` : ''}`,
  );
  if (plan.guard.held) out.push(`  guard: ${plan.guard.reason}`);
  if (plan.recovery) {
    const r = plan.recovery;
    out.push(
      `  state loss recovery: ${r.reowned} identical mapping(s) re-owned${r.reowned < r.identical.length ? ` (${r.identical.length} identical, not re-owned: the loss is only suspected)` : ''}, ${r.possiblyOurs.length} possibly ours from before the loss (claim after review: recover --zone ${plan.zoneId}), ${r.frozenDeletes} delete(s) frozen`,
    );
    show('possibly ours, from before the loss', r.possiblyOurs, (p) => `${p.ip}  ${p.vendor}/${p.region}${p.wanted ? `  (wanted ${p.wanted.vendor}/${p.wanted.region})` : '  (no origin wants it)'}`);
  }
  if (plan.result) {
    const r = plan.result;
    out.push(`  result: ${r.upserted} upserted, ${r.deleted} deleted, ${r.failed.length} failed, in ${r.requests} write request(s)`);
    for (const f of r.failed.slice(0, limit)) out.push(`    failed ${f.ip}: ${f.error}`);
    for (const e of r.batchErrors.slice(0, limit)) out.push(`    ${e}`);
  }
  return out.join('\n');
}

export function renderOnce(config: Config, r: OnceResult, opts: { limit?: number } = {}): string {
  const out: string[] = [];
  const bad = r.cycle.scopes.filter((s) => s.status !== 'complete');
  out.push(`discovered ${r.cycle.scopes.length} scope(s): ${counts(r.cycle.scopes, (s) => s.status)}`);
  for (const s of bad) out.push(`  ${s.status}: ${s.scope}: ${s.error ?? 'no detail'}  (its last good snapshot is kept; nothing in it is deleted)`);
  for (const e of r.cycle.listErrors) out.push(`  ${e.connector}: ${e.error}`);
  for (const z of r.zones) {
    out.push('');
    if (z.plan) out.push(renderPlan(config, z.plan, opts));
    else out.push(`zone ${zoneLabel(config, z.result.zoneId)}: ${z.result.status}${z.result.statusReason ? `: ${z.result.statusReason}` : ''}`);
  }
  return out.join('\n');
}

/** Exit code of a cycle: 1 if anything failed (a scope, a zone, a write), else 3 if a plan is held, else 0. */
export function exitCodeOf(r: OnceResult): number {
  const failed =
    r.cycle.listErrors.length > 0 ||
    r.cycle.scopes.some((s) => s.status !== 'complete') ||
    r.zones.some((z) => ['error', 'failed', 'partial', 'skipped'].includes(z.result.status));
  if (failed) return 1;
  return r.zones.some((z) => z.result.status === 'held') ? 3 : 0;
}

/** Progress on a terminal (scopes discovered, batches applied), redrawn on one line on stderr. */
export function showProgress(events: EventEmitter<PipelineEvents>, stream: NodeJS.WriteStream = process.stderr): () => void {
  if (!stream.isTTY) return () => {};
  let scopesTotal = 0;
  let scopesDone = 0;
  const batches = new Map<string, { done: number; of: number }>();
  const draw = (text: string) => stream.write(`\r\x1b[2K${text}`);
  const onScopes = (e: { total: number }) => {
    scopesTotal += e.total;
    draw(`discovering: ${scopesDone}/${scopesTotal} scopes`);
  };
  const onScope = () => draw(`discovering: ${++scopesDone}/${scopesTotal} scopes`);
  const onBatch = (e: { planId: string; of: number }) => {
    const b = batches.get(e.planId) ?? { done: 0, of: e.of };
    b.done++;
    batches.set(e.planId, b);
    draw(`applying: ${[...batches.values()].reduce((a, x) => a + x.done, 0)}/${[...batches.values()].reduce((a, x) => a + x.of, 0)} batches`);
  };
  const onPaused = (e: { ms: number; why: string }) => draw(`paused ${formatDuration(e.ms)}: ${e.why}`);
  events.on('scopes', onScopes);
  events.on('scope', onScope);
  events.on('batch', onBatch);
  events.on('paused', onPaused);
  return () => {
    events.off('scopes', onScopes);
    events.off('scope', onScope);
    events.off('batch', onBatch);
    events.off('paused', onPaused);
    stream.write('\r\x1b[2K');
  };
}

export function renderStatus(config: Config, r: StatusReport): string {
  const age = (s: number | null) => (s === null ? 'never' : `${formatDuration(s * 1000)} ago`);
  const ago = (t: number) => `${formatDuration(Math.max(0, r.at - t))} ago (${new Date(t).toISOString()})`;
  const out: string[] = [];
  out.push(
    table(
      ['zone', 'policy', 'managed', 'unmanaged', 'cap', 'budget left', 'overflow', 'last plan', 'list read', 'last complete reconcile', 'ready', 'scopes'],
      r.zones.map((z) => [
        z.name ?? z.id,
        z.policy,
        z.managed ?? '–',
        z.unmanaged ?? '–',
        z.cap ?? '–',
        z.budgetLeft ?? '–',
        z.overflow ?? '–',
        `${z.lastStatus ?? '–'}${z.heldPlanId ? ` (held: ${z.heldPlanId})` : ''}`,
        // The last plan's list: read now, or cached from a full read this long ago (cloudflare.driftCheckEvery).
        z.listReadAt ? `${formatDuration(Math.max(0, r.at - z.listReadAt))} ago${z.listFrom === 'cache' ? ' (cache)' : ''}` : '–',
        age(z.ageSeconds),
        z.ready ? 'yes' : 'no',
        z.degraded ? `DEGRADED since ${ago(z.degraded.since)}` : 'ok',
      ]),
    ),
  );
  for (const z of r.zones) {
    const p = z.pending;
    if (p) {
      out.push(
        `pending in ${z.name ?? z.id}: plan ${p.planId} (held: ${p.reason}) would make ${p.upserts} upsert(s) and ${p.deletes} delete(s), leaving managed ${p.managedAfter}, unmanaged ${p.unmanagedAfter}, budget left ${p.budgetLeftAfter}${p.overflow ? `, overflow ${p.overflow}` : ''}; \`approve ${p.planId}\` applies it`,
      );
    }
    const d = z.degraded;
    if (!d) continue;
    out.push(`degraded in ${z.name ?? z.id} since ${ago(d.since)}: deletes are frozen in these scopes until they scan complete again`);
    for (const c of d.connectors) out.push(`  connector ${c.connector} cannot list its scopes, since ${ago(c.since)}: ${c.error}`);
    for (const s of d.scopes) out.push(`  ${s.status}: ${s.scope}, since ${ago(s.since)}${s.error ? `: ${s.error}` : ''}`);
  }
  out.push('');
  out.push(
    table(
      ['queue', 'waiting', 'active', 'delayed', 'failed', 'workers'],
      Object.entries(r.queues).map(([q, c]) => [q, c.waiting ?? 0, c.active ?? 0, c.delayed ?? 0, c.failed ?? 0, r.workers[q] ?? 0]),
    ),
  );
  const sched = r.schedule.everyMs ? `every ${formatDuration(r.schedule.everyMs)}, next ${r.schedule.next ? `in ${formatDuration(Math.max(0, r.schedule.next - r.at))}` : '–'}` : `not scheduled (no daemon has started with this Redis prefix ${config.redis.prefix})`;
  out.push('', `schedule: ${sched}`);
  const d = r.driftCheck;
  const c = config.cloudflare;
  const stretch = `stretched from cloudflare.driftCheckEvery ${formatDuration(c.driftCheckEveryMs)}: one check of every zone takes ${d.requests} requests, and cloudflare.driftCheckShare lets drift checks spend ${Math.round(c.driftCheckShare * 100)}% of ${c.rateLimit.requests} requests per ${formatDuration(c.rateLimit.perSeconds * 1000)}`;
  if (d.everyMs <= 0) out.push('drift check: list cache off (cloudflare.driftCheckEvery 0): every reconcile reads each zone in full');
  else out.push(`drift check: each zone's list is read in full every ${formatDuration(d.everyMs)}${d.stretched ? ` (${stretch})` : ''}`);
  if (r.cloudflarePause) out.push(`Cloudflare writes paused until ${new Date(r.cloudflarePause.until).toISOString()} (${formatDuration(r.rateLimitedForMs)} left): ${r.cloudflarePause.reason}`);
  const badScopes = r.scopes.filter((s) => s.status !== 'complete');
  out.push(`scopes: ${r.scopes.length} (${r.scopes.length - badScopes.length} complete)`);
  for (const s of badScopes) out.push(`  ${s.status}: ${s.scope}${s.error ? `: ${s.error}` : ''}`);
  if (r.stateLoss) {
    const l = r.stateLoss;
    out.push('', `STATE LOSS ${l.kind} ${formatDuration(Math.max(0, r.at - l.detectedAt))} ago (${new Date(l.detectedAt).toISOString()}, noticed by ${l.by})`);
    let recovering = 0;
    for (const z of r.zones) {
      if (!z.recovery || z.recovery.kind === 'unverified') continue;
      recovering++;
      out.push(`  ${z.name ?? z.id}: ${z.recovery.reowned ?? 0} re-owned, ${z.recovery.possiblyOurs ?? '?'} possibly ours from before the loss (review: recover --zone ${z.id} --dry-run), deletes ${z.recovery.deletesFrozen ? 'frozen' : 'released'}`);
    }
    if (recovering === 0) out.push('  every zone has recovered');
  }
  if (r.events.length > 0) {
    out.push('', 'event sources:');
    for (const e of r.events) {
      const where = e.replica ? ` on ${e.replica}` : '';
      const since = e.since ? ` since ${ago(e.since)}` : '';
      const last = e.lastMessageAt ? `, last message ${ago(e.lastMessageAt)}${e.lagSeconds !== undefined ? ` (${e.lagSeconds.toFixed(1)}s old on arrival)` : ''}` : '';
      const state = e.state === 'unreported' ? 'unreported (no running daemon consumes it)' : e.state === 'stale' ? 'stale (that replica stopped reporting)' : e.state;
      out.push(`  ${e.source} (${e.type})${where}: ${state}${since}${last}${e.error ? `: ${e.error}` : ''}`);
    }
  }
  out.push('', r.errors.length ? 'recent errors:' : 'recent errors: none');
  for (const e of r.errors) out.push(`  ${formatDuration(Math.max(0, r.at - e.at))} ago  ${e.where}: ${e.message}`);
  return out.join('\n');
}
