import type { Vendor } from '../model/index.ts';
import type { Zone } from './classify.ts';
import type { Desired } from './desired.ts';
import { sortByIp } from './ip-order.ts';
import type { SkipList } from './skips.ts';
import type { Retiring } from './tombstones.ts';
import type { CurrentMapping } from './types.ts';

/**
 * Ownership after a state loss, without guessing. The registry that said which mappings the daemon
 * wrote is gone; what Cloudflare holds is all that is left. One thing is certain: a mapping equal to
 * what the daemon wants (same IP, vendor, region) is exactly what the daemon would write, so owning it
 * changes nothing in the zone. Anything else may be ours from before the loss or someone else's: it is
 * listed for review and left alone until an operator claims it (`recover --zone`).
 */
export interface RecoveryInput {
  /** Re-own identical mappings (a loss a process witnessed). False when the loss is only suspected. */
  reown: boolean;
  /** No deletes until the zone's first complete reconcile after the loss. */
  freezeDeletes: boolean;
}

export interface PossiblyOurs {
  ip: string;
  vendor: Vendor;
  region: string;
  /** What the daemon wants for this IP, when it wants it at all. */
  wanted?: { vendor: Vendor; region: string };
}

export interface RecoveryReport {
  /** Identical mappings taken back (or, when only suspected, that would be). */
  identical: string[];
  reowned: number;
  possiblyOurs: PossiblyOurs[];
  /** Deletes held back by the freeze. */
  frozenDeletes: number;
}

/** Whether an unowned mapping is re-owned (exactly what the daemon would write) or only listed. */
export function recoveryVerdict(wanted: { vendor: Vendor; region: string } | undefined, cur: CurrentMapping): 'identical' | 'possibly-ours' {
  return wanted && wanted.vendor === cur.vendor && wanted.region === cur.region ? 'identical' : 'possibly-ours';
}

/**
 * A zone first seen by a daemon that remembers no earlier state (epoch just created) is a fresh install
 * unless it looks like one the daemon ran before: no ownership at all, yet mappings identical to what
 * it wants. Then the loss is only suspected: nothing is re-owned automatically (another tool may have
 * written the same values), but it is reported and listed like a witnessed loss.
 */
export function unverifiedVerdict(registrySize: number, identical: number): 'fresh' | 'upgrade' | 'suspected' {
  if (registrySize > 0) return 'upgrade'; // the state is there; only the epoch is new (a first start of this version)
  return identical > 0 ? 'suspected' : 'fresh';
}

/**
 * While a zone recovers from a state loss, deletes are frozen until its first complete reconcile: the
 * registry that would justify them is the one that was lost. Returns the deletes that stay planned.
 */
export function freezeDeletes(recovery: RecoveryInput | undefined, retiring: Retiring[], skipped: SkipList): { kept: Retiring[]; frozen: number } {
  if (!recovery?.freezeDeletes) return { kept: retiring, frozen: 0 };
  for (const r of retiring) {
    skipped.add(r.mapping.ip, 'state-loss', `${r.what}; deletes are frozen until the zone's first complete reconcile after the state loss`, r.scope);
  }
  return { kept: [], frozen: retiring.length };
}

/** Everything still unowned after the rules: listed for review, never touched. */
export function recoveryReport(
  recovery: RecoveryInput,
  zone: Zone,
  desired: Desired,
  adoptable: ReadonlySet<string>,
  identical: string[],
  frozenDeletes: number,
): RecoveryReport {
  const possiblyOurs: PossiblyOurs[] = [];
  for (const m of sortByIp([...zone.current.values()], (c) => c.ip)) {
    if (zone.owned(m.ip) || adoptable.has(m.ip)) continue;
    const d = desired.get(m.ip)?.origin;
    possiblyOurs.push({ ip: m.ip, vendor: m.vendor, region: m.region, ...(d ? { wanted: { vendor: d.vendor, region: d.region } } : {}) });
  }
  return { identical: sortByIp(identical, (ip) => ip), reowned: recovery.reown ? identical.length : 0, possiblyOurs, frozenDeletes };
}
