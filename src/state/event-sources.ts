import { StatePart } from './keys.ts';

export interface EventSourceReport {
  type: string;
  state: 'starting' | 'up' | 'down';
  /** Since when it is in this state. */
  since: number;
  /** When this report was written: a replica that stopped reporting is stale. */
  at: number;
  error?: string;
  lastMessageAt?: number;
  lagSeconds?: number;
}

/** What each replica last reported about each event source (see src/events/health.ts). */
export class EventSourceStore extends StatePart {
  /** What one replica last reported about an event source (see src/events/health.ts). */
  async set(source: string, replica: string, report: EventSourceReport): Promise<void> {
    await this.redis.hset(this.keys.eventSources(), `${source}\u0000${replica}`, JSON.stringify(report));
  }

  async list(): Promise<Array<EventSourceReport & { source: string; replica: string }>> {
    const all = await this.redis.hgetall(this.keys.eventSources());
    return Object.entries(all).map(([field, v]) => {
      const [source = field, replica = ''] = field.split('\u0000');
      return { ...(JSON.parse(v) as EventSourceReport), source, replica };
    });
  }

  async drop(fields: Array<{ source: string; replica: string }>): Promise<void> {
    if (fields.length > 0) await this.redis.hdel(this.keys.eventSources(), ...fields.map((f) => `${f.source}\u0000${f.replica}`));
  }
}
