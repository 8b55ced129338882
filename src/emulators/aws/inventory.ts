import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { inventoryPath, inventorySection } from '../inventory.ts';

/**
 * The `aws` section of the shared inventory file: accounts → regions → resources, each resource described
 * with the field names the EC2 Query API puts on the wire (lowerCamel), so an inventory reads like a
 * DescribeX response. Tags are written as a map and served as `tagSet`. See docs/inventory/aws.md.
 */

/** Names and descriptions for the JSON Schema (a registry of its own: zod's global one is shared by every module). */
export const named = z.registry<{ id?: string; description?: string }>();

const REGION_NAME = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

const tags = z.record(z.string().min(1).max(128), z.string().max(256)).register(named, { description: 'Tags as a map; served as tagSet items' });

// Factories, not shared instances: a description registered on one use must not show on every other.
const ipv4 = () => z.string().refine((s) => ipaddr.IPv4.isValid(s), { error: 'not an IPv4 address' });
const ipv6 = () => z.string().refine((s) => ipaddr.IPv6.isValid(s), { error: 'not an IPv6 address (any spelling)' });

const association = z
  .object({
    publicIp: ipv4().register(named, { description: 'The public IPv4 address (auto-assigned or Elastic IP)' }),
    publicDnsName: z.string().optional(),
    ipOwnerId: z.string().optional().register(named, { description: '"amazon" for auto-assigned addresses, else the account id; default "amazon"' }),
    allocationId: z.string().optional().register(named, { description: 'Set when the address is an Elastic IP' }),
    associationId: z.string().optional(),
  })
  .strict()
  .register(named, { id: 'Association' });

const privateIpAddress = z
  .object({
    privateIpAddress: ipv4(),
    privateDnsName: z.string().optional(),
    association: association.optional(),
  })
  .strict()
  .register(named, { id: 'PrivateIpAddress' });

const ipv6Address = z
  .union([ipv6(), z.object({ ipv6Address: ipv6(), isPrimaryIpv6: z.boolean().optional() }).strict()])
  .register(named, { description: 'An IPv6 address, or {ipv6Address, isPrimaryIpv6}' });

const eniFields = {
  networkInterfaceId: z.string().regex(/^eni-[0-9a-zA-Z]+$/, { error: 'must look like eni-0123abcd' }),
  interfaceType: z
    .string()
    .optional()
    .register(named, { description: 'interface (default), network_load_balancer, natGateway, global_accelerator_managed, vpc_endpoint, lambda, …' }),
  description: z.string().optional(),
  status: z.enum(['available', 'associated', 'attaching', 'in-use', 'detaching']).optional(),
  availabilityZone: z.string().optional().register(named, { description: 'Default: the region followed by "a"' }),
  subnetId: z.string().optional(),
  vpcId: z.string().optional(),
  macAddress: z.string().optional(),
  privateIpAddress: ipv4().optional(),
  privateDnsName: z.string().optional(),
  requesterId: z.string().optional().register(named, { description: 'e.g. amazon-elb for load balancer interfaces' }),
  requesterManaged: z.boolean().optional(),
  association: association.optional().register(named, { description: 'The primary private IP\'s public IPv4 association' }),
  privateIpAddresses: z.array(privateIpAddress).optional().register(named, { description: 'Secondary private IPs with their associations' }),
  ipv6Addresses: z.array(ipv6Address).optional(),
  tags: tags.optional(),
};

const attachment = z
  .object({
    instanceId: z.string().optional(),
    instanceOwnerId: z.string().optional(),
    attachmentId: z.string().optional(),
    deviceIndex: z.number().int().min(0).optional(),
    status: z.enum(['attaching', 'attached', 'detaching', 'detached']).optional(),
  })
  .strict()
  .register(named, { id: 'Attachment' });

const networkInterface = z.object({ ...eniFields, attachment: attachment.optional() }).strict()
  .register(named, { id: 'NetworkInterface' });
/** An instance's interfaces: the attachment is implied by where they are written. */
const instanceInterface = z.object({ ...eniFields, deviceIndex: z.number().int().min(0).optional() }).strict()
  .register(named, { id: 'InstanceNetworkInterface' });

