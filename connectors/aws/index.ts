import type { Connector, ConnectorContext } from '../connector.ts';
import type { Config } from './config.ts';
import { AwsConnector } from './connector.ts';

export { configSchema, type Config } from './config.ts';

/** Throws when the configuration names an environment variable that is not set. */
export function create(config: Config, ctx: ConnectorContext): Connector {
  return new AwsConnector(config, ctx);
}
