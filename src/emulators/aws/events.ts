import { randomUUID } from 'node:crypto';
import { defaultAllocationId } from './ec2-render.ts';
import type { AwsInventory, InventoryAddress, InventoryInstance, InventoryInterface, InventoryRegion } from './inventory.ts';

/**
 * An inventory change → the EventBridge events AWS would deliver for it: CloudTrail "AWS API Call via
 * CloudTrail" records of the calls that would have made the change (ec2, elasticloadbalancing), and EC2
 * Instance State-change Notifications. Shapes follow the CloudTrail record reference and the EC2 event
 * examples (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html);
 * like AWS, state changes carry no address and ELB/NAT events carry no public IP.
 */

export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

type Json = Record<string, unknown>;
type Eni = Omit<InventoryInterface, 'attachment'>;

const STATE_CODES: Record<string, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

/** Every event the difference between two inventories stands for, account by account, region by region. */
export function inventoryEvents(before: AwsInventory, after: AwsInventory, now: Date = new Date()): EventBridgeEvent[] {
  const out: EventBridgeEvent[] = [];
  const accounts = new Set([...Object.keys(before.accounts), ...Object.keys(after.accounts)]);
  for (const account of accounts) {
    const b = before.accounts[account]?.regions ?? {};
    const a = after.accounts[account]?.regions ?? {};
    for (const region of new Set([...Object.keys(b), ...Object.keys(a)])) {
      out.push(...regionEvents(new Emitter(account, region, now), b[region] ?? {}, a[region] ?? {}));
    }
  }
  return out;
}

class Emitter {
  readonly events: EventBridgeEvent[] = [];
  readonly account: string;
  readonly region: string;
  private readonly time: string;

  constructor(account: string, region: string, now: Date) {
    this.account = account;
    this.region = region;
    // EventBridge and CloudTrail write whole seconds.
    this.time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  call(service: 'ec2' | 'elasticloadbalancing', eventName: string, requestParameters: Json | null, responseElements: Json | null): void {
    const requestId = randomUUID();
    this.events.push(this.envelope('AWS API Call via CloudTrail', `aws.${service}`, [], {
      eventVersion: '1.09',
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAFAKEUSER0000000',
        arn: `arn:aws:iam::${this.account}:user/fake`,
        accountId: this.account,
        accessKeyId: 'AKIAFAKEEXAMPLE00000',
        userName: 'fake',
      },
      eventTime: this.time,
      eventSource: `${service}.amazonaws.com`,
      eventName,
      awsRegion: this.region,
      sourceIPAddress: '192.0.2.10',
      userAgent: 'origin-region-sync-aws-fake',
      requestParameters,
      responseElements: service === 'ec2' && responseElements ? { requestId, ...responseElements } : responseElements,
      requestID: requestId,
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: this.account,
      eventCategory: 'Management',
    }));
  }

  state(instanceId: string, state: string): void {
    this.events.push(
      this.envelope('EC2 Instance State-change Notification', 'aws.ec2', [`arn:aws:ec2:${this.region}:${this.account}:instance/${instanceId}`], {
        'instance-id': instanceId,
        state,
      }),
    );
  }

  private envelope(detailType: string, source: string, resources: string[], detail: Json): EventBridgeEvent {
    return { version: '0', id: randomUUID(), 'detail-type': detailType, source, account: this.account, time: this.time, region: this.region, resources, detail };
  }
}

function regionEvents(e: Emitter, before: InventoryRegion, after: InventoryRegion): EventBridgeEvent[] {
  addressEvents(e, before.addresses ?? [], after.addresses ?? []);
  const stateChanged = instanceEvents(e, before.instances ?? [], after.instances ?? []);
  const kinds = (r: InventoryRegion) => {
    const nat: Eni[] = [];
    const lb: Eni[] = [];
    const other: Eni[] = [];
    for (const { attachment: _, ...n } of r.networkInterfaces ?? []) (isNat(n) ? nat : isLoadBalancer(n) ? lb : other).push(n);
    return { nat, lb, other };
  };
  const b = kinds(before);
  const a = kinds(after);
  natEvents(e, b.nat, a.nat);
  loadBalancerEvents(e, b.lb, a.lb);
  interfaceEvents(e, b.other, a.other, undefined, false);
  // Interfaces of instances present before and after (new and gone instances were RunInstances/TerminateInstances).
  const beforeById = new Map((before.instances ?? []).map((i) => [i.instanceId, i]));
  for (const inst of after.instances ?? []) {
    const old = beforeById.get(inst.instanceId);
    if (old) interfaceEvents(e, old.networkInterfaces ?? [], inst.networkInterfaces ?? [], inst.instanceId, stateChanged.has(inst.instanceId));
  }
  return e.events;
}

