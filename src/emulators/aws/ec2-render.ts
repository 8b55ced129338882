import type { InventoryAddress, InventoryInstance } from './inventory.ts';
import { el, set, tagSet } from './xml.ts';
import type { Eni } from './world.ts';

/** XML for the EC2 shapes the connector reads, member names as in the SDK's schema (lowerCamel). */

function publicDnsName(ip: string, region: string): string {
  const host = `ec2-${ip.replaceAll('.', '-')}`;
  return region === 'us-east-1' ? `${host}.compute-1.amazonaws.com` : `${host}.${region}.compute.amazonaws.com`;
}

export function defaultAllocationId(ip: string): string {
  return `eipalloc-${ip
    .split('.')
    .map((p) => Number(p).toString(16).padStart(2, '0'))
    .join('')}`;
}

interface Association {
  publicIp: string;
  publicDnsName?: string;
  ipOwnerId?: string;
  allocationId?: string;
  associationId?: string;
}

function association(a: Association | undefined, region: string): string {
  if (!a) return '';
  return (
    '<association>' +
    el('publicIp', a.publicIp) +
    el('publicDnsName', a.publicDnsName ?? publicDnsName(a.publicIp, region)) +
    el('ipOwnerId', a.ipOwnerId ?? 'amazon') +
    el('allocationId', a.allocationId) +
    el('associationId', a.associationId) +
    '</association>'
  );
}

function ipv6Set(list: Eni['src']['ipv6Addresses']): string {
  if (!list || list.length === 0) return '';
  return set('ipv6AddressesSet', list, (v) =>
    typeof v === 'string' ? el('ipv6Address', v) : el('ipv6Address', v.ipv6Address) + el('isPrimaryIpv6', v.isPrimaryIpv6),
  );
}

/** The primary private IP (with the interface's association) followed by the secondary ones. */
function privateIpSet(e: Eni['src'], region: string): string {
  const items: string[] = [];
  if (e.privateIpAddress !== undefined || e.association) {
    items.push(el('privateIpAddress', e.privateIpAddress) + el('privateDnsName', e.privateDnsName) + el('primary', true) + association(e.association, region));
  }
  for (const p of e.privateIpAddresses ?? []) {
    items.push(el('privateIpAddress', p.privateIpAddress) + el('privateDnsName', p.privateDnsName) + el('primary', false) + association(p.association, region));
  }
  if (items.length === 0) return '';
  return `<privateIpAddressesSet><item>${items.join('</item><item>')}</item></privateIpAddressesSet>`;
}

/**
 * Appends one interface's members to `out` (joined once per page by the caller: pages of 1,000
 * interfaces are the benchmark's hot path, and one join makes far less garbage than nested concatenation).
 */
export function renderNetworkInterface(out: string[], eni: Eni, account: string, region: string): void {
  const e = eni.src;
  const a = eni.attachment;
  out.push(
    el('networkInterfaceId', e.networkInterfaceId),
    el('subnetId', e.subnetId),
    el('vpcId', e.vpcId),
    el('availabilityZone', e.availabilityZone ?? `${region}a`),
    el('description', e.description ?? ''),
    el('ownerId', account),
    el('requesterId', e.requesterId),
    el('requesterManaged', e.requesterManaged ?? false),
    el('status', e.status ?? (a ? 'in-use' : 'available')),
    el('macAddress', e.macAddress),
    el('privateIpAddress', e.privateIpAddress),
    el('privateDnsName', e.privateDnsName),
    '<sourceDestCheck>true</sourceDestCheck>',
  );
  if (a) {
    out.push(
      '<attachment>',
      el('attachmentId', a.attachmentId ?? `eni-attach-${e.networkInterfaceId.slice(4)}`),
      el('instanceId', a.instanceId),
      el('instanceOwnerId', a.instanceOwnerId ?? (a.instanceId ? account : undefined)),
      el('deviceIndex', a.deviceIndex ?? 0),
      el('status', a.status ?? 'attached'),
      '</attachment>',
    );
  }
  out.push(association(e.association, region), tagSet(e.tags) || '<tagSet/>', privateIpSet(e, region), ipv6Set(e.ipv6Addresses), el('interfaceType', e.interfaceType ?? 'interface'));
}

