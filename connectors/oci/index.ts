import type { Connector, ConnectorContext, ScanResult, Scope } from '../connector.ts';
import { regionMatcher } from '../shared/regions-filter.ts';
import { loadAuth, type OciAuth } from './credentials.ts';
import { regionClients } from './clients.ts';
import type { Config } from './config.ts';
import { describeError } from './errors.ts';
import { discoverRegion } from './discover.ts';
import { routeOciSdkLogging } from './sdk-log.ts';
import { failedScan } from '../shared/failed-scan.ts';

export { configSchema, type Config } from './config.ts';

const VENDOR = 'oci';

/**
 * OCI connector: one scope per subscribed (READY) region of the tenancy, `<name>/oci/<tenancy>/<region>`;
 * compartments and availability domains are walked inside the scope.
 */
export function create(config: Config, ctx: ConnectorContext): Connector {
  const concurrency = config.concurrency ?? 4;
  const matches = regionMatcher(config.regions);
  const log = ctx.logger.child({ connector: config.name, vendor: VENDOR });
  routeOciSdkLogging(ctx.logger);
  let auth: Promise<OciAuth> | undefined;

  // Credentials are read on first use, and read again after a failure (the file may have been fixed).
  const getAuth = (signal: AbortSignal): Promise<OciAuth> => {
    auth ??= loadAuth(config, ctx, signal).catch((e: unknown) => {
      auth = undefined;
      throw e;
    });
    return auth;
  };

  return {
    name: config.name,
    type: VENDOR,

    async listScopes(signal: AbortSignal): Promise<Scope[]> {
      const a = await getAuth(signal);
      let subscriptions;
      try {
        const { identity } = regionClients(a, a.homeRegion, config.endpoint, signal);
        subscriptions = (await identity.listRegionSubscriptions({ tenancyId: a.tenancy })).items;
      } catch (e) {
        throw new Error(`oci connector ${config.name}: listing the region subscriptions of ${a.tenancy}: ${describeError(e)}`);
      }
      const ready = subscriptions.filter((s) => s.status === 'READY').map((s) => s.regionName);
      const chosen = ready.filter(matches).sort();
      for (const pattern of config.regions ?? []) {
        if (!ready.some(regionMatcher([pattern]))) log.warn({ pattern, subscribed: ready }, 'regions pattern matches no subscribed READY region');
      }
      return chosen.map((region) => ({
        id: `${config.name}/${VENDOR}/${a.tenancy}/${region}`,
        connector: config.name,
        vendor: VENDOR,
        account: a.tenancy,
        region,
      }));
    },

    async discover(scope: Scope, signal: AbortSignal): Promise<ScanResult> {
      if (scope.connector !== config.name || scope.vendor !== VENDOR) return failedScan(`scope ${scope.id} does not belong to oci connector ${config.name}`);
      let a: OciAuth;
      try {
        a = await getAuth(signal);
      } catch (e) {
        return failedScan(describeError(e));
      }
      if (scope.account !== a.tenancy) return failedScan(`scope ${scope.id} is for tenancy ${scope.account}, but the credentials are for ${a.tenancy}`);
      return discoverRegion(scope, a, { endpoint: config.endpoint, concurrency, tags: config.tags }, signal);
    },

    async close(): Promise<void> {
      const a = auth;
      auth = undefined;
      if (a) await a.then((x) => x.close(), () => {});
    },
  };
}
