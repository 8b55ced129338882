import type { InventoryAddress, InventoryInstance, InventoryQuirks } from './inventory.ts';
import { decodeToken, page, requestDigest, type PageCursor } from './paging.ts';
import { boolParam, compileFilters, filters, intParam, list, QueryError, type Params } from './query.ts';
import { defaultAllocationId, renderAddress, renderNetworkInterface, renderReservation } from './ec2-render.ts';
import { el, set } from './xml.ts';
import { OPT_IN_REGIONS, type AccountState, type Eni, type RegionState } from './world.ts';

export interface Ec2Request {
  action: string;
  params: Params;
  account: AccountState;
  /** The region from the SigV4 scope; undefined state when the account has nothing there. */
  regionName: string;
  region: RegionState | undefined;
  pageSize: number;
  quirks: InventoryQuirks;
}

/** Decoded before the action runs, so a page-specific fault can be matched first. */
export function cursorOf(req: Omit<Ec2Request, 'pageSize' | 'quirks'>): PageCursor {
  if (!PAGINATED.has(req.action)) return { offset: 0, page: 1 };
  return decodeToken(req.params.get('NextToken'), requestDigest(req.action, req.account.id, req.regionName, req.params));
}

const PAGINATED = new Set(['DescribeNetworkInterfaces', 'DescribeInstances', 'DescribeTags']);

/** The page's token, or (quirk repeatsNextToken) the one the request came with, as a server stuck in a loop answers. */
function nextToken(req: Ec2Request, p: { nextToken?: string }): string | undefined {
  const sent = req.params.get('NextToken');
  return req.quirks.repeatsNextToken && p.nextToken && sent ? sent : p.nextToken;
}

export const EC2_ACTIONS: Readonly<Record<string, (req: Ec2Request, cursor: PageCursor) => string>> = {
  DescribeRegions: describeRegions,
  DescribeAddresses: describeAddresses,
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  DescribeInstances: describeInstances,
  DescribeTags: describeTags,
};

function describeRegions(req: Ec2Request): string {
  unpaginated(req);
  const all = (boolParam(req.params, 'AllRegions') ?? false) || req.quirks.listsDisabledRegions === true;
  const rows: Array<{ name: string; optIn: string }> = [];
  for (const name of req.account.regions.keys()) rows.push({ name, optIn: OPT_IN_REGIONS.has(name) ? 'opted-in' : 'opt-in-not-required' });
  if (all) for (const name of req.account.src.disabledRegions ?? []) if (!req.account.regions.has(name)) rows.push({ name, optIn: 'not-opted-in' });
  rows.sort((a, b) => (a.name < b.name ? -1 : 1));
  const endpoint = (name: string) => `ec2.${name}.amazonaws.com`;
  const names = list(req.params, 'RegionName');
  const pred = compileFilters(
    filters(req.params),
    { 'region-name': (r: (typeof rows)[number]) => [r.name], 'opt-in-status': (r) => [r.optIn], endpoint: (r) => [endpoint(r.name)] },
    () => undefined,
  );
  for (const n of names) if (!rows.some((r) => r.name === n)) throw new QueryError('InvalidParameterValue', `Invalid region: ${n}`);
  const selected = rows.filter((r) => (names.length === 0 || names.includes(r.name)) && pred(r));
  return set('regionInfo', selected, (r) => el('regionName', r.name) + el('regionEndpoint', endpoint(r.name)) + el('optInStatus', r.optIn));
}

/** DescribeRegions and DescribeAddresses answer everything at once and have no MaxResults/NextToken members. */
function unpaginated(req: Ec2Request): void {
  for (const p of ['MaxResults', 'NextToken']) if (req.params.has(p)) throw new QueryError('UnknownParameter', `The parameter ${p} is not recognized`);
}

