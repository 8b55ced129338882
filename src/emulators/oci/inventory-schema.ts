// The zod schema of the inventory's oci section (the JSON Schema is generated from it).
import { z } from 'zod';

/** The operations the fake serves; faults can be limited to some of them. */
export const OPERATIONS = ['listRegionSubscriptions', 'listCompartments', 'listAvailabilityDomains', 'listPublicIps', 'listSubnets', 'listIpv6s'] as const;
export type Operation = (typeof OPERATIONS)[number];

const ocid = z
  .string()
  .regex(/^ocid1\.[a-z0-9]+\.[a-z0-9]+\.[a-z0-9-]*\.[^\s/?#.][^\s/?#]*$/, 'an OCID such as ocid1.compartment.oc1..aaaa…')
  .describe('OCID');
const freeformTags = z.record(z.string(), z.string()).describe('freeform tags, key → value');
const definedTags = z.record(z.string(), z.record(z.string(), z.unknown())).describe('defined tags, namespace → key → value');
const timeCreated = z.string().describe('RFC 3339 time; default 2024-01-02T03:04:05.678Z');

const faultFields = {
  status: z.int().min(400).max(599).optional().describe('HTTP status of the error answer; without it the fault only delays'),
  code: z.string().min(1).optional().describe('OCI error code (default from the status: 404 NotAuthorizedOrNotFound, 429 TooManyRequests, 500 InternalServerError…)'),
  message: z.string().optional().describe('error message'),
  delayMs: z.int().min(0).max(120_000).optional().describe('wait this long before answering'),
  operations: z.array(z.enum(OPERATIONS)).min(1).optional().describe('only these operations are affected (default all)'),
  times: z.int().min(1).optional().describe('only the first N matching requests are affected (a flaky service); default every one'),
};
const fault = z.object(faultFields).strict().describe('an injected failure or slowness');
const compartmentFault = z
  .object({ ...faultFields, regions: z.array(z.string()).min(1).optional().describe('only in these regions (default all)') })
  .strict()
  .describe('an injected failure or slowness for calls naming this compartment (or a subnet in it)');

const region = z
  .object({
    availabilityDomains: z
      .array(z.union([z.string().min(1), z.object({ name: z.string().min(1), id: ocid.optional() }).strict()]))
      .default([])
      .describe('availability domain names, e.g. Uocm:US-ASHBURN-AD-1'),
    status: z.enum(['READY', 'IN_PROGRESS']).default('READY').describe('region subscription status'),
    regionKey: z.string().regex(/^[A-Za-z]{3}$/).optional().describe('three-letter region key; default from the region catalogue'),
    fault: fault.optional(),
  })
  .strict();

const compartment = z
  .object({
    id: ocid,
    compartmentId: ocid.optional().describe('parent compartment; default the tenancy (root)'),
    name: z.string().min(1),
    description: z.string().default(''),
    lifecycleState: z.enum(['CREATING', 'ACTIVE', 'INACTIVE', 'DELETING', 'DELETED']).default('ACTIVE'),
    isAccessible: z.boolean().default(true).describe('false: hidden from accessLevel=ACCESSIBLE listings'),
    timeCreated: timeCreated.optional(),
    freeformTags: freeformTags.optional(),
    definedTags: definedTags.optional(),
    fault: compartmentFault.optional(),
  })
  .strict();

const publicIp = z
  .object({
    id: ocid.optional().describe('default ocid1.publicip.oc1.<region key>.<n>'),
    region: z.string().describe('a key of oci.regions (the API has no region field: the region is the endpoint)'),
    compartmentId: ocid.optional().describe('default the tenancy (root compartment)'),
    scope: z.enum(['REGION', 'AVAILABILITY_DOMAIN']).optional().describe('default AVAILABILITY_DOMAIN when availabilityDomain is set, else REGION'),
    lifetime: z.enum(['EPHEMERAL', 'RESERVED']),
    availabilityDomain: z.string().min(1).optional().describe('required for scope AVAILABILITY_DOMAIN'),
    lifecycleState: z.enum(['PROVISIONING', 'AVAILABLE', 'ASSIGNING', 'ASSIGNED', 'UNASSIGNING', 'UNASSIGNED', 'TERMINATING', 'TERMINATED']).default('ASSIGNED'),
    ipAddress: z.string().min(1).describe('returned as written, so tests can use non-canonical spellings'),
    assignedEntityType: z.enum(['PRIVATE_IP', 'NAT_GATEWAY']).optional(),
    assignedEntityId: ocid.optional(),
    privateIpId: ocid.optional(),
    displayName: z.string().optional(),
    publicIpPoolId: ocid.optional(),
    timeCreated: timeCreated.optional(),
    freeformTags: freeformTags.optional(),
    definedTags: definedTags.optional(),
  })
  .strict();

const subnet = z
  .object({
    id: ocid,
    region: z.string().describe('a key of oci.regions'),
    compartmentId: ocid.optional().describe('default the tenancy (root compartment)'),
    vcnId: ocid,
    displayName: z.string().optional(),
    cidrBlock: z.string().default('10.0.0.0/24'),
    ipv6CidrBlocks: z.array(z.string()).optional().describe('IPv6 prefixes; a subnet without one has no IPv6 addresses'),
    prohibitInternetIngress: z.boolean().default(false).describe('true: a private subnet'),
    prohibitPublicIpOnVnic: z.boolean().optional().describe('default prohibitInternetIngress'),
    availabilityDomain: z.string().optional().describe('only for AD-specific subnets'),
    lifecycleState: z.enum(['PROVISIONING', 'AVAILABLE', 'TERMINATING', 'TERMINATED', 'UPDATING']).default('AVAILABLE'),
    routeTableId: ocid.optional(),
    timeCreated: timeCreated.optional(),
    freeformTags: freeformTags.optional(),
    definedTags: definedTags.optional(),
  })
  .strict();

const ipv6 = z
  .object({
    id: ocid.optional().describe('default ocid1.ipv6.oc1.<region key>.<n>'),
    subnetId: ocid.describe('an id of oci.subnets'),
    region: z.string().optional().describe("must be the subnet's region when given"),
    compartmentId: ocid.optional().describe("default the subnet's compartment"),
    vnicId: ocid.optional(),
    ipAddress: z.string().min(1).describe('returned as written, so tests can use non-canonical spellings'),
    lifecycleState: z.enum(['PROVISIONING', 'AVAILABLE', 'TERMINATING', 'TERMINATED']).default('AVAILABLE'),
    ipState: z.enum(['ASSIGNED', 'AVAILABLE']).default('ASSIGNED'),
    lifetime: z.enum(['EPHEMERAL', 'RESERVED']).default('EPHEMERAL'),
    displayName: z.string().optional(),
    timeCreated: timeCreated.optional(),
    freeformTags: freeformTags.optional(),
    definedTags: definedTags.optional(),
  })
  .strict();

export const ociInventorySchema = z
  .object({
    tenancy: ocid.describe('tenancy OCID: the root compartment, and the only tenancy the fake accepts in signed key ids'),
    homeRegion: z.string().optional().describe('default the first key of regions'),
    regions: z.record(z.string(), region).describe('subscribed regions, by region name (us-ashburn-1)'),
    compartments: z.array(compartment).default([]).describe('the compartment tree below the root'),
    publicIps: z.array(publicIp).default([]),
    subnets: z.array(subnet).default([]).describe('subnets, listed per compartment; IPv6 addresses live in them'),
    ipv6: z.array(ipv6).default([]),
    apiKeys: z
      .array(z.string().includes('PUBLIC KEY', { message: 'a PEM public key (-----BEGIN PUBLIC KEY-----)' }))
      .optional()
      .describe('PEM public keys; when set, request signatures are verified and the key id fingerprint must be one of these'),
    fault: fault.optional().describe('a failure or slowness for every request'),
    unsupportedParams: z
      .array(z.string().min(1))
      .optional()
      .describe('optional query parameters (filters such as lifetime) this endpoint does not implement: a request naming one is answered 500 InternalServerError, as a partial implementation might'),
  })
  .strict()
  .describe('The oci section of the inventory: one tenancy for the OCI API fake.');

export type OciInventoryInput = z.input<typeof ociInventorySchema>;
export type OciInventory = z.output<typeof ociInventorySchema>;
export type Fault = z.output<typeof fault> & { regions?: string[] };
