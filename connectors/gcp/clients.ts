import { AddressesClient, ForwardingRulesClient, InstancesClient } from '@google-cloud/compute';
import { computeAuth } from './credentials.ts';

// Named through the compute client so that google-gax, not a direct dependency, is never imported.
type ClientOptions = NonNullable<ConstructorParameters<typeof AddressesClient>[0]>;
type CallOptions = NonNullable<Parameters<AddressesClient['aggregatedListAsync']>[1]>;

export interface ComputeClients {
  addresses: AddressesClient;
  instances: InstancesClient;
  forwardingRules: ForwardingRulesClient;
}
export type ClientKind = keyof ComputeClients;

/**
 * Production: modest, bounded retries on what GCP means as "try again" (429 → RESOURCE_EXHAUSTED, 500 →
 * INTERNAL, 503 → UNAVAILABLE, timeouts; Google asks clients to back off and retry these on idempotent
 * calls), instead of gax's default of retrying for up to 10 minutes. google-gax counts the first attempt
 * in maxRetries, so 4 means at most three retries.
 */
export const PRODUCTION_RETRY = {
  retryCodes: [4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 13 /* INTERNAL */, 14 /* UNAVAILABLE */],
  backoffSettings: {
    initialRetryDelayMillis: 1000,
    retryDelayMultiplier: 2,
    maxRetryDelayMillis: 16_000,
    initialRpcTimeoutMillis: 60_000,
    rpcTimeoutMultiplier: 1,
    maxRpcTimeoutMillis: 60_000,
    maxRetries: 4,
  },
};

/**
 * Builds the compute clients and the per-call options. The only difference between production and a
 * fake is here: with `endpoint`, the clients talk plain REST to that host, and credentials.ts sends
 * none; without it, Google's endpoints with Application Default Credentials.
 */
export class ComputeClientPool {
  private readonly options: ClientOptions;
  private readonly testMode: boolean;
  private readonly clients: Partial<ComputeClients> = {};

  constructor(endpoint: string | undefined) {
    this.testMode = endpoint !== undefined;
    if (endpoint !== undefined) {
      const url = new URL(endpoint);
      const protocol = url.protocol.replace(/:$/, '');
      this.options = {
        apiEndpoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80,
        protocol,
        ...computeAuth(endpoint),
        fallback: true,
      };
    } else {
      this.options = { ...computeAuth(endpoint), fallback: true };
    }
  }

  callOptions(signal: AbortSignal): CallOptions {
    // autoPaginate: false is what the async iterators do anyway; saying so silences gax's warning.
    if (this.testMode) return { retry: null, timeout: 30_000, autoPaginate: false, signal };
    return { retry: PRODUCTION_RETRY, autoPaginate: false, signal };
  }

  /**
   * A client whose stub is ready. The SDK's list methods start `initialize()` themselves and rethrow its
   * failure from a detached promise: with broken credentials that is an unhandled rejection, which
   * ends a Node process. Awaiting initialize here first keeps the failure in our hands, and a client
   * whose initialization failed is dropped, because it caches the rejected stub for good.
   */
  async ready<K extends ClientKind>(kind: K): Promise<ComputeClients[K]> {
    const client = (this.clients[kind] ??= this.make(kind));
    try {
      await client.initialize();
      return client;
    } catch (e) {
      if (this.clients[kind] === client) delete this.clients[kind];
      await client.close().catch(() => undefined);
      throw e;
    }
  }

  async close(): Promise<void> {
    const all = Object.values(this.clients);
    for (const k of Object.keys(this.clients) as ClientKind[]) delete this.clients[k];
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  }

  private make<K extends ClientKind>(kind: K): ComputeClients[K] {
    // Each client gets its own copy: the SDK writes into the options object it is given.
    const opts = { ...this.options };
    const made: ComputeClients[ClientKind] =
      kind === 'addresses' ? new AddressesClient(opts) : kind === 'instances' ? new InstancesClient(opts) : new ForwardingRulesClient(opts);
    return made as ComputeClients[K];
  }
}
