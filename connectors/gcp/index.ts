import type { Connector, ConnectorContext } from '../connector.ts';
import { configSchema, type Config } from './config.ts';
import { GcpConnector } from './connector.ts';

export { configSchema, type Config };

export function create(config: Config, ctx: ConnectorContext): Connector {
  return new GcpConnector(configSchema.parse(config), ctx);
}
