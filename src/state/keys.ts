import type { RedisClient } from './redis-connection.ts';

/**
 * Every key of the daemon's state, in one place: all live under `<prefix>:state:` beside the queues (a
 * `{hash tag}` prefix keeps them in one Redis Cluster slot with them). backup.ts names the same keys by
 * pattern, relative to `base`; a key added here that a restore needs is added there too.
 */
export class StateKeys {
  readonly base: string;

  constructor(prefix: string) {
    this.base = `${prefix}:state:`;
  }

  private k(...parts: string[]): string {
    return this.base + parts.join(':');
  }

  // Discovery
  scopes = (connector: string) => this.k('scopes', connector);
  scopesError = (connector: string) => this.k('scopes-error', connector);
  snapshot = (scopeId: string) => this.k('snap', scopeId);

  // A zone's ownership and what it plans from
  registry = (zoneId: string) => this.k('registry', zoneId);
  tombstones = (zoneId: string) => this.k('tombstones', zoneId);
  list = (zoneId: string) => this.k('list', zoneId);
  listFull = (zoneId: string) => this.k('list-full', zoneId);
  /** Hash: zone id → entries in its cached list (what a drift check of it reads). */
  listSizes = () => this.k('list-sizes');
  listProgress = (zoneId: string) => this.k('list-progress', zoneId);

  // Plans
  plan = (planId: string) => this.k('plan', planId);
  batches = (planId: string) => this.k('plan', planId, 'batches');
  zonePlans = (zoneId: string) => this.k('zone', zoneId, 'plans');
  zoneDryRun = (zoneId: string) => this.k('zone', zoneId, 'dry-run');
  currentPlan = (zoneId: string) => this.k('zone', zoneId, 'current');

  // Zone status, guard, recovery
  zoneStatus = (zoneId: string) => this.k('zone', zoneId, 'status');
  force = (zoneId: string) => this.k('zone', zoneId, 'force');
  approved = (zoneId: string) => this.k('zone', zoneId, 'approved');
  recovery = (zoneId: string) => this.k('zone', zoneId, 'recovery');
  epoch = () => this.k('epoch');
  loss = () => this.k('loss');

  // Small shared state
  family = () => this.k('cf', 'family');
  cache = (name: string) => this.k('cache', name);
  errors = () => this.k('errors');
  eventSources = () => this.k('events', 'sources');
  lock = (name: string) => this.k('lock', name);
  audit = (zoneId: string) => this.k('audit', zoneId);
}

/** What every store of the state holds: the connection and the key names. */
export class StatePart {
  protected readonly redis: RedisClient;
  protected readonly keys: StateKeys;

  constructor(redis: RedisClient, keys: StateKeys) {
    this.redis = redis;
    this.keys = keys;
  }
}
