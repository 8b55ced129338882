import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Config } from './config.ts';

/** Credentials the connector's clients sign with: the base identity, and one assumed role per account. */

export interface CredentialSetup {
  base: AwsCredentialIdentityProvider;
  /** Values that must never show in an error or log line (the static key, when read from the environment). */
  secrets: string[];
}

/** `what` names the owner in errors: the aws connector, or an aws-sqs event source with the same keys. */
export function baseCredentials(config: Pick<Config, 'name' | 'profile' | 'credentials'>, env: NodeJS.ProcessEnv, what = 'aws connector'): CredentialSetup {
  const c = config.credentials;
  if (c) {
    const read = (name: string, key: string) => {
      const v = env[name];
      if (v === undefined || v === '') throw new Error(`${what} "${config.name}": environment variable ${name} (credentials.${key}) is not set`);
      return v;
    };
    const identity: AwsCredentialIdentity = {
      accessKeyId: read(c.accessKeyIdEnv, 'accessKeyIdEnv'),
      secretAccessKey: read(c.secretAccessKeyEnv, 'secretAccessKeyEnv'),
      ...(c.sessionTokenEnv ? { sessionToken: read(c.sessionTokenEnv, 'sessionTokenEnv') } : {}),
    };
    const secrets = [identity.secretAccessKey, identity.accessKeyId, ...(identity.sessionToken ? [identity.sessionToken] : [])];
    return { base: () => Promise.resolve(identity), secrets };
  }
  if (config.profile) return { base: fromIni({ profile: config.profile }), secrets: [] };
  return { base: fromNodeProviderChain(), secrets: [] };
}

/**
 * Shares one set of credentials between every client of an account (one per region), refreshing five
 * minutes before expiry; concurrent callers wait for the same refresh instead of each calling STS.
 * A failure is not cached: the next call tries again.
 */
export function shared(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let current: AwsCredentialIdentity | undefined;
  let inflight: Promise<AwsCredentialIdentity> | undefined;
  const fresh = (c: AwsCredentialIdentity) => !c.expiration || c.expiration.getTime() - Date.now() > 5 * 60_000;
  return () => {
    if (current && fresh(current)) return Promise.resolve(current);
    inflight ??= provider()
      .then((c) => {
        current = c;
        return c;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
}

export interface RoleAccount {
  roleArn: string;
  externalId?: string;
  sessionName?: string;
}

/** AssumeRole into one account; errors name the role so a bad trust policy is easy to find. */
export function assumedRole(
  role: RoleAccount,
  base: AwsCredentialIdentityProvider,
  sts: { region: string; endpoint?: string; maxAttempts: number; requestTimeoutMs: number },
): AwsCredentialIdentityProvider {
  const provider = fromTemporaryCredentials({
    masterCredentials: base,
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: role.sessionName ?? 'origin-region-sync',
      DurationSeconds: 3600,
      ...(role.externalId ? { ExternalId: role.externalId } : {}),
    },
    clientConfig: {
      region: sts.region,
      maxAttempts: sts.maxAttempts,
      requestHandler: { connectionTimeout: 5000, requestTimeout: sts.requestTimeoutMs, throwOnRequestTimeout: true },
      ...(sts.endpoint ? { endpoint: sts.endpoint } : {}),
    },
  });
  return shared(async () => {
    try {
      return await provider();
    } catch (e) {
      if (e instanceof Error) e.message = `AssumeRole ${role.roleArn}: ${e.message}`;
      throw e;
    }
  });
}
