import { describe, expect, it } from 'vitest';
import { scopeView, snapshotAfter } from '../../src/reconcile/snapshots.ts';
import { origin } from '../helpers/plan-fixtures.ts';

const scope = { id: 'inv/aws/1/us-east-1', connector: 'inv' };
const a = origin('192.0.2.1');
const b = origin('192.0.2.2');
const moved = origin('192.0.2.1', 'aws', 'us-west-2');
const skip = { ip: '10.0.0.1', reason: 'not-public' as const, detail: 'private', scope: scope.id, source: 'x' };

describe('scope snapshots (rule 1: unknown is not empty)', () => {
  it('a complete scan is the whole picture', () => {
    const { scan, complete } = snapshotAfter({ status: 'complete', origins: [a, b], skipped: [skip] }, 100);
    expect(scopeView(scope, scan, complete!)).toEqual({ scope: scope.id, connector: 'inv', status: 'complete', scannedAt: 100, origins: [a, b], skipped: [skip] });
  });

  it('a partial scan adds what it found to the last complete one and removes nothing', () => {
    const last = snapshotAfter({ status: 'complete', origins: [a, b], skipped: [skip] }, 100).complete!;
    const { scan, complete } = snapshotAfter({ status: 'partial', origins: [moved], skipped: [], error: 'page 2 timed out' }, 200);
    expect(complete).toBeUndefined();
    expect(scopeView(scope, scan, last)).toEqual({ scope: scope.id, connector: 'inv', status: 'partial', scannedAt: 200, origins: [moved, b], skipped: [], error: 'page 2 timed out' });
  });

  it('a failed scan keeps the last complete origins and their skipped list', () => {
    const last = snapshotAfter({ status: 'complete', origins: [a], skipped: [skip] }, 100).complete!;
    const { scan } = snapshotAfter({ status: 'failed', origins: [], skipped: [], error: 'denied' }, 200);
    expect(scopeView(scope, scan, last)).toMatchObject({ status: 'failed', scannedAt: 200, origins: [a], skipped: [skip], error: 'denied' });
  });

  it('a scope never scanned contributes nothing', () => {
    expect(scopeView(scope, null, null)).toEqual({ scope: scope.id, connector: 'inv', status: 'never', scannedAt: 0, origins: [], skipped: [] });
  });
});