const instance = z
  .object({
    instanceId: z.string().regex(/^i-[0-9a-zA-Z]+$/, { error: 'must look like i-0123abcd' }),
    state: z.enum(['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped']).optional(),
    instanceType: z.string().optional(),
    imageId: z.string().optional(),
    availabilityZone: z.string().optional(),
    tags: tags.optional(),
    networkInterfaces: z
      .array(instanceInterface)
      .optional()
      .register(named, { description: 'Also listed by DescribeNetworkInterfaces, attached to this instance; the first is the primary (device 0)' }),
  })
  .strict()
  .register(named, { id: 'Instance' });

const address = z
  .object({
    publicIp: ipv4(),
    allocationId: z.string().optional().register(named, { description: 'Default: derived from the address' }),
    associationId: z.string().optional(),
    domain: z.enum(['vpc', 'standard']).optional(),
    instanceId: z.string().optional(),
    networkInterfaceId: z.string().optional(),
    networkInterfaceOwnerId: z.string().optional(),
    privateIpAddress: ipv4().optional(),
    networkBorderGroup: z.string().optional().register(named, { description: 'Default: the region' }),
    publicIpv4Pool: z.string().optional(),
    tags: tags.optional(),
  })
  .strict()
  .register(named, { id: 'Address' });

const fault = z
  .object({
    action: z.string().optional().register(named, { description: 'Only this action (e.g. DescribeInstances, AssumeRole); default every action' }),
    page: z.number().int().min(1).optional().register(named, { description: 'Only this page (1-based) of a paginated action' }),
    code: z.string().min(1).register(named, { description: 'The error code, e.g. UnauthorizedOperation, RequestLimitExceeded, InternalError' }),
    status: z.number().int().min(400).max(599).optional().register(named, { description: 'HTTP status; default from the code' }),
    message: z.string().optional().register(named, { description: 'Error message (default: the usual one for the code)' }),
  })
  .strict()
  .register(named, { id: 'Fault', description: 'An error answered instead of the result, in EC2 (or STS) error XML' });

const region = z
  .object({
    addresses: z.array(address).optional().register(named, { description: 'Elastic IPs (DescribeAddresses)' }),
    networkInterfaces: z
      .array(networkInterface)
      .optional()
      .register(named, { description: 'Interfaces not written under an instance: load balancers, NAT gateways, endpoints… (DescribeNetworkInterfaces)' }),
    instances: z.array(instance).optional().register(named, { description: 'Instances with their interfaces (DescribeInstances, DescribeTags)' }),
    faults: z.array(fault).optional().register(named, { description: 'Errors returned for requests signed for this region (the first that applies wins)' }),
    delayMs: z.number().int().min(0).max(600_000).optional().register(named, { description: 'Added latency for every request in this region' }),
  })
  .strict()
  .register(named, { id: 'Region' });

const account = z
  .object({
    regions: z
      .record(z.string().regex(REGION_NAME, { error: 'not an AWS region name' }), region)
      .register(named, { description: 'Enabled regions of the account (DescribeRegions lists exactly these) and their resources' }),
    roleArn: z.string().regex(ROLE_ARN, { error: 'not an IAM role ARN' }).optional().register(named, { description: 'The only role AssumeRole accepts; default any role of this account' }),
    externalId: z.string().optional().register(named, { description: 'ExternalId AssumeRole must present' }),
    disabledRegions: z
      .array(z.string().regex(REGION_NAME, { error: 'not an AWS region name' }))
      .optional()
      .register(named, { description: 'Opt-in regions not enabled: listed as not-opted-in by DescribeRegions with AllRegions=true' }),
    faults: z
      .array(fault)
      .optional()
      .register(named, { description: 'Errors for this account, after the region\'s own: AssumeRole into it, its GetCallerIdentity, every EC2 call' }),
    delayMs: z.number().int().min(0).max(600_000).optional().register(named, { description: 'Added latency for every request of this account' }),
  })
  .strict()
  .register(named, { id: 'Account' });

