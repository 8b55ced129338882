import { access, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { Connector, ConnectorContext } from './connector.ts';
import * as aws from './aws/config.ts';
import * as azure from './azure/config.ts';
import * as file from './file/config.ts';
import * as gcp from './gcp/config.ts';
import * as oci from './oci/config.ts';
import { credentialHints } from './shared/credential-keys.ts';

const TYPES = ['file', 'aws', 'gcp', 'azure', 'oci'] as const;

/** Connector names end up in scope ids (`<name>/<vendor>/<account>/<region>`): no slashes, no spaces. */
const NAME = /^[a-z0-9][a-z0-9_-]*$/;

const SCHEMAS = { file: file.configSchema, aws: aws.configSchema, gcp: gcp.configSchema, azure: azure.configSchema, oci: oci.configSchema };
const KEYS = new Map(Object.entries(SCHEMAS).map(([type, schema]) => [type, new Set(Object.keys(schema.shape))]));

const union = z.discriminatedUnion('type', [file.configSchema, aws.configSchema, gcp.configSchema, azure.configSchema, oci.configSchema], {
  error: (iss) =>
    iss.code === 'invalid_union' ? `unknown connector type ${JSON.stringify((iss.input as { type?: unknown })?.type)} (one of ${TYPES.join(', ')})` : undefined,
});

export const connectorConfigSchema = z
  .preprocess(
    credentialHints((type) => (typeof type === 'string' ? KEYS.get(type) : undefined)),
    union,
  )
  .superRefine((c, ctx) => {
    if (!NAME.test(c.name)) ctx.addIssue({ code: 'custom', path: ['name'], message: 'lowercase letters, digits, - and _ (it becomes part of every scope id)' });
  });

export type ConnectorConfig = z.infer<typeof connectorConfigSchema>;

/**
 * Builds a connector. The vendor SDKs are large (seconds to load on a small machine), so each one is
 * imported only when a configured connector needs it.
 */
export async function createConnector(config: ConnectorConfig, ctx: ConnectorContext): Promise<Connector> {
  switch (config.type) {
    case 'file':
      return (await import('./file/index.ts')).create(config, ctx);
    case 'aws':
      return (await import('./aws/index.ts')).create(config, ctx);
    case 'gcp':
      return (await import('./gcp/index.ts')).create(config, ctx);
    case 'azure':
      return (await import('./azure/index.ts')).create(config, ctx);
    case 'oci':
      return (await import('./oci/index.ts')).create(config, ctx);
  }
}

/**
 * What `run` would refuse, or fail every scan of, found without calling the vendor: the connector is
 * built (credentials named by environment variable, key and config files are read) and closed again,
 * and a file connector's inventory must exist. Each problem comes back as a message for its key.
 */
export async function checkConnector(config: ConnectorConfig, ctx: ConnectorContext): Promise<string[]> {
  if (config.type === 'file') {
    const path = resolve(ctx.configDir, config.path);
    try {
      await access(path, constants.R_OK);
      return [];
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return [`path: ${path}: ${code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (code ?? 'cannot read')}`];
    }
  }
  try {
    const c = await createConnector(config, ctx);
    await c.close?.();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

export type { Connector, ConnectorContext, Scope, ScanResult, ScanStatus } from './connector.ts';
