import { describe, expect, it } from 'vitest';
import { planZone } from '../../src/reconcile/index.ts';
import { applyPlan, input, mapping, origin, owned, view, zone } from '../helpers/plan-fixtures.ts';

const ip4 = (i: number) => `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`;

describe('planZone: writes', () => {
  it('creates every desired origin in an empty zone', () => {
    const plan = planZone(input({ scopes: [view([origin('192.0.2.1'), origin('2001:db8::1', 'gcp', 'us-central1')])] }));
    expect(plan.upserts.map((u) => [u.ip, u.kind])).toEqual([
      ['192.0.2.1', 'create'],
      ['2001:db8::1', 'create'],
    ]);
    expect(plan.deletes).toEqual([]);
    expect(plan.budget).toMatchObject({ cap: 3500, managedBefore: 0, managedAfter: 2, desired: 2, overflow: 0 });
  });

  it('sends nothing when the zone already holds what is desired', () => {
    const plan = planZone(
      input({
        scopes: [view([origin('192.0.2.1')])],
        current: [mapping('192.0.2.1')],
        registry: owned([['192.0.2.1', 'aws', 'us-east-1']]),
      }),
    );
    expect(plan.upserts).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.remember).toEqual([]);
  });

  it('updates a managed mapping whose region changed at the vendor', () => {
    const plan = planZone(
      input({
        scopes: [view([origin('192.0.2.1', 'aws', 'us-west-2')])],
        current: [mapping('192.0.2.1')],
        registry: owned([['192.0.2.1', 'aws', 'us-east-1']]),
      }),
    );
    expect(plan.upserts).toMatchObject([{ ip: '192.0.2.1', region: 'us-west-2', kind: 'update', from: { region: 'us-east-1' } }]);
    expect(plan.drift).toEqual([]);
  });
});

describe('planZone: ownership', () => {
  const base = { scopes: [view([origin('192.0.2.1', 'aws', 'us-west-2')])], current: [mapping('192.0.2.1', 'aws', 'us-east-1')] };

  it('leaves an unowned mapping alone and reports it (adopt: false)', () => {
    const plan = planZone(input(base));
    expect(plan.upserts).toEqual([]);
    expect(plan.skipped).toMatchObject([{ ip: '192.0.2.1', reason: 'unowned' }]);
    expect(plan.budget.unmanaged).toBe(1);
  });

  it('takes it over with adopt: true', () => {
    const plan = planZone(input({ ...base, zone: zone({ adopt: true }) }));
    expect(plan.upserts).toMatchObject([{ ip: '192.0.2.1', kind: 'adopt', region: 'us-west-2' }]);
    expect(plan.budget).toMatchObject({ unmanaged: 0, managedAfter: 1 });
  });

  it('adopts an identical unowned mapping without a write', () => {
    const plan = planZone(input({ scopes: [view([origin('192.0.2.1')])], current: [mapping('192.0.2.1')], zone: zone({ adopt: true }) }));
    expect(plan.upserts).toEqual([]);
    expect(plan.remember).toMatchObject([{ ip: '192.0.2.1', entry: { vendor: 'aws', region: 'us-east-1' } }]);
  });

  it('never deletes an unowned mapping nobody wants, even with adopt: true', () => {
    const plan = planZone(input({ scopes: [view([])], current: [mapping('192.0.2.9')], zone: zone({ adopt: true }) }));
    expect(plan.deletes).toEqual([]);
    expect(plan.budget.unmanaged).toBe(1);
  });

  it('reports a managed mapping changed by someone else as drift and repairs it', () => {
    const plan = planZone(
      input({
        scopes: [view([origin('192.0.2.1')])],
        current: [mapping('192.0.2.1', 'aws', 'eu-west-1')],
        registry: owned([['192.0.2.1', 'aws', 'us-east-1']]),
      }),
    );
    expect(plan.drift).toMatchObject([{ ip: '192.0.2.1', action: 'repair', actual: { region: 'eu-west-1' } }]);
    expect(plan.upserts).toMatchObject([{ kind: 'repair', region: 'us-east-1' }]);
  });

  it('recreates a managed mapping deleted by someone else', () => {
    const plan = planZone(input({ scopes: [view([origin('192.0.2.1')])], registry: owned([['192.0.2.1', 'aws', 'us-east-1']]) }));
    expect(plan.drift).toMatchObject([{ ip: '192.0.2.1', action: 'recreate', actual: null }]);
    expect(plan.upserts).toMatchObject([{ kind: 'recreate' }]);
  });

  it('treats a pending registry entry facing another value as a write that never landed', () => {
    const registry = owned([['192.0.2.1', 'aws', 'us-east-1']]);
    registry.set('192.0.2.1', { ...registry.get('192.0.2.1')!, pending: true });
    const plan = planZone(input({ scopes: [view([])], current: [mapping('192.0.2.1', 'gcp', 'us-central1')], registry }));
    expect(plan.deletes).toEqual([]);
    expect(plan.forget).toEqual(['192.0.2.1']);
    expect(plan.budget.unmanaged).toBe(1);
  });

  it('confirms a pending entry whose write landed', () => {
    const registry = owned([['192.0.2.1', 'aws', 'us-east-1']]);
    registry.set('192.0.2.1', { ...registry.get('192.0.2.1')!, pending: true });
    const plan = planZone(input({ scopes: [view([origin('192.0.2.1')])], current: [mapping('192.0.2.1')], registry }));
    expect(plan.upserts).toEqual([]);
    expect(plan.remember).toMatchObject([{ ip: '192.0.2.1' }]);
  });
});

