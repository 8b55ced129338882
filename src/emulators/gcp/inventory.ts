import { z } from 'zod';
import { inventoryPath, inventorySection } from '../inventory.ts';

/*
 * The `gcp` section of the shared inventory file (docs/inventory/gcp.md): per project, the compute
 * resources the fake serves, each written as the compute API returns it. Two conveniences replace the
 * API's URLs: `region` (a name, or "global") on addresses and forwarding rules, `zone` (a name) on
 * instances. Items are open objects: any other field of the API resource may be written and is served
 * as given, so a real `gcloud ... --format=json` item pastes in. Addresses are not validated as IPs on
 * purpose: the connector is tested against the odd spellings an API can return.
 */

const name = z.string().regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'a compute resource name: lowercase letters, digits and hyphens, starting with a letter');
const region = z
  .string()
  .regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, 'a region name such as "us-central1", or "global"')
  .describe('Region name (us-central1), or "global" for a global resource (served under the `global` scope key).');
const zone = z
  .string()
  .regex(/^[a-z][a-z0-9-]*-[a-z0-9]+$/, 'a zone name such as "us-central1-a"')
  .describe('Zone name (us-central1-a); its region is the name without the last "-suffix".');
const labels = z.record(z.string(), z.string()).describe('GCP labels: the tags the connector filters on.');
const networkTier = z.enum(['PREMIUM', 'STANDARD', 'FIXED_STANDARD', 'STANDARD_OVERRIDES_FIXED_STANDARD']);
const ipVersion = z.enum(['IPV4', 'IPV6']);
const listKind = z.enum(['addresses', 'instances', 'forwardingRules']);

export const addressSchema = z
  .looseObject({
    name,
    region,
    address: z.string().min(1).describe('The reserved IP, as the API spells it (IPv6: the first address of the range).'),
    addressType: z.enum(['EXTERNAL', 'INTERNAL']).optional().describe('Default EXTERNAL.'),
    ipVersion: ipVersion.optional().describe('Default IPV6 when the address contains ":", else IPV4.'),
    prefixLength: z.number().int().min(0).max(128).optional(),
    status: z.enum(['RESERVING', 'RESERVED', 'IN_USE']).optional().describe('Default IN_USE when `users` is set, else RESERVED.'),
    networkTier: networkTier.optional().describe('Default PREMIUM.'),
    labels: labels.optional(),
    users: z.array(z.string()).optional(),
    purpose: z.string().optional(),
    description: z.string().optional(),
  })
  .describe('compute#address');

const accessConfig = z
  .looseObject({
    type: z.string().optional().describe('Default ONE_TO_ONE_NAT.'),
    name: z.string().optional().describe('Default "External NAT".'),
    natIP: z.string().min(1).optional().describe('The external IPv4 (absent: a stopped instance with an ephemeral address).'),
    networkTier: networkTier.optional(),
  })
  .describe('compute#accessConfig');

const ipv6AccessConfig = z
  .looseObject({
    type: z.string().optional().describe('Default DIRECT_IPV6.'),
    name: z.string().optional().describe('Default "external-ipv6".'),
    externalIpv6: z.string().min(1).optional(),
    externalIpv6PrefixLength: z.number().int().min(0).max(128).optional().describe('Default 96.'),
    networkTier: networkTier.optional(),
  })
  .describe('compute#accessConfig (IPv6)');

const networkInterface = z
  .looseObject({
    name: z.string().optional().describe('Default nic<index>.'),
    networkIP: z.string().optional().describe('Internal IPv4: never an origin.'),
    stackType: z.enum(['IPV4_ONLY', 'IPV4_IPV6', 'IPV6_ONLY']).optional(),
    accessConfigs: z.array(accessConfig).optional(),
    ipv6AccessConfigs: z.array(ipv6AccessConfig).optional(),
  })
  .describe('compute#networkInterface');

export const instanceSchema = z
  .looseObject({
    name,
    zone,
    status: z
      .enum(['PROVISIONING', 'STAGING', 'RUNNING', 'STOPPING', 'STOPPED', 'SUSPENDING', 'SUSPENDED', 'REPAIRING', 'TERMINATED'])
      .optional()
      .describe('Default RUNNING.'),
    labels: labels.optional(),
    networkInterfaces: z.array(networkInterface).optional(),
  })
  .describe('compute#instance');

