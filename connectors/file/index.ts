import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { load as parse } from 'js-yaml';
import type { Connector, ConnectorContext, ScanResult, Scope } from '../connector.ts';
import { regionMatcher } from '../shared/regions-filter.ts';
import { ScanCollector } from '../shared/scan-collector.ts';
import { matchesTags } from '../shared/tags.ts';
import { isVendor } from '../../src/model/index.ts';
import { configSchema, type Config } from './config.ts';
import { failedScan } from '../shared/failed-scan.ts';

export { configSchema, type Config };

/**
 * A static inventory: `origins: [{ip, vendor, region, tags?}]` in a YAML or JSON file, checked at every
 * scan (and read again when it changed) so edits apply without a restart. A missing or unreadable file fails the scan (never "empty");
 * an invalid entry is skipped with its reason and the rest still count. `regions` and `tags` leave out
 * the entries they do not select, silently, like the cloud connectors' filters.
 */
export function create(config: Config, ctx: ConnectorContext): Connector {
  const path = resolve(ctx.configDir, config.path);
  const inRegion = regionMatcher(config.regions);
  const scope: Scope = { id: `${config.name}/mixed/file/*`, connector: config.name, vendor: 'mixed', account: 'file', region: '*' };
  let last: { version: string; scope: string; result: ScanResult } | undefined;
  return {
    name: config.name,
    type: 'file',
    listScopes: async () => [scope],
    async discover(s: Scope): Promise<ScanResult> {
      const c = new ScanCollector(s);
      let doc: unknown;
      let version: string;
      try {
        // An unchanged file gives the same scan: most cycles change nothing, and parsing and checking
        // thousands of entries again would be most of what a quiet cycle costs.
        const st = await stat(path, { bigint: true });
        version = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
        if (last?.version === version && last.scope === s.id) return { ...last.result };
        doc = parseInventory(await readFile(path, 'utf8'));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'ENOENT' ? 'file not found' : e.code === 'EACCES' ? 'permission denied' : e.message.split('\n')[0];
        return failedScan(`${path}: ${why}`);
      }
      const origins = (doc as { origins?: unknown } | null)?.origins;
      if (!Array.isArray(origins)) {
        return failedScan(`${path}: expected a mapping with an "origins" list`);
      }
      origins.forEach((entry: unknown, i) => {
        const e = (entry ?? {}) as Record<string, unknown>;
        const source = `${config.path}#origins[${i}]`;
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
          c.skip({ ip: String(entry), reason: 'invalid-ip', detail: 'entry is not a mapping {ip, vendor, region}', source });
          return;
        }
        const tags = e.tags;
        if (tags !== undefined && (typeof tags !== 'object' || tags === null || Array.isArray(tags) || Object.values(tags).some((v) => typeof v !== 'string'))) {
          c.skip({ ip: String(e.ip), reason: 'invalid-ip', detail: 'tags must map strings to strings', source });
          return;
        }
        if (!isVendor(e.vendor)) {
          c.skip({ ip: String(e.ip), reason: 'invalid-vendor', detail: `vendor ${JSON.stringify(e.vendor)} is not one of aws, azure, gcp, oci`, source });
          return;
        }
        const own = (tags as Record<string, string> | undefined) ?? {};
        if (!matchesTags(config.tags, own) || (config.regions && !(typeof e.region === 'string' && inRegion(e.region)))) return;
        c.add({ ip: e.ip, vendor: e.vendor, region: e.region, source, tags: own });
      });
      const result = c.result('complete');
      last = { version, scope: s.id, result };
      return { ...result };
    },
  };
}

/** JSON is read as JSON (ten times faster than through the YAML parser); anything else as YAML. */
function parseInventory(text: string): unknown {
  if (/^\s*\{/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // A YAML flow mapping also starts with "{": the YAML parser decides.
    }
  }
  return parse(text);
}