describe('planZone: deletes (unknown is not empty)', () => {
  const reg = owned([['192.0.2.1', 'aws', 'us-east-1']]);
  const cur = [mapping('192.0.2.1')];

  it('deletes only after deleteAfterMissedScans complete scans', () => {
    const first = planZone(input({ scopes: [view([], { scannedAt: 1_000 })], current: cur, registry: reg }));
    expect(first.deletes).toEqual([]);
    expect(first.skipped).toMatchObject([{ ip: '192.0.2.1', reason: 'tombstone-pending' }]);
    expect(first.tombstones['192.0.2.1']).toMatchObject({ misses: 1, lastScanAt: 1_000 });

    // A second reconcile on the same scan does not count twice.
    const again = planZone(input({ scopes: [view([], { scannedAt: 1_000 })], current: cur, registry: reg, tombstones: new Map(Object.entries(first.tombstones)) }));
    expect(again.deletes).toEqual([]);
    expect(again.tombstones['192.0.2.1']!.misses).toBe(1);

    const second = planZone(
      input({ now: 3_000, scopes: [view([], { scannedAt: 2_500 })], current: cur, registry: reg, tombstones: new Map(Object.entries(first.tombstones)) }),
    );
    expect(second.deletes).toMatchObject([{ ip: '192.0.2.1', reason: 'absent' }]);
  });

  it('resets the count when the IP comes back', () => {
    const plan = planZone(
      input({ scopes: [view([origin('192.0.2.1')])], current: cur, registry: reg, tombstones: new Map([['192.0.2.1', { misses: 1, lastScanAt: 500, firstMissedAt: 500 }]]) }),
    );
    expect(plan.tombstones).toEqual({});
  });

  it.each(['failed', 'partial', 'never'] as const)('deletes nothing from a %s scope', (status) => {
    const plan = planZone(
      input({
        scopes: [view([], { status, error: 'AccessDenied' })],
        current: cur,
        registry: reg,
        tombstones: new Map([['192.0.2.1', { misses: 5, lastScanAt: 1, firstMissedAt: 1 }]]),
      }),
    );
    expect(plan.deletes).toEqual([]);
    expect(plan.skipped).toMatchObject([{ reason: 'scope-incomplete' }]);
    expect(plan.tombstones['192.0.2.1']!.misses).toBe(5);
  });

  it('deletes nothing from a complete scan that is too old', () => {
    const plan = planZone(input({ now: 1_000_000, scopes: [view([], { scannedAt: 1 })], current: cur, registry: reg, zone: zone({ deleteAfterMissedScans: 1 }) }));
    expect(plan.deletes).toEqual([]);
    expect(plan.skipped[0]!.detail).toMatch(/old/);
  });

  it('keeps a failed scope\'s last good origins desired', () => {
    const plan = planZone(input({ scopes: [view([origin('192.0.2.1')], { status: 'failed' })], current: cur, registry: reg }));
    expect(plan.deletes).toEqual([]);
    expect(plan.upserts).toEqual([]);
  });

  it.each(['upsert-only', 'create-only'] as const)('never deletes under %s', (policy) => {
    const plan = planZone(
      input({ zone: zone({ policy, deleteAfterMissedScans: 1 }), scopes: [view([])], current: cur, registry: reg }),
    );
    expect(plan.deletes).toEqual([]);
    expect(plan.skipped).toMatchObject([{ reason: 'policy' }]);
  });

  it('create-only never changes an existing mapping', () => {
    const plan = planZone(
      input({ zone: zone({ policy: 'create-only' }), scopes: [view([origin('192.0.2.1', 'aws', 'us-west-2'), origin('192.0.2.2')])], current: cur, registry: reg }),
    );
    expect(plan.upserts.map((u) => [u.ip, u.kind])).toEqual([['192.0.2.2', 'create']]);
    expect(plan.skipped).toMatchObject([{ ip: '192.0.2.1', reason: 'policy' }]);
  });

  it('keeps the mappings of a connector whose scopes could not be listed', () => {
    const plan = planZone(
      input({ zone: zone({ deleteAfterMissedScans: 1 }), scopes: [], current: cur, registry: owned([['192.0.2.1', 'aws', 'us-east-1']], 'aws/aws/1/us-east-1'), unlistedConnectors: new Set(['aws']) }),
    );
    expect(plan.deletes).toEqual([]);
    expect(plan.skipped).toMatchObject([{ ip: '192.0.2.1', reason: 'scope-incomplete', detail: expect.stringMatching(/could not be listed/) }]);
  });

  it('counts a deselected scope as absent at every reconcile', () => {
    const plan = planZone(input({ zone: zone({ deleteAfterMissedScans: 1 }), scopes: [], current: cur, registry: owned([['192.0.2.1', 'aws', 'us-east-1']], 'old/aws/1/us-east-1') }));
    expect(plan.deletes).toMatchObject([{ ip: '192.0.2.1', reason: 'deselected' }]);
  });
});