export function renderAddress(ad: InventoryAddress, region: string): string {
  return (
    el('publicIp', ad.publicIp) +
    el('allocationId', ad.allocationId ?? defaultAllocationId(ad.publicIp)) +
    el('domain', ad.domain ?? 'vpc') +
    el('instanceId', ad.instanceId) +
    el('associationId', ad.associationId) +
    el('networkInterfaceId', ad.networkInterfaceId) +
    el('networkInterfaceOwnerId', ad.networkInterfaceOwnerId) +
    el('privateIpAddress', ad.privateIpAddress) +
    tagSet(ad.tags) +
    el('publicIpv4Pool', ad.publicIpv4Pool ?? 'amazon') +
    el('networkBorderGroup', ad.networkBorderGroup ?? region)
  );
}

const STATE_CODES: Record<string, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

/** One reservation per instance: the connector needs the instances, not how they were launched. */
export function renderReservation(inst: InventoryInstance, account: string, region: string): string {
  const state = inst.state ?? 'running';
  const enis = inst.networkInterfaces ?? [];
  const primary = enis[0];
  const firstV6 = primary?.ipv6Addresses?.find((v) => typeof v !== 'string' && v.isPrimaryIpv6) ?? primary?.ipv6Addresses?.[0];
  const az = inst.availabilityZone ?? primary?.availabilityZone ?? `${region}a`;
  const item =
    el('instanceId', inst.instanceId) +
    el('imageId', inst.imageId ?? 'ami-0fake0000000000000') +
    `<instanceState>${el('code', STATE_CODES[state])}${el('name', state)}</instanceState>` +
    el('instanceType', inst.instanceType ?? 't3.micro') +
    `<placement>${el('availabilityZone', az)}${el('tenancy', 'default')}</placement>` +
    el('subnetId', primary?.subnetId) +
    el('vpcId', primary?.vpcId) +
    el('privateIpAddress', primary?.privateIpAddress) +
    el('ipAddress', primary?.association?.publicIp) +
    el('ipv6Address', firstV6 === undefined ? undefined : typeof firstV6 === 'string' ? firstV6 : firstV6.ipv6Address) +
    (tagSet(inst.tags) || '<tagSet/>') +
    set('networkInterfaceSet', enis, (n) => {
      const attach = `<attachment>${el('attachmentId', `eni-attach-${n.networkInterfaceId.slice(4)}`)}${el('deviceIndex', n.deviceIndex ?? enis.indexOf(n))}${el('status', 'attached')}${el('deleteOnTermination', true)}</attachment>`;
      const assoc = n.association
        ? `<association>${el('publicIp', n.association.publicIp)}${el('publicDnsName', n.association.publicDnsName ?? publicDnsName(n.association.publicIp, region))}${el('ipOwnerId', n.association.ipOwnerId ?? 'amazon')}</association>`
        : '';
      return (
        el('networkInterfaceId', n.networkInterfaceId) +
        el('subnetId', n.subnetId) +
        el('vpcId', n.vpcId) +
        el('description', n.description ?? '') +
        el('ownerId', account) +
        el('status', 'in-use') +
        el('privateIpAddress', n.privateIpAddress) +
        el('sourceDestCheck', true) +
        attach +
        assoc +
        ipv6Set(n.ipv6Addresses) +
        el('interfaceType', n.interfaceType ?? 'interface')
      );
    });
  return el('reservationId', `r-${inst.instanceId.slice(2)}`) + el('ownerId', account) + '<groupSet/>' + `<instancesSet><item>${item}</item></instancesSet>`;
}