const allocationOf = (a: InventoryAddress) => a.allocationId ?? defaultAllocationId(a.publicIp);
const associationOf = (a: InventoryAddress) =>
  a.instanceId !== undefined || a.networkInterfaceId !== undefined ? `${a.instanceId ?? ''}|${a.networkInterfaceId ?? ''}|${a.privateIpAddress ?? ''}` : undefined;
const associationIdOf = (a: InventoryAddress) => a.associationId ?? `eipassoc-${allocationOf(a).slice('eipalloc-'.length)}`;

function addressEvents(e: Emitter, before: InventoryAddress[], after: InventoryAddress[]): void {
  const allocate = (a: InventoryAddress) => {
    e.call('ec2', 'AllocateAddress', { domain: a.domain ?? 'vpc' }, {
      _return: true,
      publicIp: a.publicIp,
      domain: a.domain ?? 'vpc',
      allocationId: allocationOf(a),
      networkBorderGroup: a.networkBorderGroup ?? e.region,
      publicIpv4Pool: a.publicIpv4Pool ?? 'amazon',
    });
  };
  const associate = (a: InventoryAddress) =>
    e.call(
      'ec2',
      'AssociateAddress',
      {
        allocationId: allocationOf(a),
        ...(a.instanceId ? { instanceId: a.instanceId } : {}),
        ...(a.networkInterfaceId ? { networkInterfaceId: a.networkInterfaceId } : {}),
        ...(a.privateIpAddress ? { privateIpAddress: a.privateIpAddress } : {}),
        allowReassociation: false,
      },
      { _return: true, associationId: associationIdOf(a) },
    );
  const disassociate = (a: InventoryAddress) => e.call('ec2', 'DisassociateAddress', { associationId: associationIdOf(a) }, { _return: true });
  const release = (a: InventoryAddress) => e.call('ec2', 'ReleaseAddress', { allocationId: allocationOf(a) }, { _return: true });

  const old = new Map(before.map((a) => [allocationOf(a), a]));
  const now = new Map(after.map((a) => [allocationOf(a), a]));
  for (const [id, a] of old) {
    const n = now.get(id);
    if (n && n.publicIp === a.publicIp) continue;
    if (associationOf(a)) disassociate(a);
    release(a);
  }
  for (const [id, a] of now) {
    const o = old.get(id);
    if (o && o.publicIp === a.publicIp) {
      if (associationOf(o) === associationOf(a)) continue;
      if (associationOf(o)) disassociate(o);
      if (associationOf(a)) associate(a);
      continue;
    }
    allocate(a);
    if (associationOf(a)) associate(a);
  }
}

const stateOf = (i: InventoryInstance) => i.state ?? 'running';
const instanceItems = (items: Json[]) => ({ instancesSet: { items } });
const stateItem = (i: InventoryInstance, from: string, to: string) => ({
  instanceId: i.instanceId,
  currentState: { code: STATE_CODES[to] ?? 0, name: to },
  previousState: { code: STATE_CODES[from] ?? 0, name: from },
});

