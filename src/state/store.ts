import { CacheStore } from './caches.ts';
import { ErrorLog } from './errors.ts';
import { EventSourceStore } from './event-sources.ts';
import { GuardStore } from './guard.ts';
import { StateKeys } from './keys.ts';
import { ListCache } from './list-cache.ts';
import { Locks } from './locks.ts';
import { PlanStore } from './plans.ts';
import type { RedisClient } from './redis-connection.ts';
import { RegistryStore } from './registry.ts';
import { SnapshotStore } from './snapshots.ts';
import { TombstoneStore } from './tombstones.ts';
import { ZoneStatusStore } from './zone-status.ts';

export type { ApplyOutcome, BatchResult, PlanStatus, StoredPlan } from './plans.ts';
export type { EventSourceReport } from './event-sources.ts';
export type { ScanSummary } from './snapshots.ts';
export type { ZoneStatus } from './zone-status.ts';

/**
 * Everything the daemon remembers between jobs and across replicas, in Redis next to the queues, one store
 * per thing kept (each in its own file, with the key names in keys.ts): snapshots of the scopes, the
 * ownership registry, tombstones, the zones' cached lists, plans, zone status, the guard's overrides, and
 * small caches, errors, event-source health and locks.
 */
export class StateStore {
  readonly redis: RedisClient;
  readonly keys: StateKeys;
  readonly snapshots: SnapshotStore;
  readonly registry: RegistryStore;
  readonly tombstones: TombstoneStore;
  readonly lists: ListCache;
  readonly plans: PlanStore;
  readonly zones: ZoneStatusStore;
  readonly guard: GuardStore;
  readonly caches: CacheStore;
  readonly errors: ErrorLog;
  readonly eventSources: EventSourceStore;
  readonly locks: Locks;

  constructor(redis: RedisClient, prefix: string) {
    this.redis = redis;
    this.keys = new StateKeys(prefix);
    this.snapshots = new SnapshotStore(redis, this.keys);
    this.registry = new RegistryStore(redis, this.keys);
    this.tombstones = new TombstoneStore(redis, this.keys);
    this.lists = new ListCache(redis, this.keys);
    this.plans = new PlanStore(redis, this.keys);
    this.zones = new ZoneStatusStore(redis, this.keys);
    this.guard = new GuardStore(redis, this.keys);
    this.caches = new CacheStore(redis, this.keys);
    this.errors = new ErrorLog(redis, this.keys);
    this.eventSources = new EventSourceStore(redis, this.keys);
    this.locks = new Locks(redis, this.keys);
  }
}
