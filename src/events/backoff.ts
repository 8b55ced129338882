import { setTimeout as sleep } from 'node:timers/promises';

/** Full-jitter exponential backoff: 0.5 s doubling to 60 s, so many replicas do not retry in step. */
export function backoffDelay(attempt: number, baseMs = 500, maxMs = 60_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** Sleeps, or resolves early (false) when the signal aborts: a stopping consumer must not wait a minute. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
