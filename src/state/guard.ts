import { StatePart } from './keys.ts';

/** The mass-change guard's one-shot overrides (rule 5): a forced sync, an approved plan digest. */
export class GuardStore extends StatePart {
  async setForce(zoneId: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.force(zoneId), '1', 'EX', ttlSeconds);
  }

  async takeForce(zoneId: string): Promise<boolean> {
    return (await this.redis.getdel(this.keys.force(zoneId))) !== null;
  }

  async approve(zoneId: string, digest: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.approved(zoneId), digest, 'EX', ttlSeconds);
  }

  async approvedDigest(zoneId: string): Promise<string | null> {
    return this.redis.get(this.keys.approved(zoneId));
  }

  async clearApproval(zoneId: string): Promise<void> {
    await this.redis.del(this.keys.approved(zoneId));
  }
}
