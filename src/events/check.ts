import { access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ConnectorContext } from '../../connectors/connector.ts';
import type { EventSourceConfig } from './sources.ts';

/**
 * What `validate` can tell of an event source without calling the vendor: the environment variables and
 * files its credentials are named by. The sources themselves read them only when they start (so a fixed
 * variable or a rotated file needs no rebuild), which is why this is checked here, up front.
 */
export async function checkEventSource(s: EventSourceConfig, ctx: ConnectorContext): Promise<string[]> {
  const issues: string[] = [];
  const envSet = (key: string, name: string | undefined) => {
    if (name !== undefined && !ctx.env[name]) issues.push(`${key}: environment variable ${name} is not set`);
  };
  const readable = async (key: string, file: string | undefined) => {
    if (file === undefined) return;
    const path = resolve(ctx.configDir, file);
    try {
      await access(path, constants.R_OK);
    } catch (err) {
      issues.push(`${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  switch (s.type) {
    case 'azure-storage-queue':
      envSet('connectionStringEnv', s.connectionStringEnv);
      envSet('accountKeyEnv', s.accountKeyEnv);
      envSet('tokenEnv', s.tokenEnv);
      await readable('connectionStringFile', s.connectionStringFile);
      break;
    case 'gcp-pubsub':
      await readable('credentials.keyFile', s.credentials?.keyFile);
      break;
    case 'oci-streaming':
      if (s.auth !== 'instance-principal') {
        // The OCI config file as the SDK finds it: configFile, else $OCI_CONFIG_FILE, else ~/.oci/config.
        const raw = s.configFile ?? ctx.env.OCI_CONFIG_FILE ?? '~/.oci/config';
        await readable('configFile', raw === '~' || raw.startsWith('~/') ? join(homedir(), raw.slice(1)) : raw);
      }
      break;
    default:
      break;
  }
  return issues;
}
