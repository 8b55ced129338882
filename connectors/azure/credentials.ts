import { DefaultAzureCredential, type AccessToken, type TokenCredential } from '@azure/identity';
import type { Config } from './config.ts';
import { cloudSettings } from './cloud.ts';

/**
 * A bearer token read from an environment variable at each request, e.g. the output of
 * `az account get-access-token --query accessToken -o tsv`. The configuration names the variable only.
 * No network: the tests' fake accepts any token, and production users of this mode refresh it themselves.
 */
export class EnvTokenCredential implements TokenCredential {
  private readonly variable: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(variable: string, env: NodeJS.ProcessEnv) {
    this.variable = variable;
    this.env = env;
  }

  getToken(): Promise<AccessToken> {
    const token = this.env[this.variable]?.trim();
    if (!token) return Promise.reject(new Error(`environment variable ${this.variable} (tokenEnv) is not set or empty`));
    const exp = jwtExpiry(token);
    if (exp !== undefined && exp <= Date.now()) {
      // ARM would answer 401 ExpiredAuthenticationToken; saying so here names the variable to refresh.
      return Promise.reject(new Error(`the access token in ${this.variable} (tokenEnv) expired at ${new Date(exp).toISOString()}`));
    }
    // A token that is not a JWT has no expiry we can read: ask again in five minutes.
    return Promise.resolve({ token, expiresOnTimestamp: exp ?? Date.now() + 5 * 60_000 });
  }
}

/** The `exp` claim of a JWT in milliseconds, or undefined when the token is not a readable JWT. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (claims !== null && typeof claims === 'object' && 'exp' in claims && typeof claims.exp === 'number') return claims.exp * 1000;
  } catch {
    // not a JWT: no expiry known
  }
  return undefined;
}

/** The settings that choose a credential: the connector's, and the Storage Queue event source's. */
export type CredentialSettings = Pick<Config, 'tokenEnv' | 'cloud' | 'tenantId' | 'managedIdentityClientId'>;

/** tokenEnv when configured, else the standard chain (environment, workload identity, managed identity, Azure CLI…). */
export function credentialFor(config: CredentialSettings, env: NodeJS.ProcessEnv): TokenCredential {
  if (config.tokenEnv) return new EnvTokenCredential(config.tokenEnv, env);
  return new DefaultAzureCredential({
    authorityHost: cloudSettings(config.cloud).authorityHost,
    ...(config.tenantId ? { tenantId: config.tenantId } : {}),
    ...(config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : {}),
  });
}
