import { randomUUID } from 'node:crypto';
import { StateKeys } from './keys.ts';
import type { RedisClient } from './redis-connection.ts';

/** The id of one life of the daemon's Redis state: written once, at the first start on an empty Redis. */
export interface Epoch {
  id: string;
  createdAt: number;
}

/**
 * How the daemon learnt that its Redis state is gone.
 * - `detected`: a process that had seen the epoch found it missing or replaced (certain).
 * - `suspected`: nobody remembered an epoch, but a zone holds mappings equal to what the daemon wants
 *   while its ownership registry is empty (what an earlier life of the daemon leaves behind).
 */
export type LossKind = 'detected' | 'suspected';

export interface StateLoss {
  kind: LossKind;
  detectedAt: number;
  /** The epoch in place after the loss (the one a later loss would replace). */
  epoch: string;
  /** The epoch that was lost, when a process remembered it. */
  previous?: string;
  /** Where it was noticed (hostname:pid, zone). */
  by: string;
}

/**
 * Per zone after a loss: the recovery rule applies (identical mappings re-owned, the rest listed as
 * "possibly ours") until `recover` settles the zone; deletes stay frozen until its first complete reconcile.
 */
export interface ZoneRecovery {
  since: number;
  kind: LossKind | 'unverified';
  deletesFrozen: boolean;
  /** Figures of the latest plan made under recovery (for status). */
  reowned?: number;
  possiblyOurs?: number;
}

export type EpochCheck = { status: 'ok' | 'created' } | { status: 'lost'; loss: StateLoss };

// Records a loss once per new epoch, whichever replica notices it first, and puts every zone into recovery.
const RECORD_LOSS = `
local cur = redis.call('GET', KEYS[1])
if cur and cjson.decode(cur).epoch == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[3]) end
return 1`;

/**
 * The state epoch: the daemon's proof that the Redis it talks to still holds the state it wrote. A
 * restart without persistence, a failover to an empty replica or a FLUSHALL removes it; a process that
 * had seen it then knows the registry, tombstones and schedule are gone, instead of taking the empty
 * Redis for a fresh install.
 */
export class StateEpoch {
  private readonly redis: RedisClient;
  private readonly keys: StateKeys;
  private readonly by: string;
  /** The epoch this process saw last: its memory survives the Redis that lost it. */
  private seen: Epoch | undefined;

  constructor(redis: RedisClient, prefix: string, by: string) {
    this.redis = redis;
    this.keys = new StateKeys(prefix);
    this.by = by;
  }

  get remembered(): Epoch | undefined {
    return this.seen;
  }

  /**
   * Reads the epoch, creating it if missing. `lost`: this process remembers another epoch (the loss is
   * recorded, once across replicas, and every zone in `zoneIds` enters recovery). `created`: nobody
   * remembered one: a first start, or a loss nobody witnessed (then zones are `unverified` until their
   * first reconcile tells, see reconcile/recovery.ts).
   */
  async check(zoneIds: readonly string[], now = Date.now()): Promise<EpochCheck> {
    const fresh: Epoch = { id: randomUUID(), createdAt: now };
    const created = (await this.redis.set(this.keys.epoch(), JSON.stringify(fresh), 'NX')) === 'OK';
    const current = created ? fresh : (JSON.parse((await this.redis.get(this.keys.epoch())) ?? JSON.stringify(fresh)) as Epoch);
    const previous = this.seen;
    this.seen = current;
    if (previous && previous.id !== current.id) {
      const loss: StateLoss = { kind: 'detected', detectedAt: now, epoch: current.id, previous: previous.id, by: this.by };
      await this.recordLoss(loss, zoneIds);
      return { status: 'lost', loss: (await this.loss()) ?? loss };
    }
    if (created) {
      const unverified: ZoneRecovery = { since: now, kind: 'unverified', deletesFrozen: false };
      const multi = this.redis.multi();
      for (const z of zoneIds) multi.set(this.recoveryKey(z), JSON.stringify(unverified), 'NX');
      await multi.exec();
      return { status: 'created' };
    }
    return { status: 'ok' };
  }

  /** Records a loss (once per epoch) and puts the zones into recovery; false if it was already recorded. */
  async recordLoss(loss: StateLoss, zoneIds: readonly string[]): Promise<boolean> {
    const recovery: ZoneRecovery = { since: loss.detectedAt, kind: loss.kind, deletesFrozen: true };
    const keys = [this.keys.loss(), ...zoneIds.map((z) => this.recoveryKey(z))];
    return (await this.redis.eval(RECORD_LOSS, keys.length, ...keys, loss.epoch, JSON.stringify(loss), JSON.stringify(recovery))) === 1;
  }

  async loss(): Promise<StateLoss | null> {
    const v = await this.redis.get(this.keys.loss());
    return v ? (JSON.parse(v) as StateLoss) : null;
  }

  async getEpoch(): Promise<Epoch | null> {
    const v = await this.redis.get(this.keys.epoch());
    return v ? (JSON.parse(v) as Epoch) : null;
  }

  async recovery(zoneId: string): Promise<ZoneRecovery | null> {
    const v = await this.redis.get(this.recoveryKey(zoneId));
    return v ? (JSON.parse(v) as ZoneRecovery) : null;
  }

  async setRecovery(zoneId: string, r: ZoneRecovery): Promise<void> {
    await this.redis.set(this.recoveryKey(zoneId), JSON.stringify(r));
  }

  /** The zone leaves recovery: a fresh install confirmed, or `recover` settled it. */
  async endRecovery(zoneId: string): Promise<void> {
    await this.redis.del(this.recoveryKey(zoneId));
  }

  private recoveryKey(zoneId: string): string {
    return this.keys.recovery(zoneId);
  }
}
