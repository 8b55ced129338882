import { z } from 'zod';
import { inventoryPath, inventorySection } from '../inventory.ts';

/**
 * The `azure` section of the shared inventory file (docs/inventory/azure.md): subscriptions, each with
 * its public IP address resources described with the field names the SDK model uses (flattened, as
 * @azure/arm-network v39 returns them). The fake nests them under `properties` on the wire, as ARM does.
 */

// Named parts become $defs in the JSON Schema; a local registry keeps these ids out of zod's global one,
// which the other vendors' schemas share.
export const named = z.registry<{ id?: string; description?: string }>();

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const guid = () => z.string().regex(GUID, 'must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)');

const subResource = z
  .strictObject({ id: z.string().min(1).register(named, { description: 'ARM resource id of the resource this address is bound to' }) })
  .register(named, { id: 'SubResource', description: 'A reference to another ARM resource, as {id}' });

const fault = z
  .strictObject({
    code: z.string().min(1).optional().register(named, { description: 'ARM error code answered, e.g. AuthorizationFailed, InternalServerError' }),
    status: z.number().int().min(400).max(599).optional().register(named, { description: 'HTTP status of the error answer (default from the code, else 500)' }),
    message: z.string().optional().register(named, { description: 'ARM error message (default: a generic one naming the code)' }),
    fromPage: z.number().int().min(1).max(100_000).optional().register(named, { description: 'First page of a listing the fault applies to (1, the default: the whole listing; 2+ on an error gives a partial scan)' }),
    delayMs: z.number().int().min(0).max(120_000).optional().register(named, { description: 'Added latency before each answer the fault applies to, in milliseconds' }),
  })
  .refine((f) => f.code !== undefined || f.status !== undefined || f.delayMs !== undefined, {
    message: 'a fault needs code/status (an error answer) or delayMs (slowness)',
  })
  .register(named, { id: 'Fault', description: 'A fault injected into every answer for this scope' });

const publicIPAddress = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/, 'must be an Azure resource name (1-80 letters, digits, _ . -)'),
    resourceGroup: z.string().regex(/^[-\w.()]{1,90}$/, 'must be a resource group name (1-90 letters, digits, _ . - ( ))'),
    location: z.string().min(1).register(named, { description: 'Region name as ARM spells it (eastus, westeurope…); not checked, so tests can feed odd values' }),
    ipAddress: z.string().optional().register(named, { description: 'The allocated address; absent for an unallocated Dynamic address. Not checked, so tests can feed malformed ones' }),
    publicIPAddressVersion: z.enum(['IPv4', 'IPv6']).optional().register(named, { description: 'Default: IPv6 when ipAddress contains ":", else IPv4' }),
    publicIPAllocationMethod: z.enum(['Static', 'Dynamic']).optional().register(named, { description: 'Default: Static' }),
    sku: z
      .strictObject({
        name: z.enum(['Basic', 'Standard', 'StandardV2']).optional().register(named, { description: 'Default: Standard' }),
        tier: z.enum(['Regional', 'Global']).optional().register(named, { description: 'Default: Regional; Global = anycast cross-region load balancer frontend' }),
      })
      .optional(),
    tags: z.record(z.string(), z.string()).optional(),
    zones: z.array(z.string()).optional(),
    ipConfiguration: subResource.optional(),
    natGateway: subResource.optional(),
    publicIPPrefix: subResource.optional(),
    dnsSettings: z.strictObject({ domainNameLabel: z.string().optional(), fqdn: z.string().optional() }).optional(),
    provisioningState: z.enum(['Succeeded', 'Updating', 'Deleting', 'Failed']).optional().register(named, { description: 'Default: Succeeded' }),
    idleTimeoutInMinutes: z.number().int().min(4).max(30).optional(),
  })
  .register(named, { id: 'PublicIPAddress', description: 'A Microsoft.Network/publicIPAddresses resource' });

const subscription = z
  .strictObject({
    displayName: z.string().optional(),
    state: z.enum(['Enabled', 'Warned', 'PastDue', 'Disabled', 'Deleted']).optional().register(named, { description: 'Default: Enabled' }),
    tenantId: guid().optional().register(named, { description: 'Default: the section tenantId' }),
    fault: fault.optional(),
    publicIPAddresses: z.array(publicIPAddress).optional(),
  })
  .register(named, { id: 'Subscription', description: 'One subscription, keyed by its id' });

export const azureInventorySchema = z
  .strictObject({
    tenantId: guid().optional().register(named, { description: 'Tenant the subscriptions belong to (default 00000000-0000-0000-0000-000000000000)' }),
    subscriptionsFault: fault.optional().register(named, { description: 'Fault for GET /subscriptions (listing subscriptions)' }),
    subscriptions: z.record(guid(), subscription),
  })
  .superRefine((inv, ctx) => {
    const seenSubs = new Map<string, string>();
    for (const [subId, sub] of Object.entries(inv.subscriptions)) {
      const lower = subId.toLowerCase();
      const prior = seenSubs.get(lower);
      if (prior !== undefined) ctx.addIssue({ code: 'custom', path: ['subscriptions', subId], message: `same subscription as "${prior}" (ids are case-insensitive)` });
      seenSubs.set(lower, subId);
      // ARM resource ids are unique and case-insensitive: a duplicate would be two resources with one id.
      const seenIds = new Map<string, number>();
      (sub.publicIPAddresses ?? []).forEach((p, i) => {
        const key = `${p.resourceGroup}/${p.name}`.toLowerCase();
        const first = seenIds.get(key);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['subscriptions', subId, 'publicIPAddresses', i, 'name'], message: `duplicate of publicIPAddresses[${first}] (same resource group and name)` });
        } else seenIds.set(key, i);
      });
    }
  })
  .register(named, { description: 'The azure section of the inventory file' });

export type AzureInventory = z.infer<typeof azureInventorySchema>;
export type InventoryPublicIp = NonNullable<AzureInventory['subscriptions'][string]['publicIPAddresses']>[number];
export type InventoryFault = z.infer<typeof fault>;


/**
 * Validates the azure section. Accepts the whole inventory (`{azure: {...}, aws: ...}`) or the section
 * itself (`{subscriptions: {...}}`). Throws one Error listing every problem with its path.
 */
export function parseAzureInventory(input: unknown): AzureInventory {
  const section = inventorySection(input, 'azure');
  const r = azureInventorySchema.safeParse(section);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      // zod reports a bad record key without the key's own message: say what a key must be.
      const msg = i.code === 'invalid_key' ? `subscription key ${JSON.stringify(String(i.path.at(-1)))} is not a subscription id (a GUID)` : i.message;
      return `  ${inventoryPath('azure', i.path)}: ${msg}`;
    });
    throw new Error(`invalid azure inventory:\n${lines.join('\n')}`);
  }
  return r.data;
}
