import type { CurrentMapping, RegistryEntry } from './types.ts';

/**
 * Whether the daemon owns the mapping of `ip`. A registry entry is written before the write is sent,
 * so a pending entry proves ownership only if the write landed (Cloudflare holds exactly that value)
 * or nothing is there at all; a pending entry facing a different value means someone else's mapping
 * and our write never happened.
 */
export function isOwned(entry: RegistryEntry | undefined, current: CurrentMapping | undefined): boolean {
  if (!entry) return false;
  if (!entry.pending) return true;
  return !current || (current.vendor === entry.vendor && current.region === entry.region);
}
