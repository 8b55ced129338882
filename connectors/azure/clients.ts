import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NetworkManagementClient, type NetworkManagementClientOptionalParams } from '@azure/arm-network';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { TokenCredential } from '@azure/identity';
import { cloudSettings } from './cloud.ts';
import type { Config } from './config.ts';

type Pipeline = NetworkManagementClient['pipeline'];
type PipelinePolicy = Parameters<Pipeline['addPolicy']>[0];
type PipelineRequest = Parameters<PipelinePolicy['sendRequest']>[0];

/** No ARM page should take this long; without a limit a stalled connection would hang a scan forever. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * ARM's own error message (which principal lacks which permission, which subscription is missing) is in
 * the response body, but the SDK's paging helper throws a bare "Pagination failed with unexpected
 * statusCode 403". This keeps the message per request so errors.ts can report it.
 */
const armMessages = new WeakMap<object, string>();

export function armMessageFor(request: unknown): string | undefined {
  return request !== null && typeof request === 'object' ? armMessages.get(request) : undefined;
}

const errorMessagePolicy: PipelinePolicy = {
  name: 'originRegionSyncArmErrorMessage',
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status >= 400 && response.bodyAsText) {
      try {
        const body: unknown = JSON.parse(response.bodyAsText);
        const error = body !== null && typeof body === 'object' && 'error' in body ? body.error : undefined;
        const message = error !== null && typeof error === 'object' && 'message' in error ? error.message : undefined;
        if (typeof message === 'string') armMessages.set(request, message.slice(0, 400));
      } catch {
        // not JSON: the status and code are all there is
      }
    }
    return response;
  },
};

/**
 * The SDK passes the caller's abortSignal to the first page only (later pages are fetched with no
 * options), so the signal and a timeout are put on every request here.
 */
function callPolicy(signal: AbortSignal): PipelinePolicy {
  return {
    name: 'originRegionSyncCall',
    sendRequest(request: PipelineRequest, next) {
      request.abortSignal ??= signal;
      if (!request.timeout) request.timeout = REQUEST_TIMEOUT_MS;
      return next(request);
    },
  };
}

export interface AzureClients {
  network(subscriptionId: string, signal: AbortSignal): NetworkManagementClient;
  subscriptions(signal: AbortSignal): SubscriptionClient;
}

/**
 * The one place that differs between production and a fake: the endpoint, the trusted CA, and retries.
 * Everything else (bearer-token policy, paging, deserialization) is the SDK's own, unchanged.
 */
export function azureClients(config: Config, credential: TokenCredential, configDir: string): AzureClients {
  const cloud = cloudSettings(config.cloud);
  let ca: string | undefined;
  if (config.caFile) {
    const path = resolve(configDir, config.caFile);
    try {
      ca = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`azure connector ${config.name}: cannot read caFile ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const options: NetworkManagementClientOptionalParams = {
    endpoint: (config.endpoint ?? cloud.endpoint).replace(/\/+$/, ''),
    credentials: { scopes: [cloud.scope] },
    // A fake must answer deterministically; real ARM throttles (429 + Retry-After), so a few bounded retries.
    retryOptions: config.endpoint ? { maxRetries: 0 } : { maxRetries: 3, retryDelayInMs: 1_000, maxRetryDelayInMs: 30_000 },
    userAgentOptions: { userAgentPrefix: 'origin-region-sync' },
    ...(ca ? { tlsOptions: { ca } } : {}),
  };
  const prepare = <C extends { pipeline: Pipeline }>(client: C, signal: AbortSignal): C => {
    client.pipeline.addPolicy(callPolicy(signal));
    client.pipeline.addPolicy(errorMessagePolicy);
    return client;
  };
  return {
    // A client per call, so each carries its own scan's abort signal; building one is cheap (no I/O).
    network: (subscriptionId, signal) => prepare(new NetworkManagementClient(credential, subscriptionId, options), signal),
    subscriptions: (signal) => prepare(new SubscriptionClient(credential, options), signal),
  };
}
