import { randomUUID } from 'node:crypto';
import type { OciWorld } from './inventory.ts';

/**
 * What OCI Events would publish for the difference between two inventories, as the CloudEvents 0.1
 * envelope it sends to a Streaming action (https://docs.oracle.com/iaas/Content/Events/Reference/eventenvelopereference.htm):
 * - a public IP that appears, goes, changes or moves compartment: virtualnetwork createpublicip,
 *   deletepublicip, updatepublicip, changepublicipcompartment;
 * - the regional ephemeral IP of a NAT gateway comes and goes with the gateway: natgateway
 *   createnatgateway / deletenatgateway, about the gateway (OCI creates that IP itself, with no public IP
 *   event);
 * - IPv6 addresses live on instance VNICs: computeapi launchinstance.end / terminateinstance.end, about an
 *   instance named after the VNIC (the inventory has no instances).
 * Like OCI's, no event carries the address, and none names the tenancy. Compartment, subnet and region
 * subscription changes publish nothing the consumer reads: the periodic full cycle finds those.
 */
export interface OciEvent {
  eventType: string;
  cloudEventsVersion: '0.1';
  eventTypeVersion: '2.0';
  source: string;
  eventTime: string;
  contentType: 'application/json';
  eventID: string;
  extensions: { compartmentId: string };
  data: {
    compartmentId: string;
    compartmentName: string;
    resourceName: string;
    resourceId: string;
    availabilityDomain?: string;
    freeformTags: Record<string, unknown>;
    definedTags: Record<string, unknown>;
    additionalDetails: Record<string, unknown>;
  };
}

type PublicIp = OciWorld['publicIps'][number]['wire'];
type Ipv6 = OciWorld['ipv6'][number];

/** Fields of a public IP whose change OCI reports as updatepublicip (assignment, state, tags, name). */
const PUBLIC_IP_FIELDS = ['ipAddress', 'lifecycleState', 'assignedEntityId', 'assignedEntityType', 'privateIpId', 'displayName', 'freeformTags', 'definedTags'] as const;

export function inventoryEvents(before: OciWorld, after: OciWorld, now = new Date()): OciEvent[] {
  const names = new Map<string, string>([[after.tenancy, 'root'], [before.tenancy, 'root']]);
  for (const c of [...before.compartments, ...after.compartments]) names.set(c.id, typeof c['name'] === 'string' ? c['name'] : c.id);
  const event = (eventType: string, source: string, compartmentId: string, resourceId: string, resourceName: string, extra: Partial<OciEvent['data']> = {}): OciEvent => ({
    eventType,
    cloudEventsVersion: '0.1',
    eventTypeVersion: '2.0',
    source,
    eventTime: now.toISOString(),
    contentType: 'application/json',
    eventID: randomUUID(),
    extensions: { compartmentId },
    data: {
      compartmentId,
      compartmentName: names.get(compartmentId) ?? compartmentId,
      resourceName,
      resourceId,
      freeformTags: {},
      definedTags: {},
      additionalDetails: {},
      ...extra,
    },
  });

  const out: OciEvent[] = [];
  const publicIpEvent = (type: string, ip: PublicIp) => {
    const nat = ip['assignedEntityType'] === 'NAT_GATEWAY' && typeof ip['assignedEntityId'] === 'string';
    const name = typeof ip['displayName'] === 'string' ? ip['displayName'] : ip['id'];
    if (nat && (type === 'createpublicip' || type === 'deletepublicip')) {
      const gateway = ip['assignedEntityId'] as string;
      out.push(event(`com.oraclecloud.natgateway.${type === 'createpublicip' ? 'createnatgateway' : 'deletenatgateway'}`, 'natgateway', ip.compartmentId, gateway, `natgateway-${gateway.split('.').pop() ?? ''}`));
      return;
    }
    out.push(
      event(`com.oraclecloud.virtualnetwork.${type}`, 'virtualNetwork', ip.compartmentId, String(ip['id']), String(name), {
        ...(typeof ip['availabilityDomain'] === 'string' ? { availabilityDomain: ip['availabilityDomain'] } : {}),
        freeformTags: (ip['freeformTags'] as Record<string, unknown> | undefined) ?? {},
        definedTags: (ip['definedTags'] as Record<string, unknown> | undefined) ?? {},
        additionalDetails: { lifetime: ip.lifetime, scope: ip.scope },
      }),
    );
  };

  const was = new Map(before.publicIps.map((p) => [String(p.wire['id']), p]));
  const now_ = new Map(after.publicIps.map((p) => [String(p.wire['id']), p]));
  for (const [id, p] of now_) {
    const old = was.get(id);
    if (!old) publicIpEvent('createpublicip', p.wire);
    else if (old.region !== p.region) {
      // Not a move OCI can make: the same OCID in another region is a release and a new address.
      publicIpEvent('deletepublicip', old.wire);
      publicIpEvent('createpublicip', p.wire);
    } else {
      if (old.wire.compartmentId !== p.wire.compartmentId) publicIpEvent('changepublicipcompartment', p.wire);
      if (PUBLIC_IP_FIELDS.some((f) => JSON.stringify(old.wire[f]) !== JSON.stringify(p.wire[f]))) publicIpEvent('updatepublicip', p.wire);
    }
  }
  for (const [id, p] of was) if (!now_.has(id)) publicIpEvent('deletepublicip', p.wire);

  const instanceEvent = (type: 'launchinstance.end' | 'terminateinstance.end', a: Ipv6, regionKey: string) => {
    const vnic = typeof a.wire['vnicId'] === 'string' ? a.wire['vnicId'] : String(a.wire['id']);
    const instance = `ocid1.instance.oc1.${regionKey}.${vnic.split('.').pop() ?? 'instance'}`;
    out.push(event(`com.oraclecloud.computeapi.${type}`, 'ComputeApi', a.compartmentId, instance, `instance-${vnic.split('.').pop() ?? ''}`));
  };
  const v6Key = (a: Ipv6) => `${a.region} ${String(a.wire['id'])} ${String(a.wire['ipAddress'])} ${String(a.wire['ipState'])} ${String(a.wire['lifecycleState'])}`;
  const v6Was = new Map(before.ipv6.map((a) => [v6Key(a), a]));
  const v6Now = new Map(after.ipv6.map((a) => [v6Key(a), a]));
  // One event per instance and kind: an instance launched with several addresses is one launch.
  const seen = new Set<string>();
  const once = (type: 'launchinstance.end' | 'terminateinstance.end', a: Ipv6, world: OciWorld) => {
    const key = world.regions.get(a.region)?.key ?? 'xxx';
    const id = `${type} ${key} ${String(a.wire['vnicId'] ?? a.wire['id'])}`;
    if (seen.has(id)) return;
    seen.add(id);
    instanceEvent(type, a, key);
  };
  for (const [k, a] of v6Was) if (!v6Now.has(k)) once('terminateinstance.end', a, before);
  for (const [k, a] of v6Now) if (!v6Was.has(k)) once('launchinstance.end', a, after);
  return out;
}
