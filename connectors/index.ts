import { z } from 'zod';
import type { Connector, ConnectorContext } from './connector.ts';
import * as file from './file/index.ts';

/** Every connector type the configuration accepts, by its `type`. */
const types = { file } as const;

export const connectorConfigSchema = z.discriminatedUnion('type', [file.configSchema], {
  error: (iss) =>
    iss.code === 'invalid_union' ? `unknown connector type ${JSON.stringify((iss.input as { type?: unknown })?.type)} (one of ${Object.keys(types).join(', ')})` : undefined,
});

export type ConnectorConfig = z.infer<typeof connectorConfigSchema>;

export function createConnector(config: ConnectorConfig, ctx: ConnectorContext): Connector {
  switch (config.type) {
    case 'file':
      return types.file.create(config, ctx);
  }
}

export type { Connector, ConnectorContext, Scope, ScanResult, ScanStatus } from './connector.ts';
