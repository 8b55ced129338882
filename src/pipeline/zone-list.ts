import { createHash } from 'node:crypto';
import { CloudflareApiError } from '../cloudflare/errors.ts';
import type { Mapping, UnparsedEntry } from '../cloudflare/types.ts';
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
  const every = ctx.config.cloudflare.driftCheckEveryMs;
  if (every <= 0) return 'list cache off (cloudflare.driftCheckEvery 0)';
  if (!cached) return 'no cached list';
  if (cached.epoch !== epoch) return 'cached list is from another state epoch';
  if (cached.stale) return cached.stale;
  if (now >= Math.min(cached.checkAt, cached.readAt + every)) return 'drift check due';
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
    const every = ctx.config.cloudflare.driftCheckEveryMs;
    // Zones cached together (the first cycle, or after a loss) would all fall due in the same cycle and
    // spend a whole window's budget at once: the first drift check of a zone comes somewhere in the
    // period, fixed by its id, and every later one a full period after the one before.
    const first = !cached || cached.epoch !== epoch;
    if (every > 0) await cache.putRead(zoneId, epoch, readAt, first ? firstCheckAt(zoneId, readAt, every) : readAt + every, list);
  }
  return { ...list, source: { from: 'cloudflare', readAt, why: why ?? 'no cached list' } };
}
