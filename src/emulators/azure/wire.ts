import { createHash } from 'node:crypto';
import type { InventoryPublicIp } from './inventory.ts';

/** What the SDK sees: ARM JSON, with a resource's own settings nested under `properties`. */

export const DEFAULT_TENANT = '00000000-0000-0000-0000-000000000000';

/** A stable GUID derived from a name, so etags and resourceGuids do not change between runs. */
function stableGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function publicIpId(subscriptionId: string, p: Pick<InventoryPublicIp, 'resourceGroup' | 'name'>): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${p.resourceGroup}/providers/Microsoft.Network/publicIPAddresses/${p.name}`;
}

export function publicIpToWire(subscriptionId: string, p: InventoryPublicIp): Record<string, unknown> {
  const id = publicIpId(subscriptionId, p);
  const properties: Record<string, unknown> = {
    provisioningState: p.provisioningState ?? 'Succeeded',
    resourceGuid: stableGuid(`guid:${id}`),
    publicIPAddressVersion: p.publicIPAddressVersion ?? (p.ipAddress?.includes(':') ? 'IPv6' : 'IPv4'),
    publicIPAllocationMethod: p.publicIPAllocationMethod ?? 'Static',
    idleTimeoutInMinutes: p.idleTimeoutInMinutes ?? 4,
    ipTags: [],
  };
  if (p.ipAddress !== undefined) properties['ipAddress'] = p.ipAddress;
  if (p.ipConfiguration) properties['ipConfiguration'] = { id: p.ipConfiguration.id };
  if (p.natGateway) properties['natGateway'] = { id: p.natGateway.id };
  if (p.publicIPPrefix) properties['publicIPPrefix'] = { id: p.publicIPPrefix.id };
  if (p.dnsSettings) properties['dnsSettings'] = { ...p.dnsSettings };
  const out: Record<string, unknown> = {
    name: p.name,
    id,
    etag: `W/"${stableGuid(`etag:${id}`)}"`,
    type: 'Microsoft.Network/publicIPAddresses',
    location: p.location,
    sku: { name: p.sku?.name ?? 'Standard', tier: p.sku?.tier ?? 'Regional' },
    properties,
  };
  if (p.tags) out['tags'] = { ...p.tags };
  if (p.zones) out['zones'] = [...p.zones];
  return out;
}

export function subscriptionToWire(
  subscriptionId: string,
  s: { displayName?: string | undefined; state?: string | undefined; tenantId?: string | undefined },
  defaultTenant: string,
): Record<string, unknown> {
  return {
    id: `/subscriptions/${subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId,
    tenantId: s.tenantId ?? defaultTenant,
    displayName: s.displayName ?? subscriptionId,
    state: s.state ?? 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
  };
}

/** ARM's error body: `{"error":{"code","message"}}`. */
export function armError(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/** HTTP status ARM answers with for the error codes the inventory's faults name most often. */
export function statusForCode(code: string): number {
  switch (code) {
    case 'AuthorizationFailed':
    case 'LinkedAuthorizationFailed':
    case 'Forbidden':
      return 403;
    case 'AuthenticationFailed':
    case 'InvalidAuthenticationToken':
    case 'ExpiredAuthenticationToken':
      return 401;
    case 'SubscriptionNotFound':
    case 'NotFound':
    case 'ResourceNotFound':
      return 404;
    case 'TooManyRequests':
    case 'SubscriptionRequestsThrottled':
      return 429;
    case 'ServiceUnavailable':
      return 503;
    case 'GatewayTimeout':
      return 504;
    default:
      return 500;
  }
}

const CODE_FOR_STATUS: Record<number, string> = {
  400: 'BadRequest',
  401: 'AuthenticationFailed',
  403: 'AuthorizationFailed',
  404: 'NotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

export function codeForStatus(status: number): string {
  return CODE_FOR_STATUS[status] ?? (status >= 500 ? 'InternalServerError' : 'BadRequest');
}
