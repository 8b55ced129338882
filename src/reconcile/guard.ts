import type { GuardVerdict, ZoneSettings } from './types.ts';

/**
 * The mass-change guard (octoDNS's safety thresholds): a plan that deletes, or changes, more than
 * `maxChangeFraction` of a zone holding at least `minEntries` mappings is held until approved or forced.
 * Creates never trip it: adding origins cannot take traffic hints away.
 */
export function guardVerdict(zone: ZoneSettings, existing: number, deletes: number, changes: number): GuardVerdict {
  const { maxChangeFraction, minEntries } = zone.guard;
  const base = { deletes, changes, existing, maxChangeFraction, minEntries };
  if (existing < minEntries) return { held: false, ...base };
  const pct = (n: number) => `${Math.round((n / existing) * 1000) / 10}%`;
  if (deletes / existing > maxChangeFraction) {
    return { held: true, reason: `would delete ${deletes} of ${existing} mappings (${pct(deletes)} > ${maxChangeFraction * 100}%)`, ...base };
  }
  if (changes / existing > maxChangeFraction) {
    return { held: true, reason: `would change ${changes} of ${existing} mappings (${pct(changes)} > ${maxChangeFraction * 100}%)`, ...base };
  }
  return { held: false, ...base };
}