/** Returns the instances whose state changed: their auto-assigned addresses moved with the state. */
function instanceEvents(e: Emitter, before: InventoryInstance[], after: InventoryInstance[]): Set<string> {
  const changed = new Set<string>();
  const old = new Map(before.map((i) => [i.instanceId, i]));
  const now = new Map(after.map((i) => [i.instanceId, i]));
  for (const [id, i] of old) {
    if (now.has(id)) continue;
    e.call('ec2', 'TerminateInstances', instanceItems([{ instanceId: id }]), instanceItems([stateItem(i, stateOf(i), 'shutting-down')]));
    e.state(id, 'shutting-down');
    e.state(id, 'terminated');
  }
  for (const [id, i] of now) {
    const o = old.get(id);
    if (!o) {
      e.call(
        'ec2',
        'RunInstances',
        { instancesSet: { items: [{ imageId: i.imageId ?? 'ami-0fake0000000000001', minCount: 1, maxCount: 1 }] }, instanceType: i.instanceType ?? 't3.micro' },
        {
          reservationId: `r-${id.slice(2)}`,
          ownerId: e.account,
          ...instanceItems([
            {
              instanceId: id,
              imageId: i.imageId ?? 'ami-0fake0000000000001',
              currentState: { code: 0, name: 'pending' },
              instanceType: i.instanceType ?? 't3.micro',
              placement: { availabilityZone: i.availabilityZone ?? `${e.region}a` },
              networkInterfaceSet: { items: (i.networkInterfaces ?? []).map((n) => ({ networkInterfaceId: n.networkInterfaceId, privateIpAddress: n.privateIpAddress })) },
            },
          ]),
        },
      );
      e.state(id, 'pending');
      if (stateOf(i) !== 'pending') e.state(id, stateOf(i));
      continue;
    }
    const from = stateOf(o);
    const to = stateOf(i);
    if (from === to) continue;
    changed.add(id);
    const items = instanceItems([{ instanceId: id }]);
    if (to === 'running' || to === 'pending') {
      e.call('ec2', 'StartInstances', items, instanceItems([stateItem(i, from, 'pending')]));
      e.state(id, 'pending');
    } else if (to === 'stopped' || to === 'stopping') {
      e.call('ec2', 'StopInstances', { ...items, force: false }, instanceItems([stateItem(i, from, 'stopping')]));
      e.state(id, 'stopping');
    } else {
      e.call('ec2', 'TerminateInstances', items, instanceItems([stateItem(i, from, 'shutting-down')]));
      e.state(id, 'shutting-down');
    }
    if (to !== 'pending' && to !== 'stopping' && to !== 'shutting-down') e.state(id, to);
  }
  return changed;
}

interface PublicAddress {
  privateIp: string;
  publicIp: string;
  allocationId?: string;
}

function publicAddresses(n: Eni): PublicAddress[] {
  const out: PublicAddress[] = [];
  if (n.association) out.push({ privateIp: n.privateIpAddress ?? '', publicIp: n.association.publicIp, ...(n.association.allocationId ? { allocationId: n.association.allocationId } : {}) });
  for (const p of n.privateIpAddresses ?? []) {
    if (p.association) out.push({ privateIp: p.privateIpAddress, publicIp: p.association.publicIp, ...(p.association.allocationId ? { allocationId: p.association.allocationId } : {}) });
  }
  return out;
}

const ipv6Of = (n: Eni) => (n.ipv6Addresses ?? []).map((v) => (typeof v === 'string' ? v : v.ipv6Address).toLowerCase());

/**
 * Interfaces (of an instance when `instanceId` is set): created/attached, deleted/detached, and the
 * addresses that moved on them. An instance's auto-assigned IPv4 changing with a stop or start is the
 * state change's doing, not a call of its own.
 */