describe('planZone: capacity budget', () => {
  it('5,000 desired, 200 unmanaged: 3,300 managed, 1,700 overflow, the 200 untouched', () => {
    const origins = Array.from({ length: 5000 }, (_, i) => origin(ip4(i)));
    const unmanaged = Array.from({ length: 200 }, (_, i) => mapping(`203.0.113.${i + 1}`, 'gcp', 'us-central1'));
    const plan = planZone(input({ scopes: [view(origins)], current: unmanaged }));
    expect(plan.upserts).toHaveLength(3300);
    expect(plan.overflow).toHaveLength(1700);
    expect(plan.budget).toMatchObject({ cap: 3500, unmanaged: 200, available: 3300, managedAfter: 3300, totalAfter: 3500, overflow: 1700, left: 0 });
    expect(plan.deletes).toEqual([]);
    expect(plan.skipped.filter((s) => s.reason === 'over-budget')).toHaveLength(1700);
  });

  it('honours maxMappings and reserve', () => {
    const origins = Array.from({ length: 20 }, (_, i) => origin(ip4(i)));
    const plan = planZone(input({ zone: zone({ maxMappings: 15, reserve: 5 }), scopes: [view(origins)] }));
    expect(plan.upserts).toHaveLength(10);
    expect(plan.budget).toMatchObject({ cap: 15, reserve: 5, available: 10, overflow: 10 });
  });

  it('chooses by priority rules, then existing before new, then IP order', () => {
    const origins = [origin('192.0.2.1'), origin('192.0.2.2'), origin('192.0.2.3', 'aws', 'us-east-1', { tags: { tier: 'gold' } })];
    const plan = planZone(input({ zone: zone({ maxMappings: 2, priority: [{ tags: { tier: 'gold' } }] }), scopes: [view(origins)] }));
    expect(plan.upserts.map((u) => u.ip)).toEqual(['192.0.2.1', '192.0.2.3']);
    expect(plan.overflow.map((o) => o.ip)).toEqual(['192.0.2.2']);
  });

  it('under sync, a higher-priority origin takes the slot of a lower one; deletes are planned', () => {
    const gold = origin('192.0.2.9', 'aws', 'us-east-1', { tags: { tier: 'gold' } });
    const plan = planZone(
      input({
        zone: zone({ maxMappings: 1, priority: [{ tags: { tier: 'gold' } }] }),
        scopes: [view([origin('192.0.2.1'), gold])],
        current: [mapping('192.0.2.1')],
        registry: owned([['192.0.2.1', 'aws', 'us-east-1']]),
      }),
    );
    expect(plan.deletes).toMatchObject([{ ip: '192.0.2.1', reason: 'over-budget' }]);
    expect(plan.upserts).toMatchObject([{ ip: '192.0.2.9', kind: 'create' }]);
    expect(plan.budget.totalAfter).toBe(1);
  });

  it('under upsert-only, nothing already mapped is evicted', () => {
    const gold = origin('192.0.2.9', 'aws', 'us-east-1', { tags: { tier: 'gold' } });
    const plan = planZone(
      input({
        zone: zone({ policy: 'upsert-only', maxMappings: 1, priority: [{ tags: { tier: 'gold' } }] }),
        scopes: [view([origin('192.0.2.1'), gold])],
        current: [mapping('192.0.2.1')],
        registry: owned([['192.0.2.1', 'aws', 'us-east-1']]),
      }),
    );
    expect(plan.deletes).toEqual([]);
    expect(plan.upserts).toEqual([]);
    expect(plan.overflow.map((o) => o.ip)).toEqual(['192.0.2.9']);
  });

  it('counts entries it cannot read as someone else\'s, and leaves their IPs alone', () => {
    const plan = planZone(
      input({ zone: zone({ maxMappings: 3 }), scopes: [view([origin('192.0.2.1'), origin('192.0.2.2'), origin('192.0.2.3')])], unparsed: [{ ip: '192.0.2.2', reason: 'vendor "ibm"' }, { ip: null, reason: 'bad IP' }] }),
    );
    expect(plan.budget).toMatchObject({ unmanaged: 2, available: 1 });
    expect(plan.upserts.map((u) => u.ip)).toEqual(['192.0.2.1']);
    expect(plan.skipped.map((s) => [s.ip, s.reason])).toEqual([
      ['192.0.2.2', 'unowned'],
      ['192.0.2.3', 'over-budget'],
    ]);
  });

  it('counts mappings kept by a pending tombstone against the budget', () => {
    const plan = planZone(
      input({
        zone: zone({ maxMappings: 2 }),
        scopes: [view([origin('192.0.2.1'), origin('192.0.2.2')])],
        current: [mapping('192.0.2.50')],
        registry: owned([['192.0.2.50', 'aws', 'us-east-1']]),
      }),
    );
    expect(plan.skipped.map((s) => s.reason).sort()).toEqual(['over-budget', 'tombstone-pending']);
    expect(plan.upserts).toHaveLength(1);
  });
});

