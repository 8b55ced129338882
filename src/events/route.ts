import type { Scope } from '../../connectors/connector.ts';
import type { ChangeHint } from './types.ts';

/**
 * Whether a scope covers what a hint names. What the hint leaves out matches anything (no account: every
 * account of the vendor); a scope of region `*` covers every region of its account. A file connector's
 * scopes (vendor `mixed`) are matched only by a hint naming the connector.
 */
export function covers(scope: Scope, hint: ChangeHint): boolean {
  if (hint.connector !== undefined && scope.connector !== hint.connector) return false;
  if (scope.vendor !== hint.vendor) return false;
  if (hint.account !== undefined && scope.account !== hint.account) return false;
  if (hint.region !== undefined && scope.region !== '*' && scope.region !== hint.region) return false;
  return true;
}

/** The scopes any hint covers, each once, in the order listed. */
export function scopesFor(hints: readonly ChangeHint[], scopes: readonly Scope[]): Scope[] {
  return scopes.filter((s) => hints.some((h) => covers(s, h)));
}