function interfaceEvents(e: Emitter, before: Eni[], after: Eni[], instanceId: string | undefined, stateChanged: boolean): void {
  const old = new Map(before.map((n) => [n.networkInterfaceId, n]));
  const now = new Map(after.map((n) => [n.networkInterfaceId, n]));
  for (const id of old.keys()) {
    if (now.has(id)) continue;
    if (instanceId) e.call('ec2', 'DetachNetworkInterface', { attachmentId: `eni-attach-${id.slice(4)}`, force: false }, { _return: true });
    else e.call('ec2', 'DeleteNetworkInterface', { networkInterfaceId: id }, { _return: true });
  }
  for (const [id, n] of now) {
    const o = old.get(id);
    if (!o) {
      if (instanceId) {
        e.call('ec2', 'AttachNetworkInterface', { networkInterfaceId: id, instanceId, deviceIndex: after.indexOf(n) }, { attachmentId: `eni-attach-${id.slice(4)}` });
      } else {
        e.call('ec2', 'CreateNetworkInterface', { subnetId: n.subnetId ?? 'subnet-0fake000000000001' }, { networkInterface: { networkInterfaceId: id, privateIpAddress: n.privateIpAddress } });
      }
      continue;
    }
    const key = (p: PublicAddress) => `${p.privateIp}>${p.publicIp}`;
    const was = new Map(publicAddresses(o).map((p) => [key(p), p]));
    const is = new Map(publicAddresses(n).map((p) => [key(p), p]));
    for (const [k, p] of was) {
      if (is.has(k)) continue;
      if (p.allocationId) e.call('ec2', 'DisassociateAddress', { associationId: `eipassoc-${p.allocationId.replace(/^eipalloc-/, '')}` }, { _return: true });
      else if (!stateChanged) e.call('ec2', 'ModifyNetworkInterfaceAttribute', { networkInterfaceId: id, associatePublicIpAddress: false }, { _return: true });
    }
    for (const [k, p] of is) {
      if (was.has(k)) continue;
      if (p.allocationId) {
        e.call('ec2', 'AssociateAddress', { allocationId: p.allocationId, networkInterfaceId: id, privateIpAddress: p.privateIp, allowReassociation: false }, { _return: true, associationId: `eipassoc-${p.allocationId.replace(/^eipalloc-/, '')}` });
      } else if (!stateChanged) {
        e.call('ec2', 'ModifyNetworkInterfaceAttribute', { networkInterfaceId: id, associatePublicIpAddress: true }, { _return: true });
      }
    }
    const v6was = new Set(ipv6Of(o));
    const v6is = new Set(ipv6Of(n));
    const added = [...v6is].filter((v) => !v6was.has(v));
    const removed = [...v6was].filter((v) => !v6is.has(v));
    if (added.length > 0) {
      e.call(
        'ec2',
        'AssignIpv6Addresses',
        { AssignIpv6AddressesRequest: { NetworkInterfaceId: id, Ipv6Addresses: added.map((v, i) => ({ tag: i + 1, content: v })) } },
        { AssignIpv6AddressesResponse: { networkInterfaceId: id, assignedIpv6Addresses: { item: added } } },
      );
    }
    if (removed.length > 0) {
      e.call(
        'ec2',
        'UnassignIpv6Addresses',
        { UnassignIpv6AddressesRequest: { NetworkInterfaceId: id, Ipv6Addresses: removed.map((v, i) => ({ tag: i + 1, content: v })) } },
        { UnassignIpv6AddressesResponse: { networkInterfaceId: id, unassignedIpv6Addresses: { item: removed } } },
      );
    }
  }
}

const isNat = (n: Eni) => n.interfaceType === 'nat_gateway' || n.interfaceType === 'natGateway' || /NAT Gateway/i.test(n.description ?? '');
const isLoadBalancer = (n: Eni) => n.interfaceType === 'network_load_balancer' || n.requesterId === 'amazon-elb' || (n.description ?? '').startsWith('ELB ');

const natIdOf = (n: Eni) => /\bnat-[0-9a-f]+\b/.exec(n.description ?? '')?.[0] ?? `nat-${n.networkInterfaceId.slice(4)}`;

function natEvents(e: Emitter, before: Eni[], after: Eni[]): void {
  const old = new Map(before.map((n) => [natIdOf(n), n]));
  const now = new Map(after.map((n) => [natIdOf(n), n]));
  for (const id of old.keys()) {
    if (!now.has(id)) e.call('ec2', 'DeleteNatGateway', { DeleteNatGatewayRequest: { NatGatewayId: id } }, { DeleteNatGatewayResponse: { natGatewayId: id } });
  }
  for (const [id, n] of now) {
    const o = old.get(id);
    const addresses = publicAddresses(n);
    if (!o) {
      e.call(
        'ec2',
        'CreateNatGateway',
        { CreateNatGatewayRequest: { SubnetId: n.subnetId ?? 'subnet-0fake000000000001', ...(addresses[0]?.allocationId ? { AllocationId: addresses[0].allocationId } : {}) } },
        // A NAT gateway is "pending" when created: its address shows up on the interface, not in the event.
        { CreateNatGatewayResponse: { natGateway: { natGatewayId: id, state: 'pending', subnetId: n.subnetId, vpcId: n.vpcId } } },
      );
      continue;
    }
    const was = new Set(publicAddresses(o).map((p) => p.publicIp));
    const is = new Set(addresses.map((p) => p.publicIp));
    if ([...is].some((ip) => !was.has(ip))) e.call('ec2', 'AssociateNatGatewayAddress', { AssociateNatGatewayAddressRequest: { NatGatewayId: id } }, { AssociateNatGatewayAddressResponse: { natGatewayId: id } });
    if ([...was].some((ip) => !is.has(ip))) e.call('ec2', 'DisassociateNatGatewayAddress', { DisassociateNatGatewayAddressRequest: { NatGatewayId: id } }, { DisassociateNatGatewayAddressResponse: { natGatewayId: id } });
  }
}