export const forwardingRuleSchema = z
  .looseObject({
    name,
    region,
    IPAddress: z.string().min(1).describe('The frontend IP, as the API spells it.'),
    loadBalancingScheme: z
      .enum(['EXTERNAL', 'EXTERNAL_MANAGED', 'INTERNAL', 'INTERNAL_MANAGED', 'INTERNAL_SELF_MANAGED', ''])
      .optional()
      .describe('Default EXTERNAL; "" is what a Private Service Connect endpoint has.'),
    IPProtocol: z.string().optional().describe('Default TCP.'),
    portRange: z.string().optional(),
    ipVersion: ipVersion.optional(),
    networkTier: networkTier.optional().describe('Default PREMIUM.'),
    labels: labels.optional(),
    target: z.string().optional(),
  })
  .describe('compute#forwardingRule');

export const faultsSchema = z
  .object({
    error: z
      .object({
        status: z.number().int().min(400).max(599).describe('HTTP status of the error answer (403, 404, 429, 500, 503…).'),
        message: z.string().optional().describe('Default: a message in the API\u2019s words for that status.'),
        reason: z.string().optional().describe('errors[0].reason; default from the status (forbidden, notFound, rateLimitExceeded, backendError…).'),
        lists: z.array(listKind).min(1).optional().describe('Only these aggregated lists fail (default: all three).'),
        afterPages: z.number().int().min(0).optional().describe('Serve this many pages normally, then fail (default 0: the first request fails).'),
      })
      .strict()
      .optional(),
    unreachable: z
      .array(region)
      .optional()
      .describe('Regions answered with an UNREACHABLE warning in every aggregated list (their items are withheld).'),
    delayMs: z.number().int().min(0).max(600_000).optional().describe('Every answer for this project waits this long.'),
  })
  .strict()
  .describe('Faults injected for this project.');

export const projectSchema = z
  .object({
    addresses: z.array(addressSchema).default([]),
    instances: z.array(instanceSchema).default([]),
    forwardingRules: z.array(forwardingRuleSchema).default([]),
    faults: faultsSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    // The API keeps names unique per kind and location; two items sharing one would be one resource.
    const check = (kind: string, items: readonly { name: string }[], where: (i: number) => string) => {
      const seen = new Map<string, number>();
      items.forEach((item, i) => {
        const key = `${where(i)}/${item.name}`;
        const first = seen.get(key);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: [kind, i, 'name'], message: `duplicate name "${item.name}" in ${where(i)} (first at ${kind}[${first}])` });
        else seen.set(key, i);
      });
    };
    check('addresses', p.addresses, (i) => p.addresses[i]?.region ?? '');
    check('instances', p.instances, (i) => p.instances[i]?.zone ?? '');
    check('forwardingRules', p.forwardingRules, (i) => p.forwardingRules[i]?.region ?? '');
  });

export const gcpInventorySchema = z
  .object({
    projects: z
      .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.:_-]*$/, 'a project id'), projectSchema)
      .describe('Project id → the compute resources of that project.'),
  })
  .strict()
  .describe('The gcp section of the cloud-fakes inventory file.');

export type GcpInventory = z.infer<typeof gcpInventorySchema>;
export type GcpProject = z.infer<typeof projectSchema>;
export type GcpAddress = z.infer<typeof addressSchema>;
export type GcpInstance = z.infer<typeof instanceSchema>;
export type GcpForwardingRule = z.infer<typeof forwardingRuleSchema>;
export type ListKind = z.infer<typeof listKind>;

export class GcpInventoryError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid gcp inventory:\n${issues.map((i) => `  ${i}`).join('\n')}`);
    this.name = 'GcpInventoryError';
    this.issues = issues;
  }
}

/**
 * Accepts the whole inventory (`{gcp: {...}, aws: ...}`) or just its gcp section (`{projects: ...}`),
 * validates it, and names the path of every problem (`gcp.projects.shop-prod.addresses[2].address`).
 */
export function parseGcpInventory(input: unknown): GcpInventory {
  let section: unknown;
  try {
    section = inventorySection(input, 'gcp');
  } catch (e) {
    throw new GcpInventoryError([(e as Error).message]);
  }
  const r = gcpInventorySchema.safeParse(section);
  if (!r.success) throw new GcpInventoryError(r.error.issues.map((i) => `${inventoryPath('gcp', i.path)}: ${i.message}`));
  return r.data;
}

