import { StatePart } from './keys.ts';

/** The last 100 errors, for `status`. */
export class ErrorLog extends StatePart {
  async record(where: string, message: string, at = Date.now()): Promise<void> {
    await this.redis.multi().lpush(this.keys.errors(), JSON.stringify({ at, where, message })).ltrim(this.keys.errors(), 0, 99).exec();
  }

  async recent(n = 10): Promise<Array<{ at: number; where: string; message: string }>> {
    const rows = await this.redis.lrange(this.keys.errors(), 0, n - 1);
    return rows.map((r) => JSON.parse(r) as { at: number; where: string; message: string });
  }
}
