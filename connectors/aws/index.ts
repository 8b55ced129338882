import { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Logger } from 'pino';
import { regionGroups } from '../../src/model/index.ts';
import type { Connector, ConnectorContext, ScanResult, Scope } from '../connector.ts';
import { Limiter, mapBounded } from '../shared/concurrency.ts';
import { regionMatcher } from '../shared/regions-filter.ts';
import { ScanCollector } from '../shared/scan-collector.ts';
import { callerAccountId } from './caller-identity.ts';
import type { Config } from './config.ts';
import { assumedRole, baseCredentials, shared } from './credentials.ts';
import { describeError, isAbort } from './errors.ts';
import { scanRegion } from './discover.ts';
import { enabledRegions } from './sources.ts';
import { failedScan } from '../shared/failed-scan.ts';

interface Account {
  id: string;
  credentials: AwsCredentialIdentityProvider;
}

/**
 * Scopes are account × region. Each account's regions come from DescribeRegions (enabled ones) in
 * `homeRegion`, narrowed by the configured `regions` patterns.
 */
export class AwsConnector implements Connector {
  readonly name: string;
  readonly type = 'aws';
  private readonly config: Config;
  private readonly log: Logger;
  private readonly concurrency: number;
  private readonly homeRegion: string;
  private readonly timeoutMs: number;
  /** Against a fake, no SDK retries (fast, deterministic tests); against AWS, a few (throttling is real). */
  private readonly maxAttempts: number;
  private readonly base: AwsCredentialIdentityProvider;
  private readonly secrets: string[];
  private readonly roles = new Map<string, Account>();
  private defaultAccount: Account | undefined;
  private readonly clients = new Map<string, EC2Client>();
  /**
   * Scopes read at once, whatever number of discover() calls the pipeline makes: each reads pages of
   * 1,000 interfaces (about 36 MB of heap to parse one), so this bounds the memory discovery takes.
   */
  private readonly scans: Limiter;

  constructor(config: Config, ctx: ConnectorContext) {
    this.name = config.name;
    this.config = config;
    this.log = ctx.logger.child({ connector: config.name, vendor: 'aws' });
    this.concurrency = config.concurrency ?? 4;
    this.scans = new Limiter(this.concurrency);
    this.homeRegion = config.homeRegion ?? 'us-east-1';
    this.timeoutMs = config.requestTimeoutMs ?? 60_000;
    this.maxAttempts = config.endpoint ? 1 : 3;
    const setup = baseCredentials(config, ctx.env);
    this.base = shared(setup.base);
    this.secrets = setup.secrets;
    for (const role of config.accounts ?? []) {
      const id = role.roleArn.split(':')[4] as string;
      const sts = { region: this.homeRegion, maxAttempts: this.maxAttempts, requestTimeoutMs: this.timeoutMs, ...(config.endpoint ? { endpoint: config.endpoint } : {}) };
      this.roles.set(id, { id, credentials: assumedRole(role, this.base, sts) });
    }
    if (config.accountId) this.defaultAccount = { id: config.accountId, credentials: this.base };
  }

