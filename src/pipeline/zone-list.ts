import { createHash } from 'node:crypto';
import { CloudflareApiError } from '../cloudflare/errors.ts';
import type { Mapping, UnparsedEntry } from '../cloudflare/types.ts';
import { PER_PAGE } from '../cloudflare/v2.ts';
import type { RegistryEntry } from '../reconcile/types.ts';
import type { ListCache } from '../state/list-cache.ts';
import type { PipelineContext } from './context.ts';

/** Where the list a plan was made from came from: Cloudflare just now, or the cache (and how old its last full read is). */
export interface ListSource {
  from: 'cloudflare' | 'cache';
  /** When the full read behind it started. */
  readAt: number;
  /** Why Cloudflare was read in full (cache missing, drift check due, unknown write, resync --full). */
  why?: string;
}

export interface ZoneList {
  mappings: Mapping[];
  unparsed: UnparsedEntry[];
  source: ListSource;
}

type Ctx = Pick<PipelineContext, 'config' | 'state' | 'cloudflare' | 'epoch'>;

/** A fraction in [0, 1) fixed by the zone id, evenly spread even for ids that differ in one character. */
function spread(zoneId: string): number {
  return createHash('sha256').update(zoneId).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The first drift check of a newly cached zone: anywhere in the period (at least a twentieth of it),
 * fixed by the zone id, so that zones cached in the same cycle fall due spread over the cycles of a period.
 */
export function firstCheckAt(zoneId: string, readAt: number, every: number): number {
  return readAt + Math.round(every * (0.05 + 0.95 * spread(zoneId)));
}

/** The drift check in force: driftCheckEvery, or longer where reading every zone that often would spend more than driftCheckShare of the budget. */
export interface DriftInterval {
  everyMs: number;
  /** Requests one drift check of every zone of this configuration takes (list pages, by the cached sizes). */
  requests: number;
  /** True when the budget, not driftCheckEvery, sets the interval. */
  stretched: boolean;
}

/** Sizes change with a full read or our own writes; a few seconds' lag in the total changes nothing. */
const INTERVAL_TTL_MS = 5_000;
const intervals = new WeakMap<object, { at: number; settings: string; value: DriftInterval }>();

/**
 * How often each zone's list is read in full. A drift check of a full v2 zone is 35 requests, and nothing
 * cheaper tells that a zone changed, so 50 full zones checked every 30 minutes would take a quarter of the
 * token's 1,200 requests per 5 minutes, a budget every other tool on the token shares. The interval is
 * stretched just enough that drift checks stay within driftCheckShare of cloudflare.rateLimit.
 */
export async function driftCheckInterval(ctx: Pick<PipelineContext, 'config' | 'state'>, now = Date.now(), just?: { zoneId: string; size: number }): Promise<DriftInterval> {
  const { driftCheckEveryMs: every, driftCheckShare: share, rateLimit, api } = ctx.config.cloudflare;
  const settings = JSON.stringify([every, share, rateLimit, api, ctx.config.zones.length]);
  const memo = intervals.get(ctx.state.lists);
  if (!just && memo && memo.settings === settings && now - memo.at < INTERVAL_TTL_MS && memo.at <= now) return memo.value;
  const ids = ctx.config.zones.map((z) => z.id);
  const sizes = await ctx.state.lists.sizes(ids);
  // A zone just read counts at the size it was read at, before the cache says so.
  const i = just ? ids.indexOf(just.zoneId) : -1;
  if (just && i >= 0) sizes[i] = just.size;
  // v1 lists a zone in one request; v2 (and auto, which settles on v2 where it can) a page per 100 entries.
  const requests = sizes.reduce((n, size) => n + (api === 'v1' ? 1 : Math.max(1, Math.ceil(size / PER_PAGE))), 0);
  const floor = Math.ceil((requests * rateLimit.perSeconds * 1000) / (share * rateLimit.requests));
  const value = every > 0 && floor > every ? { everyMs: floor, requests, stretched: true } : { everyMs: every, requests, stretched: false };
  intervals.set(ctx.state.lists, { at: now, settings, value });
  return value;
}

/**
 * Why the cached list cannot stand for the zone now, or null when it can. Anything the cache cannot
 * vouch for sends the reconcile to Cloudflare: no cache, another state epoch, a write whose outcome is
 * not known (marked on the cache, or left pending in the registry by apply), a full read asked for, or
 * the drift check due, which is what bounds how long drift made by others goes unseen.
 */
export async function fullReadReason(
  ctx: Ctx,
  zoneId: string,
  cached: Awaited<ReturnType<ListCache['get']>>,
  registry: ReadonlyMap<string, RegistryEntry>,
  now: number,
  epoch: string | null,
): Promise<string | null> {
  if (ctx.config.cloudflare.driftCheckEveryMs <= 0) return 'list cache off (cloudflare.driftCheckEvery 0)';
  if (!cached) return 'no cached list';
  if (cached.epoch !== epoch) return 'cached list is from another state epoch';
  if (cached.stale) return cached.stale;
  // The interval as it is now: a shorter driftCheckEvery, or fewer zones, takes effect before the next check.
  if (now >= Math.min(cached.checkAt, cached.readAt + (await driftCheckInterval(ctx, now)).everyMs)) return 'drift check due';
  for (const e of registry.values()) if (e.pending) return 'writes of unknown outcome pending';
  const asked = await ctx.state.lists.fullRequested(zoneId);
  if (asked && asked.at >= cached.readAt) return asked.reason;
  return null;
}

/**
 * The zone's list for planning: from the cache while it can stand for the zone, else (or when `full` says
 * why it must be read) read from Cloudflare in full and, unless `dryRun`, kept. A walk stopped by a 429
 * resumes where it stopped; a dry run neither resumes nor keeps anything, so it changes nothing a real
 * run does.
 */
export async function readZoneList(
  ctx: Ctx,
  zoneId: string,
  registry: ReadonlyMap<string, RegistryEntry>,
  opts: { signal?: AbortSignal | undefined; dryRun: boolean; full?: string | undefined },
): Promise<ZoneList> {
  const cache = ctx.state.lists;
  // Read, not remembered: a dry run has not checked the epoch, and must see the daemon's.
  const epoch = (await ctx.epoch.getEpoch())?.id ?? null;
  const now = Date.now();
  const cached = await cache.get(zoneId);
  const why = opts.full ?? (await fullReadReason(ctx, zoneId, cached, registry, now, epoch));
  if (why === null && cached) return { mappings: cached.mappings, unparsed: cached.unparsed, source: { from: 'cache', readAt: cached.readAt } };

  const resume = opts.dryRun ? undefined : await cache.getProgress(zoneId, epoch);
  // A resumed walk is as old as its first page: drift is counted from there.
  const readAt = resume ? Math.min(now, resume.startedAt) : now;
  let list;
  try {
    list = await ctx.cloudflare.listAll(zoneId, opts.signal, { resume: resume?.progress });
  } catch (err) {
    if (!opts.dryRun && err instanceof CloudflareApiError && err.listProgress) await cache.saveProgress(zoneId, epoch, err.listProgress, readAt);
    throw err;
  }
  if (!opts.dryRun) {
    await cache.clearProgress(zoneId);
    const every = (await driftCheckInterval(ctx, Date.now(), { zoneId, size: list.mappings.length + list.unparsed.length })).everyMs;
    // Zones cached together (the first cycle, or after a loss) would all fall due in the same cycle and
    // spend a whole window's budget at once: the first drift check of a zone comes somewhere in the
    // period, fixed by its id, and every later one a full period after the one before.
    const first = !cached || cached.epoch !== epoch;
    if (every > 0) await cache.putRead(zoneId, epoch, readAt, first ? firstCheckAt(zoneId, readAt, every) : readAt + every, list);
  }
  return { ...list, source: { from: 'cloudflare', readAt, why: why ?? 'no cached list' } };
}
