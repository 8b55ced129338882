import * as common from 'oci-common';
import * as core from 'oci-core';
import * as identity from 'oci-identity';
import type { OciAuth } from './credentials.ts';

export interface RegionClients {
  identity: identity.IdentityClient;
  network: core.VirtualNetworkClient;
}

/** Production retries: a few attempts for throttling (429) and 5xx, and none once the scan is aborted. */
class AttemptsUntilAborted implements common.TerminationStrategy {
  private readonly maxAttempts: number;
  private readonly signal: AbortSignal;
  constructor(maxAttempts: number, signal: AbortSignal) {
    this.maxAttempts = maxAttempts;
    this.signal = signal;
  }
  shouldTerminate(context: { attemptCount: number }): boolean {
    return this.signal.aborted || context.attemptCount >= this.maxAttempts - 1;
  }
}

/** 1 s, 2 s, 4 s… capped, with jitter so parallel scopes throttled together do not retry together. */
class JitteredBackoff implements common.DelayStrategy {
  private readonly maxSeconds: number;
  constructor(maxSeconds: number) {
    this.maxSeconds = maxSeconds;
  }
  delay(context: { attemptCount: number }): number {
    return Math.min(2 ** context.attemptCount, this.maxSeconds) * (0.5 + Math.random() / 2);
  }
}

export const PRODUCTION_MAX_ATTEMPTS = 4;

/**
 * Clients for one region, made per scan so the scan's AbortSignal rides on every request (`httpOptions`
 * is handed to fetch as-is). The SDK's circuit breaker is off in both modes: with a breaker, oci-common
 * 2.139.1 returns fetch's `{response}` wrapper instead of the response whenever httpOptions are set, and a
 * breaker on a client that lives for one scan would never accumulate state anyway; a failing region
 * fails its scope and the next scheduled scan retries it.
 *
 * With `endpoint` (a fake), the SDK does not retry at all, so error paths are immediate and deterministic.
 */
export function regionClients(auth: OciAuth, region: string, endpoint: string | undefined, signal: AbortSignal): RegionClients {
  const configuration: common.ClientConfiguration = {
    circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true }),
    httpOptions: { signal },
    retryConfiguration:
      endpoint === undefined
        ? { terminationStrategy: new AttemptsUntilAborted(PRODUCTION_MAX_ATTEMPTS, signal), delayStrategy: new JitteredBackoff(8) }
        : { terminationStrategy: new common.MaxAttemptsTerminationStrategy(1) },
  };
  const params = { authenticationDetailsProvider: auth.provider };
  const clients = {
    identity: new identity.IdentityClient(params, configuration),
    network: new core.VirtualNetworkClient(params, configuration),
  };
  for (const client of Object.values(clients)) {
    // Setting the region rewrites the endpoint, so the fake's endpoint must come after it.
    client.regionId = region;
    if (endpoint !== undefined) client.endpoint = endpoint.replaceAll('{region}', region);
  }
  return clients;
}