const ADDRESS_FILTERS: Record<string, (a: InventoryAddress) => Array<string | undefined>> = {
  'public-ip': (a) => [a.publicIp],
  'allocation-id': (a) => [a.allocationId ?? defaultAllocationId(a.publicIp)],
  'association-id': (a) => [a.associationId],
  domain: (a) => [a.domain ?? 'vpc'],
  'instance-id': (a) => [a.instanceId],
  'network-interface-id': (a) => [a.networkInterfaceId],
  'network-interface-owner-id': (a) => [a.networkInterfaceOwnerId],
  'private-ip-address': (a) => [a.privateIpAddress],
  'network-border-group': (a) => [a.networkBorderGroup],
  'public-ipv4-pool': (a) => [a.publicIpv4Pool ?? 'amazon'],
};

/** Not paginated in EC2: the whole list in one answer. */
function describeAddresses(req: Ec2Request): string {
  unpaginated(req);
  const all = req.region?.src.addresses ?? [];
  const pred = compileFilters(filters(req.params), ADDRESS_FILTERS, (a) => a.tags);
  const ips = list(req.params, 'PublicIp');
  const allocs = list(req.params, 'AllocationId');
  for (const ip of ips) if (!all.some((a) => a.publicIp === ip)) throw new QueryError('InvalidAddress.NotFound', `Address '${ip}' not found.`);
  for (const id of allocs) {
    if (!all.some((a) => (a.allocationId ?? defaultAllocationId(a.publicIp)) === id)) {
      throw new QueryError('InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`);
    }
  }
  const selected = all.filter(
    (a) =>
      (ips.length === 0 || ips.includes(a.publicIp)) &&
      (allocs.length === 0 || allocs.includes(a.allocationId ?? defaultAllocationId(a.publicIp))) &&
      pred(a),
  );
  return set('addressesSet', selected, (a) => renderAddress(a, req.regionName));
}

const ipv6Of = (e: Eni) => (e.src.ipv6Addresses ?? []).map((v) => (typeof v === 'string' ? v : v.ipv6Address));

const ENI_FILTERS: Record<string, (e: Eni) => Array<string | undefined>> = {
  'association.public-ip': (e) => [e.src.association?.publicIp],
  'association.allocation-id': (e) => [e.src.association?.allocationId],
  'association.association-id': (e) => [e.src.association?.associationId],
  'association.ip-owner-id': (e) => [e.src.association ? (e.src.association.ipOwnerId ?? 'amazon') : undefined],
  'addresses.association.public-ip': (e) => [e.src.association?.publicIp, ...(e.src.privateIpAddresses ?? []).map((p) => p.association?.publicIp)],
  'addresses.private-ip-address': (e) => [e.src.privateIpAddress, ...(e.src.privateIpAddresses ?? []).map((p) => p.privateIpAddress)],
  'private-ip-address': (e) => [e.src.privateIpAddress],
  'ipv6-addresses.ipv6-address': ipv6Of,
  'ipv6-address': ipv6Of,
  'interface-type': (e) => [e.src.interfaceType ?? 'interface'],
  'network-interface-id': (e) => [e.src.networkInterfaceId],
  'attachment.instance-id': (e) => [e.attachment?.instanceId],
  'attachment.status': (e) => [e.attachment ? (e.attachment.status ?? 'attached') : undefined],
  status: (e) => [e.src.status ?? (e.attachment ? 'in-use' : 'available')],
  'availability-zone': (e) => [e.src.availabilityZone],
  'requester-id': (e) => [e.src.requesterId],
  'requester-managed': (e) => [String(e.src.requesterManaged ?? false)],
  description: (e) => [e.src.description ?? ''],
  'subnet-id': (e) => [e.src.subnetId],
  'vpc-id': (e) => [e.src.vpcId],
};

function describeNetworkInterfaces(req: Ec2Request, cursor: PageCursor): string {
  const max = intParam(req.params, 'MaxResults', 5, 1000);
  const ids = list(req.params, 'NetworkInterfaceId');
  if (max !== undefined && ids.length > 0) {
    throw new QueryError('InvalidParameterCombination', 'The parameter NetworkInterfaceIds cannot be used with the parameter MaxResults');
  }
  const all = req.region?.enis ?? [];
  for (const id of ids) {
    if (!all.some((e) => e.src.networkInterfaceId === id)) throw new QueryError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`);
  }
  const pred = compileFilters(filters(req.params), ENI_FILTERS, (e) => e.src.tags);
  const selected = all.filter((e) => (ids.length === 0 || ids.includes(e.src.networkInterfaceId)) && pred(e));
  const digest = requestDigest(req.action, req.account.id, req.regionName, req.params);
  const p = page(selected, cursor, Math.min(max ?? Infinity, req.pageSize), digest);
  const parts = ['<networkInterfaceSet>'];
  for (const e of p.items) {
    parts.push('<item>');
    renderNetworkInterface(parts, e, req.account.id, req.regionName);
    parts.push('</item>');
  }
  parts.push('</networkInterfaceSet>', el('nextToken', nextToken(req, p)));
  return parts.join('');
}

const INSTANCE_FILTERS: Record<string, (i: InventoryInstance) => Array<string | undefined>> = {
  'instance-id': (i) => [i.instanceId],
  'instance-state-name': (i) => [i.state ?? 'running'],
  'instance-type': (i) => [i.instanceType ?? 't3.micro'],
  'availability-zone': (i) => [i.availabilityZone],
  'network-interface.network-interface-id': (i) => (i.networkInterfaces ?? []).map((n) => n.networkInterfaceId),
  'ip-address': (i) => [i.networkInterfaces?.[0]?.association?.publicIp],
};

function describeInstances(req: Ec2Request, cursor: PageCursor): string {
  const max = intParam(req.params, 'MaxResults', 5, 1000);
  const ids = list(req.params, 'InstanceId');
  if (max !== undefined && ids.length > 0) {
    throw new QueryError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const all = req.region?.src.instances ?? [];
  for (const id of ids) if (!all.some((i) => i.instanceId === id)) throw new QueryError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
  const pred = compileFilters(filters(req.params), INSTANCE_FILTERS, (i) => i.tags);
  const selected = all.filter((i) => (ids.length === 0 || ids.includes(i.instanceId)) && pred(i));
  const digest = requestDigest(req.action, req.account.id, req.regionName, req.params);
  const p = page(selected, cursor, Math.min(max ?? Infinity, req.pageSize), digest);
  return set('reservationSet', p.items, (i) => renderReservation(i, req.account.id, req.regionName)) + el('nextToken', nextToken(req, p));
}

interface TagRow {
  resourceId: string;
  resourceType: 'instance' | 'network-interface' | 'elastic-ip';
  key: string;
  value: string;
}

const TAG_FILTERS: Record<string, (t: TagRow) => Array<string | undefined>> = {
  'resource-id': (t) => [t.resourceId],
  'resource-type': (t) => [t.resourceType],
  key: (t) => [t.key],
  value: (t) => [t.value],
};

/** Tags of the region's instances, interfaces and Elastic IPs, one row per tag, as EC2 lists them. */
function describeTags(req: Ec2Request, cursor: PageCursor): string {
  const max = intParam(req.params, 'MaxResults', 5, 1000);
  const pred = compileFilters(filters(req.params), TAG_FILTERS, (t) => ({ [t.key]: t.value }));
  const rows: TagRow[] = [];
  const add = (resourceId: string, resourceType: TagRow['resourceType'], tags: Record<string, string> | undefined) => {
    for (const [key, value] of Object.entries(tags ?? {})) {
      const row = { resourceId, resourceType, key, value };
      if (pred(row)) rows.push(row);
    }
  };
  for (const i of req.region?.src.instances ?? []) add(i.instanceId, 'instance', i.tags);
  for (const e of req.region?.enis ?? []) add(e.src.networkInterfaceId, 'network-interface', e.src.tags);
  for (const a of req.region?.src.addresses ?? []) add(a.allocationId ?? defaultAllocationId(a.publicIp), 'elastic-ip', a.tags);
  const digest = requestDigest(req.action, req.account.id, req.regionName, req.params);
  const p = page(rows, cursor, Math.min(max ?? Infinity, req.pageSize), digest);
  return (
    set('tagSet', p.items, (t) => el('resourceId', t.resourceId) + el('resourceType', t.resourceType) + el('key', t.key) + el('value', t.value)) +
    el('nextToken', nextToken(req, p))
  );
}
