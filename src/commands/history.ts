import type { Command } from 'commander';
import { parseDuration } from '../config/duration.ts';
import { canonicalIp } from '../model/index.ts';
import type { AuditRecord } from '../state/audit.ts';
import { addConfigOption, CliError, EXIT, loadConfigFor, withRedis, zoneByIdOrName, type GlobalOptions } from './common.ts';
import { writeJson } from './json.ts';
import { table } from './render.ts';

interface HistoryOptions extends GlobalOptions {
  zone?: string;
  ip?: string;
  since: string;
  limit: string;
  json?: boolean;
}

/** "24h" (that long ago) or an ISO 8601 time. */
export function parseSince(text: string, now = Date.now()): number | null {
  const ago = parseDuration(text);
  if (ago !== null) return now - ago;
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}

export function registerHistory(program: Command): void {
  addConfigOption(program.command('history'))
    .description('show the audit trail: every write that reached Cloudflare, item by item, with its outcome, plan and trigger (newest first; read from Redis, no daemon needed)')
    .option('--zone <id-or-name>', 'only this zone (default: every configured zone)')
    .option('--ip <address>', 'only this origin IP')
    .option('--since <when>', 'a duration ago (24h, 7d) or an ISO time (2026-12-01T00:00:00Z)', '24h')
    .option('--limit <n>', 'at most this many records per zone', '100')
    .option('--json', 'print JSON: {records: [...], exitCode}')
    .addHelpText('after', '\nRecords are kept for audit.retention (default 30d), at most audit.maxRecordsPerZone per zone.')
    .action(async (opts: HistoryOptions) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit: "${opts.limit}" is not a positive whole number`, EXIT.usage);
      const since = parseSince(opts.since);
      if (since === null) throw new CliError(`--since: "${opts.since}" is neither a duration (24h, 7d) nor an ISO time`, EXIT.usage);
      let ip: string | undefined;
      if (opts.ip !== undefined) {
        const c = canonicalIp(opts.ip);
        if (!c.ok) throw new CliError(`--ip: ${c.reason}`, EXIT.usage);
        ip = c.ip;
      }
      const config = await loadConfigFor(opts);
      const zones = opts.zone ? [zoneByIdOrName(config, opts.zone)] : config.zones;
      const { AuditLog } = await import('../state/audit.ts');
      await withRedis(config, async (redis) => {
        const log = new AuditLog(redis, config.redis.prefix, { retentionMs: config.audit.retentionMs, maxRecords: config.audit.maxRecordsPerZone });
        const records = (await Promise.all(zones.map((z) => log.query({ zoneId: z.id, since, limit, ...(ip ? { ip } : {}) })))).flat().sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
        if (opts.json) writeJson('history', { records }, EXIT.ok);
        else process.stdout.write(renderHistory(config.zones, records) + '\n');
      });
    });
}

export function renderHistory(zones: ReadonlyArray<{ id: string; name?: string }>, records: readonly AuditRecord[]): string {
  if (records.length === 0) return 'no writes recorded in that window';
  const name = new Map(zones.map((z) => [z.id, z.name ?? z.id]));
  return table(
    ['time (UTC)', 'zone', 'change', 'ip', 'value', 'outcome', 'plan', 'trigger'],
    records.map((r) => [
      new Date(r.at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      name.get(r.zoneId) ?? r.zoneId,
      r.kind,
      r.ip,
      r.vendor ? `${r.vendor}/${r.region}` : '–',
      r.outcome === 'ok' ? 'ok' : `${r.outcome}: ${r.error ?? ''}`,
      r.planId,
      r.eventId ? `${r.trigger} ${r.eventId}` : r.trigger,
    ]),
  );
}
