import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ZoneSettings } from '../reconcile/types.ts';
import { supportedRegionsCache } from '../state/caches.ts';
import type { ZoneStatus } from '../state/store.ts';
import type { PipelineContext } from './context.ts';
import { zoneConnectors } from './cycle.ts';
import { fullReadReason } from './zone-list.ts';

/** Changed with anything that changes what a plan is made from, so an older daemon's fingerprint never matches. */
const PLAN_INPUTS_VERSION = 1;

type Ctx = Pick<PipelineContext, 'config' | 'state' | 'epoch' | 'cloudflare'>;

/** How a quiet zone is answered: its last no-op plan still stands. */
export interface QuietAnswer {
  planId: string;
  statusReason: string;
}

/**
 * The zone's answer when nothing its plan is made from changed since a plan that had nothing to do: the
 * zone is as wanted, and planning it again (thousands of origins parsed and compared) would only say so
 * again. Null when it must be planned. A yes is recorded as the zone seen complete now, and the no-op plan
 * it points to is kept readable for as long as a new one would be. The cycle asks this for each zone before
 * it queues a reconcile (a quiet zone then runs no job at all), and a reconcile asks again, since its inputs
 * may have moved while it waited in the queue. `inputs`: the digest, when the caller has made it already.
 */
export async function quietAnswer(ctx: Ctx, zone: ZoneSettings, log: Pick<Logger, 'debug'>, inputs?: string | null): Promise<QuietAnswer | null> {
  const last = await ctx.state.zones.get(zone.id);
  // Cheaper than the digest, and most zones that are not quiet fail it.
  if (last.lastStatus !== 'noop' || !last.lastPlanId || !last.planInputs) return null;
  if ((inputs === undefined ? await planInputsDigest(ctx, zone, Date.now(), last) : inputs) !== last.planInputs) return null;
  await ctx.state.zones.set(zone.id, { lastCompleteAt: Date.now() });
  await ctx.state.plans.keepNoop(last.lastPlanId, noopPlanTtl(ctx));
  log.debug({ plan: last.lastPlanId }, 'nothing changed since the last plan: nothing to do');
  return { planId: last.lastPlanId, statusReason: `nothing changed since plan ${last.lastPlanId}` };
}

/** A no-op plan is superseded by the next cycle's: kept for two cycles, so the zone's last plan (status) stays readable. */
export function noopPlanTtl(ctx: Pick<PipelineContext, 'config'>): number {
  return Math.min(3600, Math.ceil((2 * ctx.config.schedule.reconcileEveryMs) / 1000) + 60);
}

/**
 * Everything a zone's plan is made from, as one digest: the zone's settings, the selected scopes and their
 * scans (status, error, skipped, the digest of what they found, whether still fresh), the zone's list (as
 * cached), the ownership registry and supported_regions. The planner is a pure function of these and the
 * time, and time only counts through the scans' freshness (in the digest) and tombstones (none here). So
 * when the digest equals the one a no-op plan was made from, planning again would find nothing to do.
 *
 * Null when the zone cannot be quiet: tombstones are counting, a plan is held, the zone recovers from a
 * state loss, supported_regions is due, or the list must be read from Cloudflare (a drift check, a write of
 * unknown outcome, a full read asked for). Those take the whole reconcile.
 */
export async function planInputsDigest(ctx: Ctx, zone: ZoneSettings, now: number, status?: ZoneStatus): Promise<string | null> {
  const { state } = ctx;
  if ((status ?? (await state.zones.get(zone.id))).heldPlanId) return null;
  if (await ctx.epoch.recovery(zone.id)) return null;
  if ((await state.tombstones.count(zone.id)) > 0) return null;
  const supported = await state.caches.getText(supportedRegionsCache(zone.id));
  if (supported === null) return null;
  const registry = await state.registry.get(zone.id);
  const cached = await state.lists.get(zone.id);
  const epoch = (await ctx.epoch.getEpoch())?.id ?? null;
  if (!cached || (await fullReadReason(ctx, zone.id, cached, registry, now, epoch)) !== null) return null;

  const hash = createHash('sha256');
  const add = (part: unknown) => hash.update(JSON.stringify(part) ?? '-').update('\n');
  add([PLAN_INPUTS_VERSION, zone, ctx.config.schedule.maxScanAgeMs, supported]);
  add([cached.epoch, cached.readAt, cached.updatedAt, cached.unparsed]);
  for (const m of cached.mappings) hash.update(`${m.ip} ${m.vendor} ${m.region}\n`);
  // Sorted: the order of a Redis hash's fields is not part of what it holds.
  for (const ip of [...registry.keys()].sort()) add([ip, registry.get(ip)]);
  for (const name of zoneConnectors(ctx, zone)) {
    const { list, unlisted } = await state.snapshots.getScopeListing(name);
    const scopes = list?.scopes ?? [];
    add([name, unlisted, scopes.map((s) => s.id)]);
    for (const s of await state.snapshots.getScanFingerprints(scopes.map((x) => x.id))) {
      add([s.scope, s.scan, s.completeDigest, s.scannedAt > 0 && now - s.scannedAt <= ctx.config.schedule.maxScanAgeMs]);
    }
  }
  return hash.digest('base64url');
}
