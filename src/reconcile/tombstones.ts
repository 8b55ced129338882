import type { Zone } from './classify.ts';
import type { Desired } from './desired.ts';
import { sortByIp } from './ip-order.ts';
import type { SkipList } from './skips.ts';
import type { CurrentMapping, Delete, DeleteReason, PlanInput, Tombstone } from './types.ts';

/** A managed mapping nobody wants any more, past its tombstone: a delete, unless a later rule holds it. */
export interface Retiring {
  mapping: CurrentMapping;
  reason: DeleteReason;
  scope: string;
  /** Why, in words, for whoever holds it back. */
  what: string;
}

/**
 * Rule 1 (unknown is not empty): a managed mapping no scope wants any more is deletable only where
 * absence is known (a complete, fresh scan of its scope, or a scope no longer selected), and only once
 * it was missed in N consecutive complete scans over the zone's deleteGrace. Returns the tombstones after
 * this plan, what stays, and what may go.
 */
export function countMisses(
  input: PlanInput,
  zone: Zone,
  desired: Desired,
  skipped: SkipList,
): { retiring: Retiring[]; tombstones: Record<string, Tombstone>; staying: number } {
  const { now, zone: settings } = input;
  const scopes = new Map(input.scopes.map((s) => [s.scope, s]));
  const retiring: Retiring[] = [];
  const tombstones: Record<string, Tombstone> = {};
  let staying = 0;
  const keep = (m: CurrentMapping, detail: string, scope: string) => {
    skipped.add(m.ip, 'scope-incomplete', detail, scope);
    const prev = input.tombstones.get(m.ip);
    if (prev) tombstones[m.ip] = prev;
    staying++;
  };
  for (const m of sortByIp([...zone.current.values()], (c) => c.ip)) {
    if (desired.has(m.ip) || !zone.owned(m.ip)) continue;
    const entry = input.registry.get(m.ip)!;
    const view = scopes.get(entry.scope);
    const connector = entry.scope.split('/')[0] ?? '';
    let reason: DeleteReason;
    let scanAt: number;
    if (!view && input.unlistedConnectors?.has(connector)) {
      keep(m, `kept: the scopes of connector ${connector} could not be listed`, entry.scope);
      continue;
    }
    if (!view) {
      reason = 'deselected';
      scanAt = now; // no scan will ever come: each reconcile counts
    } else if (view.status === 'complete' && now - view.scannedAt <= input.maxScanAgeMs) {
      reason = 'absent';
      scanAt = view.scannedAt;
    } else {
      const why = view.status === 'complete' ? `last complete scan is ${Math.round((now - view.scannedAt) / 1000)}s old` : `latest scan ${view.status}${view.error ? `: ${view.error}` : ''}`;
      keep(m, `kept: ${entry.scope} ${why}`, entry.scope);
      continue;
    }
    const prev = input.tombstones.get(m.ip);
    const t: Tombstone = prev ?? { misses: 0, lastScanAt: 0, firstMissedAt: scanAt };
    // firstMissedAt is the time of the first scan that missed the IP: the misses span from it to lastScanAt.
    const next = scanAt > t.lastScanAt ? { misses: t.misses + 1, lastScanAt: scanAt, firstMissedAt: t.misses === 0 ? scanAt : t.firstMissedAt } : t;
    tombstones[m.ip] = next;
    const what = reason === 'deselected' ? `${entry.scope} is no longer selected or listed` : `absent from ${entry.scope}`;
    const span = next.lastScanAt - next.firstMissedAt;
    if (next.misses < settings.deleteAfterMissedScans || span < settings.deleteGrace) {
      const time = span < settings.deleteGrace ? `, over ${Math.round(span / 1000)}s of the ${Math.round(settings.deleteGrace / 1000)}s deleteGrace` : '';
      skipped.add(m.ip, 'tombstone-pending', `${what} in ${next.misses} of ${settings.deleteAfterMissedScans} consecutive complete scans${time}`, entry.scope);
      staying++;
      continue;
    }
    retiring.push({ mapping: m, reason, scope: entry.scope, what });
  }
  return { retiring, tombstones, staying };
}

export function toDelete(r: Retiring): Delete {
  return { ip: r.mapping.ip, vendor: r.mapping.vendor, region: r.mapping.region, reason: r.reason, scope: r.scope };
}