/** `ELB net/api-nlb/50dc6c495c0c9188` → net/api-nlb/50dc6c495c0c9188; Classic: `ELB name` → name. */
const loadBalancerOf = (n: Eni) => /^ELB (\S+)/.exec(n.description ?? '')?.[1] ?? n.networkInterfaceId;

function loadBalancerArn(e: Emitter, lb: string): string {
  return lb.includes('/') ? `arn:aws:elasticloadbalancing:${e.region}:${e.account}:loadbalancer/${lb}` : lb;
}

function loadBalancerEvents(e: Emitter, before: Eni[], after: Eni[]): void {
  const group = (list: Eni[]) => {
    const m = new Map<string, Eni[]>();
    for (const n of list) m.set(loadBalancerOf(n), [...(m.get(loadBalancerOf(n)) ?? []), n]);
    return m;
  };
  const old = group(before);
  const now = group(after);
  const signature = (list: Eni[]) => JSON.stringify(list.map((n) => [n.networkInterfaceId, publicAddresses(n).map((p) => p.publicIp), ipv6Of(n)]).sort());
  for (const lb of old.keys()) {
    if (now.has(lb)) continue;
    const classic = !lb.includes('/');
    e.call('elasticloadbalancing', 'DeleteLoadBalancer', classic ? { loadBalancerName: lb } : { loadBalancerArn: loadBalancerArn(e, lb) }, null);
  }
  for (const [lb, enis] of now) {
    const o = old.get(lb);
    const arn = loadBalancerArn(e, lb);
    const name = lb.includes('/') ? (lb.split('/')[1] ?? lb) : lb;
    if (!o) {
      const type = lb.startsWith('net/') ? 'network' : lb.startsWith('app/') ? 'application' : 'classic';
      const subnets = enis.map((n) => n.subnetId).filter((s): s is string => s !== undefined);
      e.call(
        'elasticloadbalancing',
        'CreateLoadBalancer',
        { name, subnets, scheme: 'internet-facing', type, ipAddressType: enis.some((n) => ipv6Of(n).length > 0) ? 'dualstack' : 'ipv4' },
        { loadBalancers: [{ loadBalancerArn: arn, loadBalancerName: name, type, scheme: 'internet-facing', state: { code: 'provisioning' } }] },
      );
      continue;
    }
    if (signature(o) === signature(enis)) continue;
    const sameInterfaces = JSON.stringify(o.map((n) => n.networkInterfaceId).sort()) === JSON.stringify(enis.map((n) => n.networkInterfaceId).sort());
    const byId = new Map(enis.map((n) => [n.networkInterfaceId, n]));
    const onlyV6 = sameInterfaces && o.every((n) => JSON.stringify(publicAddresses(n)) === JSON.stringify(publicAddresses(byId.get(n.networkInterfaceId) as Eni)));
    if (onlyV6) e.call('elasticloadbalancing', 'SetIpAddressType', { loadBalancerArn: arn, ipAddressType: enis.some((n) => ipv6Of(n).length > 0) ? 'dualstack' : 'ipv4' }, { ipAddressType: 'dualstack' });
    else e.call('elasticloadbalancing', 'SetSubnets', { loadBalancerArn: arn, subnets: enis.map((n) => n.subnetId ?? 'subnet-0fake000000000001') }, { availabilityZones: [] });
  }
}
