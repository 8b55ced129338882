import { planCounts, type PlanCounts } from '../commands/plan-summary.ts';
import type { Config } from '../config/load.ts';
import type { Runtime } from '../pipeline/runtime.ts';
import type { AuditRecord } from '../state/audit.ts';
import type { Metrics } from '../metrics/metrics.ts';

/** A plan as the dashboard lists it: its figures, not its IP lists (those stay behind the token: GET /plans/:id). */
export interface PlanRow {
  id: string;
  zoneId: string;
  createdAt: number;
  updatedAt: number;
  status: string;
  reason: string;
  statusReason?: string;
  dryRun: boolean;
  counts: PlanCounts;
  guard: { held: boolean; reason?: string };
}

/** The zones a read asks for: one (which must be configured) or all. */
function zonesOf(rt: Runtime, zone: string | undefined): string[] | undefined {
  const all = rt.ctx.config.zones.map((z) => z.id);
  if (zone === undefined) return all;
  return all.includes(zone) ? [zone] : undefined;
}

/** The most recent plans of the zones, newest first. Undefined: the zone is not configured. */
export async function recentPlans(rt: Runtime, q: { zone?: string; limit: number }): Promise<PlanRow[] | undefined> {
  const zones = zonesOf(rt, q.zone);
  if (!zones) return undefined;
  const rows: PlanRow[] = [];
  for (const z of zones) {
    for (const p of await rt.ctx.state.plans.list(z, q.limit)) {
      rows.push({
        id: p.id,
        zoneId: p.zoneId,
        createdAt: p.createdAt,
        updatedAt: p.updatedAt,
        status: p.status,
        reason: p.reason,
        ...(p.statusReason ? { statusReason: p.statusReason } : {}),
        dryRun: p.dryRun,
        counts: planCounts(p),
        guard: { held: p.guard.held, ...(p.guard.held && p.guard.reason ? { reason: p.guard.reason } : {}) },
      });
    }
  }
  return rows.sort((a, b) => b.createdAt - a.createdAt).slice(0, q.limit);
}

const HOUR = 3_600_000;
/** How many of the last day's records the chart reads at most per zone (each poll reads them again). */
export const CHART_READ_MAX = 5_000;

/**
 * The audit trail of the zones, newest first, and the writes per hour over the last 24 hours for the
 * chart (`truncated` when a zone had more than CHART_READ_MAX records in the day).
 */
export async function recentWrites(rt: Runtime, q: { zone?: string; limit: number }, now = Date.now()): Promise<{ records: AuditRecord[]; perHour: Array<{ hour: number; ok: number; failed: number }>; truncated: boolean } | undefined> {
  const zones = zonesOf(rt, q.zone);
  if (!zones) return undefined;
  const since = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
  const perHour = Array.from({ length: 24 }, (_, i) => ({ hour: since + i * HOUR, ok: 0, failed: 0 }));
  const records: AuditRecord[] = [];
  let truncated = false;
  for (const z of zones) {
    const day = await rt.ctx.audit.query({ zoneId: z, since, limit: CHART_READ_MAX });
    if (day.length >= CHART_READ_MAX) truncated = true;
    for (const r of day) {
      const b = perHour[Math.floor((r.at - since) / HOUR)];
      if (b) b[r.outcome === 'ok' ? 'ok' : 'failed']++;
    }
    // The table shows the newest records even when the last one is older than a day.
    records.push(...(day.length >= q.limit ? day.slice(0, q.limit) : await rt.ctx.audit.query({ zoneId: z, limit: q.limit })));
  }
  records.sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
  return { records: records.slice(0, q.limit), perHour, truncated };
}

/**
 * Cloudflare requests as this replica counted them since it started (by outcome: ok, rate_limited, …),
 * the limiter's window from the configuration, and how much of the current window every replica has
 * spent: BullMQ's global limiter counts writes in one Redis key that expires when the window ends.
 */
export async function cloudflareRequests(
  metrics: Metrics,
  config: Config,
  limiter?: { redis: { get(k: string): Promise<string | null>; pttl(k: string): Promise<number> }; key: string },
): Promise<{ window: { requests: number; perSeconds: number; used?: number; resetsInMs?: number }; byOutcome: Record<string, number>; rateLimited: number }> {
  const byOutcome: Record<string, number> = {};
  for (const v of (await metrics.cloudflareRequests.get()).values) {
    const o = String(v.labels.outcome);
    byOutcome[o] = (byOutcome[o] ?? 0) + v.value;
  }
  const rateLimited = (await metrics.cloudflareRateLimited.get()).values.reduce((a, v) => a + v.value, 0);
  const window: { requests: number; perSeconds: number; used?: number; resetsInMs?: number } = { ...config.cloudflare.rateLimit };
  if (limiter) {
    const [used, ttl] = await Promise.all([limiter.redis.get(limiter.key), limiter.redis.pttl(limiter.key)]);
    window.used = Number(used ?? 0);
    if (ttl > 0) window.resetsInMs = ttl;
  }
  return { window, byOutcome, rateLimited };
}

/**
 * The mappings the daemon owns per zone, by vendor and region, from its ownership registry (what it
 * wrote and keeps; unmanaged mappings are not in it). Undefined: the zone is not configured.
 */
export async function mappingsByRegion(rt: Runtime, zone: string | undefined): Promise<Record<string, Record<string, Record<string, number>>> | undefined> {
  const zones = zonesOf(rt, zone);
  if (!zones) return undefined;
  const out: Record<string, Record<string, Record<string, number>>> = {};
  for (const z of zones) {
    const by: Record<string, Record<string, number>> = {};
    for (const e of (await rt.ctx.state.registry.get(z)).values()) {
      const v = (by[e.vendor] ??= {});
      v[e.region] = (v[e.region] ?? 0) + 1;
    }
    out[z] = by;
  }
  return out;
}
