import type { Connector, ConnectorContext } from '../connector.ts';
import type { Config } from './config.ts';
import { AzureConnector } from './connector.ts';

export { configSchema, type Config } from './config.ts';

export function create(config: Config, ctx: ConnectorContext): Connector {
  return new AzureConnector(config, ctx);
}
