import { createHash } from 'node:crypto';
import type { ZoneSettings } from '../reconcile/types.ts';
import { supportedRegionsCache } from '../state/caches.ts';
import type { PipelineContext } from './context.ts';
import { zoneConnectors } from './cycle.ts';
import { fullReadReason } from './zone-list.ts';

/** Changed with anything that changes what a plan is made from, so an older daemon's fingerprint never matches. */
const PLAN_INPUTS_VERSION = 1;

type Ctx = Pick<PipelineContext, 'config' | 'state' | 'epoch' | 'cloudflare'>;

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
export async function planInputsDigest(ctx: Ctx, zone: ZoneSettings, now: number): Promise<string | null> {
  const { state } = ctx;
  if ((await state.zones.get(zone.id)).heldPlanId) return null;
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
    const scopes = (await state.snapshots.getScopes(name))?.scopes ?? [];
    add([name, await state.snapshots.scopesUnlisted(name), scopes.map((s) => s.id)]);
    for (const s of await state.snapshots.getScanFingerprints(scopes.map((x) => x.id))) {
      add([s.scope, s.scan, s.completeDigest, s.scannedAt > 0 && now - s.scannedAt <= ctx.config.schedule.maxScanAgeMs]);
    }
  }
  return hash.digest('base64url');
}