  async listScopes(signal: AbortSignal): Promise<Scope[]> {
    const accounts = this.roles.size > 0 ? [...this.roles.values()] : [await this.resolveDefaultAccount(signal)];
    const regions = await mapBounded(accounts, this.concurrency, (a) => this.regionsOf(a, signal));
    const scopes = accounts.flatMap((a, i) =>
      (regions[i] ?? []).map((region): Scope => ({ id: `${this.name}/aws/${a.id}/${region}`, connector: this.name, vendor: 'aws', account: a.id, region })),
    );
    return scopes.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  async discover(scope: Scope, signal: AbortSignal): Promise<ScanResult> {
    const collector = new ScanCollector(scope);
    if (scope.connector !== this.name || scope.vendor !== 'aws') return failedScan(`scope ${scope.id} does not belong to aws connector ${this.name}`);
    try {
      let account: Account | undefined;
      try {
        account = await this.account(scope.account, signal);
      } catch (e) {
        if (isAbort(e, signal)) throw e;
        return failedScan(describeError(e, this.secrets));
      }
      if (!account) return failedScan(`account ${scope.account} is not configured in aws connector ${this.name}`);
      // Credentials first: a role that cannot be assumed is one clear error, not one per call.
      try {
        await account.credentials();
      } catch (e) {
        if (isAbort(e, signal)) throw e;
        return failedScan(`credentials: ${describeError(e, this.secrets)}`);
      }
      const client = this.client(account, scope.region);
      return await this.scans.run(signal, () =>
        scanRegion({
          client,
          region: scope.region,
          collector,
          concurrency: this.concurrency,
          filter: this.config.tags,
          secrets: this.secrets,
          log: this.log.child({ scope: scope.id }),
          signal,
        }),
      );
    } catch (e) {
      if (isAbort(e, signal)) return failedScan('aborted');
      // Not an SDK error (a bug of ours): still a failed scope, never an exception for the pipeline.
      return failedScan(`unexpected: ${describeError(e, this.secrets)}`);
    }
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }

  private client(account: Account, region: string): EC2Client {
    const key = `${account.id}/${region}`;
    let c = this.clients.get(key);
    if (!c) {
      c = new EC2Client({
        region,
        credentials: account.credentials,
        maxAttempts: this.maxAttempts,
        retryMode: 'standard',
        requestHandler: { connectionTimeout: 5000, requestTimeout: this.timeoutMs, throwOnRequestTimeout: true },
        ...(this.config.endpoint ? { endpoint: this.config.endpoint } : {}),
      });
      this.clients.set(key, c);
    }
    return c;
  }

  private async account(id: string, signal: AbortSignal): Promise<Account | undefined> {
    if (this.roles.size > 0) return this.roles.get(id);
    const a = await this.resolveDefaultAccount(signal);
    return a.id === id ? a : undefined;
  }

  /** The default chain's account: configured, named by the credentials, or asked of STS (then remembered). */
  private async resolveDefaultAccount(signal: AbortSignal): Promise<Account> {
    if (this.defaultAccount) return this.defaultAccount;
    try {
      const creds = await this.base();
      const id =
        creds.accountId ??
        (await callerAccountId({
          credentials: this.base,
          region: this.homeRegion,
          timeoutMs: this.timeoutMs,
          signal,
          ...(this.config.endpoint ? { endpoint: this.config.endpoint } : {}),
        }));
      this.defaultAccount = { id, credentials: this.base };
      return this.defaultAccount;
    } catch (e) {
      throw new Error(`aws connector ${this.name}: cannot determine the account id (set accountId): ${describeError(e, this.secrets)}`, { cause: e });
    }
  }

  /**
   * Enabled regions matching the configuration. When DescribeRegions fails for one account, the other
   * accounts still get their scopes: this one gets the configured regions (or the catalogue's regions of
   * its partition that match), and each of those scans then fails with the account's real error, which
   * keeps their last good snapshots and shows the problem per scope.
   */
  private async regionsOf(account: Account, signal: AbortSignal): Promise<string[]> {
    const match = regionMatcher(this.config.regions);
    try {
      const { enabled, notOptedIn } = await enabledRegions(this.client(account, this.homeRegion), signal);
      for (const r of this.config.regions ?? []) {
        if (r.includes('*') || enabled.includes(r)) continue;
        const why = notOptedIn.includes(r) ? 'is not opted in (opt-in-status not-opted-in): enable it in the account to scan it' : 'is not enabled in this account';
        this.log.warn({ account: account.id, region: r }, `configured region ${why}; skipped`);
      }
      return enabled.filter(match).sort();
    } catch (e) {
      if (isAbort(e, signal)) throw e;
      const fallback = this.fallbackRegions(match);
      this.log.error({ account: account.id, err: describeError(e, this.secrets), regions: fallback }, 'DescribeRegions failed; scanning the configured regions');
      return fallback;
    }
  }

  private fallbackRegions(match: (r: string) => boolean): string[] {
    const patterns = this.config.regions ?? [];
    if (patterns.length > 0 && patterns.every((p) => !p.includes('*'))) return [...new Set(patterns)].sort();
    const partition = Object.values(regionGroups('aws')).find((rs) => rs.includes(this.homeRegion)) ?? [];
    return partition.filter(match).sort();
  }
}

export { configSchema, type Config } from './config.ts';

/** Throws when the configuration names an environment variable that is not set. */
export function create(config: Config, ctx: ConnectorContext): Connector {
  return new AwsConnector(config, ctx);
}