const quirks = z
  .object({
    unsupportedFilters: z
      .array(z.string().min(1))
      .optional()
      .register(named, { description: 'Filter names this endpoint does not implement: any request using one is answered HTTP 500 InternalError, as a third-party EC2 server did' }),
    emptyFields: z
      .boolean()
      .optional()
      .register(named, { description: 'Send absent members as empty elements (<publicIp></publicIp>, <nextToken></nextToken>) instead of leaving them out' }),
    listsDisabledRegions: z
      .boolean()
      .optional()
      .register(named, { description: 'DescribeRegions lists disabledRegions (opt-in-status not-opted-in) even without AllRegions=true' }),
    repeatsNextToken: z
      .boolean()
      .optional()
      .register(named, { description: 'From the second page on, answer with the NextToken the request sent instead of the next one: a server that would page for ever' }),
  })
  .strict()
  .register(named, { id: 'Quirks', description: 'Behaviours of other EC2 implementations, for testing that the connector copes' });

export const awsInventorySchema = z
  .object({
    accounts: z
      .record(z.string().regex(ACCOUNT_ID, { error: 'an account id is 12 digits' }), account)
      .register(named, { description: 'AWS accounts by 12-digit id' }),
    defaultAccount: z
      .string()
      .regex(ACCOUNT_ID)
      .optional()
      .register(named, { description: 'Account that long-term (non-assumed) credentials belong to; default the first account' }),
    quirks: quirks.optional(),
  })
  .strict()
  .superRefine((inv, ctx) => {
    if (inv.defaultAccount !== undefined && !(inv.defaultAccount in inv.accounts)) {
      ctx.addIssue({ code: 'custom', path: ['defaultAccount'], message: `account ${inv.defaultAccount} is not in accounts` });
    }
    for (const [id, acct] of Object.entries(inv.accounts)) {
      const m = acct.roleArn ? ROLE_ARN.exec(acct.roleArn) : null;
      if (m && m[1] !== id) ctx.addIssue({ code: 'custom', path: ['accounts', id, 'roleArn'], message: `role belongs to account ${m[1]}, not ${id}` });
      for (const [name, r] of Object.entries(acct.regions)) {
        const at = ['accounts', id, 'regions', name];
        const enis = new Set<string>();
        const dup = (eniId: string, path: (string | number)[]) => {
          if (enis.has(eniId)) ctx.addIssue({ code: 'custom', path, message: `network interface ${eniId} is listed twice in ${name}` });
          enis.add(eniId);
        };
        (r.networkInterfaces ?? []).forEach((n, i) => dup(n.networkInterfaceId, [...at, 'networkInterfaces', i, 'networkInterfaceId']));
        const instances = new Set<string>();
        (r.instances ?? []).forEach((inst, i) => {
          if (instances.has(inst.instanceId)) {
            ctx.addIssue({ code: 'custom', path: [...at, 'instances', i, 'instanceId'], message: `instance ${inst.instanceId} is listed twice in ${name}` });
          }
          instances.add(inst.instanceId);
          (inst.networkInterfaces ?? []).forEach((n, j) => dup(n.networkInterfaceId, [...at, 'instances', i, 'networkInterfaces', j, 'networkInterfaceId']));
        });
      }
    }
  });

awsInventorySchema.register(named, { description: 'The aws section of the inventory file' });

export type AwsInventory = z.infer<typeof awsInventorySchema>;
export type InventoryAddress = z.infer<typeof address>;
export type InventoryInterface = z.infer<typeof networkInterface>;
export type InventoryInstance = z.infer<typeof instance>;
export type InventoryFault = z.infer<typeof fault>;
export type InventoryRegion = z.infer<typeof region>;
export type InventoryAccount = z.infer<typeof account>;
export type InventoryQuirks = z.infer<typeof quirks>;


/**
 * Validates the `aws` section. Accepts the whole inventory object (with its `aws` key) or the section
 * itself; every problem is reported with its path.
 */
export function parseAwsInventory(input: unknown): AwsInventory {
  const section = inventorySection(input, 'aws');
  const r = awsInventorySchema.safeParse(section);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 20).map((i) => {
      // zod reports a bad record key without saying what a key must be.
      const key = JSON.stringify(String(i.path.at(-1)));
      const msg = i.code === 'invalid_key' ? `${key} is not ${i.path.at(-2) === 'accounts' ? 'an account id (12 digits)' : 'an AWS region name'}` : i.message;
      return `${inventoryPath('aws', i.path)}: ${msg}`;
    });
    if (r.error.issues.length > 20) lines.push(`… and ${r.error.issues.length - 20} more`);
    throw new Error(`invalid aws inventory:\n  ${lines.join('\n  ')}`);
  }
  return r.data;
}
