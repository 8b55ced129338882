import { z } from 'zod';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Keys people reach for when they paste a credential into a config file: refused with a pointer. */
const SECRET_KEYS = /secret|password|token$|^token|accesstoken|credential|certificate|privatekey|key$/i;

export const configSchema = z.strictObject(
  {
    name: z.string().min(1),
    type: z.literal('azure'),
    /** Subscription ids, or `['*']` for every subscription the credential can see (listed through ARM). */
    subscriptions: z
      .array(z.string())
      .min(1)
      .superRefine((subs, ctx) => {
        if (subs.includes('*')) {
          if (subs.length > 1) ctx.addIssue({ code: 'custom', message: "'*' (every visible subscription) cannot be combined with subscription ids" });
          return;
        }
        subs.forEach((s, i) => {
          if (!GUID.test(s)) ctx.addIssue({ code: 'custom', path: [i], message: `"${s.slice(0, 40)}" is not a subscription id (a GUID) or '*'` });
        });
        const lower = subs.map((s) => s.toLowerCase());
        if (new Set(lower).size !== lower.length) ctx.addIssue({ code: 'custom', message: 'a subscription is listed twice' });
      }),
    /** Location filter with wildcards (`east*`, `westeurope`); addresses elsewhere are not origins of this connector. */
    regions: z.array(z.string().min(1)).min(1).optional(),
    /** Include filter on the resources' own Azure tags (`{cf-origin: "true"}`; `*` = any value). */
    tags: z.record(z.string(), z.string()).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    /** ARM base URL; set only to point at a fake or a private endpoint (SDK retries are then off). */
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** Sovereign cloud: sets the ARM endpoint, token audience and login authority (default AzurePublicCloud). */
    cloud: z.enum(['AzurePublicCloud', 'AzureChinaCloud', 'AzureUSGovernment']).optional(),
    /** PEM file of the CA(s) to trust for ARM requests instead of the system store (a fake's self-signed certificate). */
    caFile: z.string().min(1).optional(),
    /**
     * Name of an environment variable holding an ARM access token (e.g. from `az account get-access-token`),
     * used instead of DefaultAzureCredential. The name, never the token.
     */
    tokenEnv: z
      .string()
      .max(128)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'tokenEnv is the NAME of an environment variable (letters, digits, _), not a token')
      .refine((v) => !/^eyJ/.test(v), 'tokenEnv looks like a token itself: put the token in an environment variable and give its name here')
      .optional(),
    /** Passed to DefaultAzureCredential: the tenant to authenticate in, and a user-assigned managed identity. */
    tenantId: z.string().regex(GUID, 'tenantId must be a GUID').optional(),
    managedIdentityClientId: z.string().regex(GUID, 'managedIdentityClientId must be a GUID').optional(),
  },
  {
    error: (iss) => {
      if (iss.code !== 'unrecognized_keys') return undefined;
      const secret = iss.keys.filter((k) => SECRET_KEYS.test(k));
      if (secret.length > 0) {
        return (
          `${secret.join(', ')}: credentials never go in the configuration file. Production uses DefaultAzureCredential ` +
          '(environment, workload/managed identity, Azure CLI); or put a token in an environment variable and name it with tokenEnv'
        );
      }
      return `unknown key(s) ${iss.keys.join(', ')}`;
    },
  },
);

export type Config = z.infer<typeof configSchema>;
