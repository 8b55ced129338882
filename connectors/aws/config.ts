import { z } from 'zod';

/**
 * Configuration of an `aws` connector. Credentials never appear here: production uses the AWS SDK's
 * default credential chain (or a named profile), and `credentials` only names the environment variables
 * that hold a key, for the fakes and for CI.
 */

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ACCESS_KEY_ID = /^(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}$/;
const SECRET_LIKE = /^[A-Za-z0-9/+=]{40}$/;

/** The name of an environment variable, refusing values that look like the secret itself. */
const envVarName = z
  .string()
  .regex(ENV_NAME, { error: 'must be the name of an environment variable (letters, digits, _), not a credential' })
  .refine((s) => !ACCESS_KEY_ID.test(s) && !(SECRET_LIKE.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s) && /\d/.test(s)), {
    error: 'looks like a credential: write the name of the environment variable that holds it',
  });

const INLINE_SECRET_KEYS = ['accessKeyId', 'secretAccessKey', 'sessionToken', 'secret', 'password', 'token', 'key'];

/** An unknown key, named; one that looks like an inline secret, with where AWS credentials come from instead. */
export function keyError(iss: { code: string; keys?: string[] }): string | undefined {
  if (iss.code !== 'unrecognized_keys' || !iss.keys) return undefined;
  const secret = iss.keys.find((k) => INLINE_SECRET_KEYS.includes(k));
  if (secret) {
    return `"${secret}": credentials are never written in the config file; use the default credential chain, "profile", or "credentials" naming environment variables`;
  }
  return `unknown key(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}`;
}

export const configSchema = z
  .strictObject(
    {
      name: z.string().min(1),
      type: z.literal('aws'),
      accountId: z
        .string()
        .regex(/^\d{12}$/, { error: 'an AWS account id is 12 digits' })
        .optional()
        .describe('Id of the default-chain account; when absent it comes from the credentials or STS GetCallerIdentity'),
      accounts: z
        .array(
          z.strictObject({
            roleArn: z.string().regex(ROLE_ARN, { error: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)' }),
            externalId: z.string().min(2).max(1224).optional(),
            sessionName: z
              .string()
              .regex(/^[\w+=,.@-]{2,64}$/, { error: 'a role session name is 2-64 of letters, digits and +=,.@-_' })
              .optional(),
          }),
        )
        .min(1)
        .optional()
        .describe('Roles to assume, one per account; the account id comes from each role ARN'),
      regions: z.array(z.string().min(1)).min(1).optional().describe('Region names or wildcards (eu-*); default every enabled region'),
      homeRegion: z
        .string()
        .regex(/^[a-z]{2,4}(-[a-z]+)+-\d+$/, { error: 'not an AWS region name' })
        .optional()
        .describe('Region for DescribeRegions and STS (default us-east-1; cn-north-1 for China, us-gov-west-1 for GovCloud)'),
      tags: z.record(z.string(), z.string()).optional().describe('Include filter on tags ("*" matches any value)'),
      concurrency: z.number().int().min(1).max(64).optional(),
      endpoint: z.url({ protocol: /^https?$/ }).optional().describe('Send EC2 and STS calls here (the fake); SDK retries are off'),
      requestTimeoutMs: z.number().int().min(100).max(300_000).optional().describe('Per-request timeout (default 60000)'),
      profile: z.string().min(1).optional().describe('A named profile of the shared AWS config files'),
      credentials: z
        .strictObject({
          accessKeyIdEnv: envVarName,
          secretAccessKeyEnv: envVarName,
          sessionTokenEnv: envVarName.optional(),
        })
        .optional()
        .describe('Names of environment variables holding a key (fakes, CI); default the SDK credential chain'),
    },
    { error: keyError },
  )
  .superRefine((c, ctx) => {
    if (c.accountId !== undefined && c.accounts !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['accountId'], message: 'accountId names the default-chain account; with accounts each id comes from its roleArn' });
    }
    if (c.profile !== undefined && c.credentials !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['profile'], message: 'give either profile or credentials, not both' });
    }
    const seen = new Set<string>();
    c.accounts?.forEach((a, i) => {
      const id = a.roleArn.split(':')[4] ?? '';
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'roleArn'], message: `account ${id} is listed twice` });
      seen.add(id);
    });
  });

export type Config = z.infer<typeof configSchema>;
