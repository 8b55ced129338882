/** Where an aggregated-list entry lives: the global (anycast) pseudo-scope, or one region. */
export type Location = { global: true } | { global: false; region: string };

/**
 * The region of an aggregated-list scope key (`regions/us-central1`, `zones/us-central1-a`, `global`) or,
 * failing that, of the item's own `region` / `zone` URL. null when neither says.
 */
export function locate(scopeKey: string, itemUrl?: string | null): Location | null {
  return fromPath(scopeKey) ?? (itemUrl ? fromPath(itemUrl) : null);
}

function fromPath(path: string): Location | null {
  if (path === 'global' || /\/global$/.test(path)) return { global: true };
  const m = /(?:^|\/)(regions|zones)\/([^/]+)$/.exec(path);
  if (!m) return null;
  const name = m[2] as string;
  return { global: false, region: m[1] === 'zones' ? zoneRegion(name) : name };
}

/**
 * A zone's region: the zone name without its last `-suffix` (`us-central1-a` → `us-central1`). Cutting at
 * the last hyphen rather than matching `-[a-z]` also covers longer zone suffixes (`-ai1a`).
 */
export function zoneRegion(zone: string): string {
  const i = zone.lastIndexOf('-');
  return i > 0 ? zone.slice(0, i) : zone;
}
