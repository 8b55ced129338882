import type { PlanStatus } from './plans.ts';
import { StatePart } from './keys.ts';

export interface ZoneStatus {
  lastPlanId?: string;
  lastPlanAt?: number;
  lastStatus?: PlanStatus;
  /** Last reconcile whose plan was applied without any write error (or had nothing to write). */
  lastCompleteAt?: number;
  heldPlanId?: string;
  managed?: number;
  unmanaged?: number;
  cap?: number;
  available?: number;
  budgetLeft?: number;
  overflow?: number;
  drift?: number;
  /** Skipped origins of the last plan by reason, as JSON. */
  skipped?: string;
  api?: string;
  /** The held plan's own figures, as JSON (the fields above are what is in the zone). */
  pending?: string;
  /** Where the last plan's list came from, and when the full read behind it started. */
  listFrom?: 'cloudflare' | 'cache';
  listReadAt?: number;
  /** The digest of what the last no-op plan was made from (see pipeline/quiet.ts): equal inputs, nothing to plan. */
  planInputs?: string;
}

/** What `status`, /readyz and the gauges show of each zone: its last plan's figures and when it was last complete. */
export class ZoneStatusStore extends StatePart {
  async set(zoneId: string, patch: ZoneStatus): Promise<void> {
    const flat = Object.entries(patch).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]));
    if (flat.length > 0) await this.redis.hset(this.keys.zoneStatus(zoneId), ...flat);
  }

  async clear(zoneId: string, field: keyof ZoneStatus): Promise<void> {
    await this.redis.hdel(this.keys.zoneStatus(zoneId), field);
  }

  async get(zoneId: string): Promise<ZoneStatus> {
    const all = await this.redis.hgetall(this.keys.zoneStatus(zoneId));
    const out: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(all)) out[k] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    return out as ZoneStatus;
  }
}
