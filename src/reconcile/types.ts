import type { Origin, Skipped, Vendor } from '../model/index.ts';
import type { RecoveryInput, RecoveryReport } from './recovery.ts';

export type Policy = 'sync' | 'upsert-only' | 'create-only';

/** Which origins a zone takes, and (for priority rules) which come first. Every given key must match. */
export interface Selector {
  connectors?: string[];
  vendors?: Vendor[];
  /** Region names with `*` wildcards. */
  regions?: string[];
  /** Vendor tags that must be present with these values (`*` = any value). */
  tags?: Record<string, string>;
  /** The origin IP must fall in one of these CIDRs. */
  cidrs?: string[];
}

export interface ZoneSettings {
  id: string;
  name?: string;
  policy: Policy;
  adopt: boolean;
  maxMappings: number;
  reserve: number;
  deleteAfterMissedScans: number;
  /** Milliseconds the misses must span (first missed scan to latest) before a delete. */
  deleteGrace: number;
  guard: { maxChangeFraction: number; minEntries: number };
  select: Selector;
  priority: Selector[];
}

/** A mapping as Cloudflare holds it (canonical IP). */
export interface CurrentMapping {
  ip: string;
  vendor: Vendor;
  region: string;
}

/** What the daemon remembers about a (zone, ip) it manages. Written before the write is sent. */
export interface RegistryEntry {
  vendor: Vendor;
  region: string;
  /** The scope that last supplied this IP: its completeness decides whether absence can delete. */
  scope: string;
  planId: string;
  at: number;
  /** True from just before the write until Cloudflare confirmed it. */
  pending?: boolean;
}

/** Consecutive complete scans in which a managed IP was absent. */
export interface Tombstone {
  misses: number;
  /** Time of the last scan counted, so a scan is never counted twice by two reconciles. */
  lastScanAt: number;
  firstMissedAt: number;
}

/** What one scope contributes to a zone's plan. */
export interface ScopeView {
  scope: string;
  connector: string;
  /** Latest scan. `failed` and `partial` never delete; a stale complete scan does not either. */
  status: 'complete' | 'partial' | 'failed' | 'never';
  /** Time of the latest scan (0 = never). */
  scannedAt: number;
  error?: string;
  /** Origins to keep: the latest complete scan, plus what a later partial scan found. */
  origins: Origin[];
  skipped: Skipped[];
}

export interface PlanInput {
  zone: ZoneSettings;
  now: number;
  /** A complete scan older than this cannot delete (it may not reflect today). */
  maxScanAgeMs: number;
  /** Scopes of the connectors the zone selects (as last listed). */
  scopes: ScopeView[];
  /**
   * Connectors the zone selects whose scopes could not be listed lately. A managed mapping whose scope is
   * not among `scopes` was deselected or is gone, unless its connector is here: then nobody knows.
   */
  unlistedConnectors?: ReadonlySet<string>;
  current: CurrentMapping[];
  /**
   * Entries of the zone's list that are not valid mappings (bad IP, unknown vendor): they still take one of
   * the zone's slots, and a valid IP among them belongs to someone else.
   */
  unparsed?: ReadonlyArray<{ ip: string | null; reason: string }>;
  registry: ReadonlyMap<string, RegistryEntry>;
  tombstones: ReadonlyMap<string, Tombstone>;
  /** Cloudflare's supported_regions for the zone, when known: vendor → region names. */
  supportedRegions?: ReadonlyMap<Vendor, ReadonlySet<string>>;
  /** Cloudflare's cap per zone. */
  cloudflareCap?: number;
  /** Set while the zone recovers from a loss of the daemon's Redis state (see recovery.ts). */
  recovery?: RecoveryInput;
  /**
   * Keep only the first this many skipped and overflow entries (plan order), with counts of all: what a
   * stored plan holds. Without it every entry is listed (`plan --json --all`).
   */
  sample?: number;
}

export type UpsertKind = 'create' | 'update' | 'adopt' | 'repair' | 'recreate';

export interface Upsert {
  ip: string;
  vendor: Vendor;
  region: string;
  kind: UpsertKind;
  /** The value Cloudflare holds now, for updates. */
  from?: { vendor: Vendor; region: string };
  scope: string;
  source: string;
}

export type DeleteReason = 'absent' | 'deselected' | 'over-budget';

export interface Delete {
  ip: string;
  vendor: Vendor;
  region: string;
  reason: DeleteReason;
  scope: string;
}

export type PlanSkipReason =
  | 'unowned'
  | 'invalid-region'
  | 'unsupported-region'
  | 'not-public'
  | 'unassigned'
  | 'anycast'
  | 'invalid-ip'
  | 'invalid-vendor'
  | 'scope-incomplete'
  | 'over-budget'
  | 'tombstone-pending'
  | 'policy'
  | 'conflict'
  | 'state-loss';

export interface PlanSkip {
  ip: string;
  reason: PlanSkipReason;
  detail: string;
  scope?: string;
}

export interface PlanTotals {
  skipped: number;
  skippedByReason: Partial<Record<PlanSkipReason, number>>;
  overflow: number;
}

export interface Drift {
  ip: string;
  /** What the daemon last wrote (absent: deleted by someone else). */
  expected: { vendor: Vendor; region: string };
  actual: { vendor: Vendor; region: string } | null;
  action: 'repair' | 'recreate' | 'report';
}

export interface Budget {
  /** min(Cloudflare cap, zone maxMappings). */
  cap: number;
  unmanaged: number;
  reserve: number;
  /** Mappings the daemon may hold: cap − unmanaged − reserve. */
  available: number;
  managedBefore: number;
  managedAfter: number;
  /** Mappings in the zone after the plan (managed + unmanaged). */
  totalAfter: number;
  desired: number;
  overflow: number;
  left: number;
}

export interface GuardVerdict {
  held: boolean;
  reason?: string;
  deletes: number;
  changes: number;
  existing: number;
  maxChangeFraction: number;
  minEntries: number;
}

export interface Plan {
  zoneId: string;
  createdAt: number;
  upserts: Upsert[];
  deletes: Delete[];
  skipped: PlanSkip[];
  drift: Drift[];
  overflow: Array<{ ip: string; vendor: Vendor; region: string; scope: string }>;
  /**
   * How many entries `skipped` and `overflow` have in all: the lists may hold only the first of them (a
   * sample, see PlanInput.sample). Plans stored before this field existed listed every entry.
   */
  totals: PlanTotals;
  budget: Budget;
  guard: GuardVerdict;
  /** Registry entries to write without a request: adopting an identical unowned mapping, refreshing our own. */
  remember: Array<{ ip: string; entry: Omit<RegistryEntry, 'planId' | 'at'> }>;
  /** Registry entries to drop: not in the zone and not wanted, or a pending write that never landed. */
  forget: string[];
  /** Tombstones after this plan (complete replacement of the zone's tombstone set). */
  tombstones: Record<string, Tombstone>;
  /** Hash of the changes (upserts + deletes): two plans with the same digest make the same writes. */
  digest: string;
  /** Hashes of what the plan was made from: the zone's list, and the desired set. A saved plan applies only while both hold. */
  basis: { zone: string; desired: string };
  scopes: Array<{ scope: string; status: ScopeView['status']; scannedAt: number; origins: number; error?: string }>;
  /** Only while the zone recovers from a state loss: what was re-owned, what is listed for review. */
  recovery?: RecoveryReport;
}