describe('planZone: guard', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => mapping(ip4(i)));
  const registry = owned(hundred.map((m) => [m.ip, m.vendor, m.region]));

  it('holds a plan deleting half of 100 mappings', () => {
    const keep = hundred.slice(0, 50).map((m) => origin(m.ip));
    const plan = planZone(
      input({ zone: zone({ deleteAfterMissedScans: 1, guard: { maxChangeFraction: 0.3, minEntries: 10 } }), scopes: [view(keep)], current: hundred, registry }),
    );
    expect(plan.deletes).toHaveLength(50);
    expect(plan.guard).toMatchObject({ held: true, deletes: 50, existing: 100 });
    expect(plan.guard.reason).toMatch(/delete 50 of 100/);
  });

  it('lets small zones through and ignores creates', () => {
    const plan = planZone(
      input({ zone: zone({ deleteAfterMissedScans: 1, guard: { maxChangeFraction: 0.3, minEntries: 10 } }), scopes: [view([])], current: hundred.slice(0, 5), registry }),
    );
    expect(plan.deletes).toHaveLength(5);
    expect(plan.guard.held).toBe(false);
  });
});

describe('planZone: validation and conflicts', () => {
  it('skips regions the zone does not support, with the reason', () => {
    const plan = planZone(
      input({
        scopes: [view([origin('192.0.2.1'), origin('192.0.2.2', 'aws', 'ap-east-2')])],
        supportedRegions: new Map([['aws', new Set(['us-east-1'])]]),
      }),
    );
    expect(plan.upserts.map((u) => u.ip)).toEqual(['192.0.2.1']);
    expect(plan.skipped).toMatchObject([{ ip: '192.0.2.2', reason: 'unsupported-region' }]);
  });

  it('falls back to the vendor catalogue when supported_regions are unknown', () => {
    const plan = planZone(input({ scopes: [view([origin('192.0.2.2', 'aws', 'us-east-9')])] }));
    expect(plan.skipped).toMatchObject([{ reason: 'invalid-region' }]);
  });

  it('passes the connectors\' skips through with their reasons', () => {
    const plan = planZone(
      input({
        scopes: [view([], { skipped: [{ ip: '10.0.0.1', reason: 'not-public', detail: 'private', scope: 's', source: 'x' }, { ip: '34.1.2.3', reason: 'anycast', detail: 'global', scope: 's', source: 'y' }] })],
      }),
    );
    expect(plan.skipped.map((s) => s.reason).sort()).toEqual(['anycast', 'not-public']);
  });

  it('resolves two scopes claiming one IP the same way every time, and reports it', () => {
    const a = view([origin('192.0.2.1', 'aws', 'us-east-1', { scope: 'b/aws/1/us-east-1' })], { scope: 'b/aws/1/us-east-1' });
    const b = view([origin('192.0.2.1', 'gcp', 'us-central1', { scope: 'a/gcp/p/*' })], { scope: 'a/gcp/p/*' });
    const p1 = planZone(input({ scopes: [a, b] }));
    const p2 = planZone(input({ scopes: [b, a] }));
    expect(p1.upserts).toEqual(p2.upserts);
    expect(p1.upserts).toMatchObject([{ vendor: 'gcp', scope: 'a/gcp/p/*' }]);
    expect(p1.skipped).toMatchObject([{ reason: 'conflict', scope: 'b/aws/1/us-east-1' }]);
  });

  it('prefers a complete scan over a failed one in a conflict', () => {
    const failed = view([origin('192.0.2.1', 'gcp', 'us-central1', { scope: 'a/gcp/p/*' })], { scope: 'a/gcp/p/*', status: 'failed' });
    const ok = view([origin('192.0.2.1', 'aws', 'us-east-1', { scope: 'b/aws/1/us-east-1' })], { scope: 'b/aws/1/us-east-1' });
    expect(planZone(input({ scopes: [failed, ok] })).upserts).toMatchObject([{ vendor: 'aws' }]);
  });

  it('selects by connector, vendor, region, tag and CIDR', () => {
    const origins = [
      origin('192.0.2.1', 'aws', 'eu-west-1', { tags: { env: 'prod' } }),
      origin('192.0.2.2', 'aws', 'us-east-1', { tags: { env: 'prod' } }),
      origin('198.51.100.1', 'aws', 'eu-west-1', { tags: { env: 'prod' } }),
      origin('192.0.2.3', 'aws', 'eu-west-1', { tags: { env: 'dev' } }),
    ];
    const plan = planZone(input({ zone: zone({ select: { connectors: ['inv'], vendors: ['aws'], regions: ['eu-*'], tags: { env: 'prod' }, cidrs: ['192.0.2.0/24'] } }), scopes: [view(origins)] }));
    expect(plan.upserts.map((u) => u.ip)).toEqual(['192.0.2.1']);
    expect(planZone(input({ zone: zone({ select: { connectors: ['other'] } }), scopes: [view(origins)] })).upserts).toEqual([]);
  });
});

describe('planZone: convergence', () => {
  it('planning again after applying gives no change', () => {
    const origins = Array.from({ length: 300 }, (_, i) => origin(ip4(i), i % 2 ? 'aws' : 'gcp', i % 2 ? 'us-east-1' : 'us-central1'));
    const first = planZone(input({ scopes: [view(origins)], current: [mapping('203.0.113.1')] }));
    const after = applyPlan({ current: [mapping('203.0.113.1')], registry: new Map() }, first);
    const second = planZone(input({ scopes: [view(origins)], ...after }));
    expect(second.upserts).toEqual([]);
    expect(second.deletes).toEqual([]);
    expect(second.digest).not.toBe(first.digest);
  });
});
