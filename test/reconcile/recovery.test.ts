import { describe, expect, it } from 'vitest';
import { planZone } from '../../src/reconcile/index.ts';
import { unverifiedVerdict } from '../../src/reconcile/recovery.ts';
import { input, mapping, origin, owned, view } from '../helpers/plan-fixtures.ts';

// After a loss: the registry is empty; Cloudflare still holds what the daemon wrote.
const wanted = [origin('192.0.2.1'), origin('192.0.2.2'), origin('192.0.2.3', 'aws', 'eu-west-1')];
const current = [mapping('192.0.2.1'), mapping('192.0.2.2'), mapping('192.0.2.3', 'aws', 'us-east-1'), mapping('192.0.2.9', 'gcp', 'us-central1')];

describe('ownership recovery after a state loss (pure rule)', () => {
  it('without recovery, an empty registry leaves every mapping unowned: nothing re-owned, nothing listed', () => {
    const plan = planZone(input({ scopes: [view(wanted)], current }));
    expect(plan.remember).toEqual([]);
    expect(plan.recovery).toBeUndefined();
    expect(plan.budget.unmanaged).toBe(4);
  });

  it('re-owns exactly the identical mappings, lists the rest with what is wanted, touches nothing', () => {
    const plan = planZone(input({ scopes: [view(wanted)], current, recovery: { reown: true, freezeDeletes: true } }));
    expect(plan.remember.map((r) => r.ip)).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(plan.upserts).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.recovery).toEqual({
      identical: ['192.0.2.1', '192.0.2.2'],
      reowned: 2,
      frozenDeletes: 0,
      possiblyOurs: [
        { ip: '192.0.2.3', vendor: 'aws', region: 'us-east-1', wanted: { vendor: 'aws', region: 'eu-west-1' } },
        { ip: '192.0.2.9', vendor: 'gcp', region: 'us-central1' },
      ],
    });
    expect(plan.budget).toMatchObject({ unmanaged: 2, managedAfter: 2 });
  });

  it('a suspected loss re-owns nothing and lists the identical mappings too', () => {
    const plan = planZone(input({ scopes: [view(wanted)], current, recovery: { reown: false, freezeDeletes: true } }));
    expect(plan.remember).toEqual([]);
    expect(plan.recovery!.reowned).toBe(0);
    expect(plan.recovery!.possiblyOurs.map((p) => p.ip)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.9']);
  });

  it('freezes the deletes of owned mappings nobody wants, and releases them when the freeze ends', () => {
    const registry = owned([['192.0.2.9', 'gcp', 'us-central1']]);
    const frozen = planZone(input({ scopes: [view(wanted)], current, registry, zone: { ...input({}).zone, deleteAfterMissedScans: 1 }, recovery: { reown: true, freezeDeletes: true } }));
    expect(frozen.deletes).toEqual([]);
    expect(frozen.recovery!.frozenDeletes).toBe(1);
    expect(frozen.skipped).toContainEqual(expect.objectContaining({ ip: '192.0.2.9', reason: 'state-loss' }));
    const released = planZone(input({ scopes: [view(wanted)], current, registry, zone: { ...input({}).zone, deleteAfterMissedScans: 1 }, recovery: { reown: true, freezeDeletes: false } }));
    expect(released.deletes.map((d) => d.ip)).toEqual(['192.0.2.9']);
  });

  it('tells a first start from an upgrade and from a suspected loss', () => {
    expect(unverifiedVerdict(0, 0)).toBe('fresh');
    expect(unverifiedVerdict(5, 3)).toBe('upgrade');
    expect(unverifiedVerdict(0, 3)).toBe('suspected');
  });
});
