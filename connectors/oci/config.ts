import { z } from 'zod';

// Anything that looks like key material or a signed token must never sit in a config file: the OCI config
// file (`key_file`) or the instance's own identity holds it.
const SECRET_LOOKING = /-----BEGIN|PRIVATE KEY|^ST\$/;

function isEndpoint(value: string): boolean {
  try {
    // `{region}` is the one placeholder; URL() would percent-encode it, so test the rest of the URL.
    const u = new URL(value.replaceAll('{region}', 'region'));
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && u.search === '' && u.hash === '';
  } catch {
    return false;
  }
}

/**
 * One OCI tenancy. Production credentials come from the OCI config file (`auth: config-file`, the default:
 * `configFile`, else $OCI_CONFIG_FILE, else ~/.oci/config; `profile`, else $OCI_CLI_PROFILE, else DEFAULT)
 * or from the instance's identity (`auth: instance-principal`). The config names where credentials are,
 * never holds them.
 */
export const configSchema = z
  .object({
    name: z.string().min(1),
    type: z.literal('oci'),
    auth: z.enum(['config-file', 'instance-principal']).optional().describe('where the tenancy and signing key come from (default config-file)'),
    configFile: z
      .string()
      .min(1)
      .refine((v) => !SECRET_LOOKING.test(v), 'configFile is the path of an OCI config file, not key material')
      .optional()
      .describe('path of the OCI config file; relative to the configuration file; ~ is the home folder'),
    profile: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]{1,100}$/, 'profile is the name of a [section] of the OCI config file')
      .optional(),
    regions: z
      .array(z.string().regex(/^[a-z0-9*-]+$/, 'a region name such as us-ashburn-1, or a pattern such as eu-*'))
      .min(1)
      .optional()
      .describe('subscribed regions to discover; shell wildcards allowed; default every subscribed region'),
    tags: z.record(z.string(), z.string()).optional().describe('include filter on freeform tags and defined tags (namespace.key)'),
    concurrency: z.int().min(1).max(64).optional().describe('OCI calls in flight at once within one scope (default 4)'),
    endpoint: z
      .string()
      .refine(isEndpoint, 'endpoint is an http(s) URL without credentials, query or fragment; {region} is replaced by the region')
      .optional()
      .describe('base URL of an OCI API fake, e.g. http://127.0.0.1:8080/{region}; turns SDK retries and circuit breaker off'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.auth === 'instance-principal') {
      for (const key of ['configFile', 'profile'] as const) {
        if (c[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} only applies to auth: config-file` });
      }
    }
  });

export type Config = z.infer<typeof configSchema>;
