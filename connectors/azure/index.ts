import type { Logger } from 'pino';
import type { Connector, ConnectorContext, ScanResult, Scope } from '../connector.ts';
import { regionMatcher } from '../shared/regions-filter.ts';
import { ScanCollector } from '../shared/scan-collector.ts';
import { azureClients, type AzureClients } from './clients.ts';
import type { Config } from './config.ts';
import { credentialFor } from './credentials.ts';
import { describeAzureError } from './errors.ts';
import { Limiter } from '../shared/concurrency.ts';
import { collectPublicIp, type PublicIpFilter } from './discover.ts';
import { failedScan } from '../shared/failed-scan.ts';

/**
 * Subscription states whose resources keep running: a Warned or PastDue subscription still serves traffic,
 * so its addresses stay origins. Disabled and Deleted subscriptions have their resources stopped.
 */
const ACTIVE_STATES = new Set(['Enabled', 'Warned', 'PastDue']);

/**
 * Public IP addresses of Azure subscriptions. One scope per subscription, region `*`:
 * `publicIPAddresses.listAll` lists every region of a subscription in one paged call, so a narrower
 * scope would only repeat that call. `regions` filters on each address's `location`.
 */
export class AzureConnector implements Connector {
  readonly name: string;
  readonly type = 'azure';
  private readonly config: Config;
  private readonly clients: AzureClients;
  private readonly filter: PublicIpFilter;
  private readonly limiter: Limiter;
  private readonly logger: Logger;
  private readonly secrets: Array<string | undefined>;

  constructor(config: Config, ctx: ConnectorContext) {
    this.name = config.name;
    this.config = config;
    this.clients = azureClients(config, credentialFor(config, ctx.env), ctx.configDir);
    this.filter = { tags: config.tags, inRegion: regionMatcher(config.regions) };
    this.limiter = new Limiter(config.concurrency ?? 4);
    this.logger = ctx.logger.child({ connector: config.name, vendor: 'azure' });
    this.secrets = config.tokenEnv ? [ctx.env[config.tokenEnv]] : [];
  }

  async listScopes(signal: AbortSignal): Promise<Scope[]> {
    const ids = this.config.subscriptions[0] === '*' ? await this.visibleSubscriptions(signal) : this.config.subscriptions;
    // Lowercase: ARM ids are case-insensitive, and one subscription must always have the same scope id.
    return [...new Set(ids.map((s) => s.toLowerCase()))].map((account) => ({
      id: `${this.name}/azure/${account}/*`,
      connector: this.name,
      vendor: 'azure',
      account,
      region: '*',
    }));
  }

  private async visibleSubscriptions(signal: AbortSignal): Promise<string[]> {
    const ids: string[] = [];
    try {
      await this.limiter.run(signal, async () => {
        for await (const s of this.clients.subscriptions(signal).subscriptions.list({ abortSignal: signal })) {
          if (!s.subscriptionId) continue;
          if (s.state && !ACTIVE_STATES.has(s.state)) {
            this.logger.info({ subscription: s.subscriptionId, state: s.state }, 'subscription left out: its resources are not running');
            continue;
          }
          ids.push(s.subscriptionId);
        }
      });
    } catch (err) {
      throw new Error(`azure connector ${this.name}: listing subscriptions failed: ${describeAzureError(err, this.secrets)}`);
    }
    // An empty answer is far likelier a principal that lost its role assignments than an estate with no
    // subscriptions; returning no scopes would read as "every Azure origin is gone".
    if (ids.length === 0) {
      throw new Error(`azure connector ${this.name}: the credential sees no active subscription (check its Reader role assignments, or list subscription ids)`);
    }
    return ids.sort();
  }

  async discover(scope: Scope, signal: AbortSignal): Promise<ScanResult> {
    if (scope.connector !== this.name || scope.vendor !== 'azure') {
      return failedScan(`scope ${scope.id} does not belong to azure connector ${this.name}`);
    }
    const collector = new ScanCollector(scope);
    let pages = 0;
    try {
      await this.limiter.run(signal, async () => {
        const client = this.clients.network(scope.account, signal);
        for await (const page of client.publicIPAddresses.listAll({ abortSignal: signal }).byPage()) {
          pages++;
          for (const p of page) collectPublicIp(p, this.filter, collector);
          signal.throwIfAborted();
        }
      });
    } catch (err) {
      const where = pages === 0 ? '' : ` after ${pages} page(s)`;
      const error = `subscription ${scope.account}: listing public IP addresses failed${where}: ${describeAzureError(err, this.secrets)}`;
      this.logger.debug({ scope: scope.id, error }, 'azure scan did not complete');
      // Nothing read: the scope keeps its last snapshot. Some pages read: what they held is real.
      if (pages === 0) return failedScan(error);
      collector.fail(error);
      return collector.result('partial');
    }
    return collector.result();
  }
}

export { configSchema, type Config } from './config.ts';

export function create(config: Config, ctx: ConnectorContext): Connector {
  return new AzureConnector(config, ctx);
}
