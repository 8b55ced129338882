import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import * as common from 'oci-common';
import type { ConnectorContext } from '../connector.ts';
import type { Config } from './config.ts';
import { describeError, redact } from './errors.ts';

/** The signing identity of one connector, shared by every client it creates. */
export interface OciAuth {
  provider: common.AuthenticationDetailsProvider;
  tenancy: string;
  /** Region of the credentials (config file `region`, or the instance's region): tenancy-level calls go there. */
  homeRegion: string;
  close(): void;
}

export function configFilePath(config: Config, ctx: ConnectorContext): string {
  const raw = config.configFile ?? ctx.env['OCI_CONFIG_FILE'] ?? '~/.oci/config';
  const expanded = raw === '~' || raw.startsWith('~/') ? homedir() + raw.slice(1) : raw;
  // Only a path from the connector config is relative to the config file; an env value is relative to the cwd.
  if (config.configFile !== undefined && !isAbsolute(expanded)) return resolve(ctx.configDir, expanded);
  return expanded;
}

// The config file reader quotes the offending line in some messages; that line may hold a passphrase.
function configFileProblem(e: unknown): string {
  const text = describeError(e).replace(/For more info about config file[\s\S]*$/, '').trim();
  if (/^(Found line with no key|Cannot have empty profile name|Config parse error)/.test(text)) {
    return 'not a valid OCI config file (every line must be key=value inside a [PROFILE] section)';
  }
  if (/^Failed to read private key/.test(text)) return 'key_file cannot be read';
  return redact(text);
}

export async function loadAuth(config: Config, ctx: ConnectorContext, signal: AbortSignal): Promise<OciAuth> {
  if (config.auth === 'instance-principal') return instancePrincipal(signal);
  const path = configFilePath(config, ctx);
  const profile = config.profile ?? ctx.env['OCI_CLI_PROFILE'] ?? 'DEFAULT';
  let provider: common.ConfigFileAuthenticationDetailsProvider;
  try {
    provider = new common.ConfigFileAuthenticationDetailsProvider(path, profile);
    // The SDK parses the key lazily, in every client constructor; parse it once here so a bad key or
    // passphrase is reported as a config problem, not as a failure of the first region.
    new common.DefaultRequestSigner(provider);
  } catch (e) {
    throw new Error(`OCI config file ${path} [${profile}]: ${configFileProblem(e)}`);
  }
  const region = provider.getRegion();
  return { provider, tenancy: provider.getTenantId(), homeRegion: region.regionId, close: () => {} };
}

async function instancePrincipal(signal: AbortSignal): Promise<OciAuth> {
  const builder = new common.InstancePrincipalsAuthenticationDetailsProviderBuilder();
  let provider: Awaited<ReturnType<typeof builder.build>>;
  try {
    // The metadata service only answers on an OCI instance; elsewhere build() waits for a connect timeout.
    provider = await abortable(builder.build(), signal);
  } catch (e) {
    throw new Error(`OCI instance principal: ${describeError(e)}`);
  }
  return {
    provider,
    tenancy: builder.tenancyId,
    homeRegion: provider.getRegion().regionId,
    close: () => provider.closeProvider(),
  };
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((res, rej) => {
    const onAbort = () => rej(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        res(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        rej(e instanceof Error ? e : new Error(describeError(e)));
      },
    );
  });
}
