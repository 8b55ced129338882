import { Redis } from 'ioredis';
import { AuditLog } from '../src/state/audit.ts';

/**
 * What the audit trail costs in Redis: `records` write records in one zone's stream, shaped like real ones
 * (IPv4 and IPv6 mixed, vendor/region, plan id, trigger), memory measured by Redis itself.
 */
export async function benchAudit(opts: { redisUrl: string; records: number }): Promise<{ records: number; kept: number; bytes: number; bytesPerRecord: number; usedMemoryDelta: number; wallMs: number }> {
  const redis = new Redis(opts.redisUrl);
  try {
    const before = usedMemory(await redis.info('memory'));
    const log = new AuditLog(redis, `bench-audit-${process.pid}`, { retentionMs: 30 * 86_400_000, maxRecords: opts.records });
    const zoneId = '023e105f4ecef8ad9ca31a8372d0c353';
    const t0 = performance.now();
    const batch = 100;
    for (let n = 0; n < opts.records; n += batch) {
      const planId = `p${(1_796_000_000_000 + n).toString(36)}023e10${(n % 0xffffff).toString(16).padStart(6, '0')}`;
      await log.record(
        Array.from({ length: batch }, (_, i) => {
          const k = n + i;
          const v6 = k % 3 === 2;
          return {
            zoneId,
            kind: k % 10 === 9 ? ('delete' as const) : ('upsert' as const),
            ip: v6 ? `2600:1900:4000::${k.toString(16)}` : `34.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
            ...(k % 10 === 9 ? {} : { vendor: v6 ? 'gcp' : 'aws', region: v6 ? 'us-central1' : 'us-east-1' }),
            outcome: 'ok' as const,
            planId,
            batch: Math.floor(i / 100),
            trigger: k % 7 === 0 ? 'event' : 'schedule',
            ...(k % 7 === 0 ? { eventId: `evt-${k.toString(36)}` } : {}),
          };
        }),
      );
    }
    const wallMs = Math.round(performance.now() - t0);
    const { records: kept, bytes } = await log.size(zoneId);
    const usedMemoryDelta = usedMemory(await redis.info('memory')) - before;
    await redis.del(`bench-audit-${process.pid}:state:audit:${zoneId}`);
    return { records: opts.records, kept, bytes, bytesPerRecord: Math.round((bytes / kept) * 10) / 10, usedMemoryDelta, wallMs };
  } finally {
    redis.disconnect();
  }
}

function usedMemory(info: string): number {
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}
