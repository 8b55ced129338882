import { inventoryPath, inventorySection } from '../inventory.ts';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { checkRegion, ociRegionKeys } from '../../model/index.ts';
import { ociInventorySchema, type Fault, type OciInventory } from './inventory-schema.ts';

export { OPERATIONS, ociInventorySchema, type Fault, type OciInventoryInput, type Operation } from './inventory-schema.ts';

export class OciInventoryError extends Error {}

/** Wire objects, as the OCI API returns them, plus where they live. */
export interface OciWorld {
  tenancy: string;
  homeRegion: string;
  regions: Map<string, { key: string; status: string; ads: Array<{ name: string; id: string }>; fault?: Fault }>;
  compartments: Array<Record<string, unknown> & { id: string; compartmentId: string; lifecycleState: string; isAccessible: boolean }>;
  compartmentFaults: Map<string, Fault>;
  publicIps: Array<{ region: string; wire: Record<string, unknown> & { compartmentId: string; scope: string; lifetime: string } }>;
  subnets: Array<{ region: string; wire: Record<string, unknown> & { id: string; compartmentId: string; vcnId: string; lifecycleState: string } }>;
  ipv6: Array<{ region: string; compartmentId: string; wire: Record<string, unknown> & { subnetId: string } }>;
  /** fingerprint → public key; null when signatures are only checked for shape. */
  apiKeys: Map<string, KeyObject> | null;
  fault?: Fault;
  unsupportedParams: string[];
}

const DEFAULT_TIME = '2024-01-02T03:04:05.678Z';

/** OCI API key fingerprint: MD5 of the DER public key, as colon-separated hex. */
export function fingerprintOf(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return (createHash('md5').update(der).digest('hex').match(/../g) ?? []).join(':');
}

/**
 * Validates the oci section (the whole inventory with an `oci` key, or the section itself) and builds the
 * fake's world. Errors name the path, e.g. `oci.publicIps[3].region: …`.
 */
export function loadOciInventory(input: unknown): OciWorld {
  let section: unknown;
  try {
    section = inventorySection(input, 'oci');
  } catch (e) {
    throw new OciInventoryError((e as Error).message);
  }
  const r = ociInventorySchema.safeParse(section);
  if (!r.success) {
    throw new OciInventoryError(r.error.issues.map((i) => `${inventoryPath('oci', i.path)}: ${i.message}`).join('\n'));
  }
  return build(r.data);
}

function build(inv: OciInventory): OciWorld {
  const problems: string[] = [];
  const bad = (path: string, message: string) => problems.push(`oci.${path}: ${message}`);

  const regions: OciWorld['regions'] = new Map();
  for (const [name, r] of Object.entries(inv.regions)) {
    const check = checkRegion('oci', name);
    if (!check.ok && check.reason !== 'unknown-region') bad(`regions.${name}`, check.detail);
    const key = (r.regionKey ?? ociRegionKeys[name] ?? name.split('-')[1]?.slice(0, 3) ?? 'xxx').toLowerCase();
    const ads = r.availabilityDomains.map((ad, i) =>
      typeof ad === 'string' ? { name: ad, id: `ocid1.availabilitydomain.oc1..${key}ad${i + 1}` } : { name: ad.name, id: ad.id ?? `ocid1.availabilitydomain.oc1..${key}ad${i + 1}` },
    );
    regions.set(name, { key, status: r.status, ads, ...(r.fault ? { fault: r.fault } : {}) });
  }
  if (regions.size === 0) bad('regions', 'at least one region is needed');
  const homeRegion = inv.homeRegion ?? [...regions.keys()][0] ?? '';
  if (inv.homeRegion !== undefined && !regions.has(inv.homeRegion)) bad('homeRegion', `"${inv.homeRegion}" is not a key of oci.regions`);
  const regionOf = (path: string, name: string) => {
    const r = regions.get(name);
    if (!r) bad(path, `"${name}" is not a key of oci.regions`);
    return r;
  };

  const compartmentIds = new Set<string>();
  const compartmentFaults = new Map<string, Fault>();
  inv.compartments.forEach((c, i) => {
    if (c.id === inv.tenancy || compartmentIds.has(c.id)) bad(`compartments[${i}].id`, `duplicate id ${c.id}`);
    compartmentIds.add(c.id);
    if (c.fault) compartmentFaults.set(c.id, c.fault);
  });
  const parents = new Map(inv.compartments.map((c) => [c.id, c.compartmentId ?? inv.tenancy]));
  inv.compartments.forEach((c, i) => {
    const parent = c.compartmentId ?? inv.tenancy;
    if (parent !== inv.tenancy && !compartmentIds.has(parent)) bad(`compartments[${i}].compartmentId`, `parent ${parent} is neither the tenancy nor a listed compartment`);
    // A cycle would make "the subtree of the root" infinite.
    const seen = new Set([c.id]);
    for (let p = parent; p !== inv.tenancy && parents.has(p); p = parents.get(p) ?? inv.tenancy) {
      if (seen.has(p)) {
        bad(`compartments[${i}].compartmentId`, 'the compartment is its own ancestor');
        break;
      }
      seen.add(p);
    }
  });
  const knownCompartment = (path: string, id: string | undefined): string => {
    const c = id ?? inv.tenancy;
    if (c !== inv.tenancy && !compartmentIds.has(c)) bad(path, `${c} is neither the tenancy nor a listed compartment`);
    return c;
  };
  for (const [c, f] of compartmentFaults) {
    for (const r of f.regions ?? []) if (!regions.has(r)) bad(`compartments[${inv.compartments.findIndex((x) => x.id === c)}].fault.regions`, `"${r}" is not a key of oci.regions`);
  }

  const ids = new Set<string>();
  const unique = (path: string, id: string) => {
    if (ids.has(id)) bad(path, `duplicate id ${id}`);
    ids.add(id);
  };

  const publicIps: OciWorld['publicIps'] = [];
  inv.publicIps.forEach((p, i) => {
    const path = `publicIps[${i}]`;
    const r = regionOf(`${path}.region`, p.region);
    const scope = p.scope ?? (p.availabilityDomain !== undefined ? 'AVAILABILITY_DOMAIN' : 'REGION');
    if (p.lifetime === 'RESERVED' && scope !== 'REGION') bad(`${path}.scope`, 'reserved public IPs have scope REGION');
    if (scope === 'AVAILABILITY_DOMAIN') {
      if (p.availabilityDomain === undefined) bad(`${path}.availabilityDomain`, 'required for scope AVAILABILITY_DOMAIN');
      else if (r && !r.ads.some((ad) => ad.name === p.availabilityDomain)) bad(`${path}.availabilityDomain`, `"${p.availabilityDomain}" is not an availability domain of ${p.region}`);
    } else if (p.availabilityDomain !== undefined) bad(`${path}.availabilityDomain`, 'only AVAILABILITY_DOMAIN-scoped public IPs have one');
    const id = p.id ?? `ocid1.publicip.oc1.${r?.key ?? 'xxx'}.fakepublicip${i}`;
    unique(`${path}.id`, id);
    const compartmentId = knownCompartment(`${path}.compartmentId`, p.compartmentId);
    publicIps.push({
      region: p.region,
      wire: compact({
        id,
        compartmentId,
        // From the id, not the position: removing one address must not rename the others (and publish their updates).
        displayName: p.displayName ?? id.split('.').pop() ?? `publicip${i}`,
        ipAddress: p.ipAddress,
        lifecycleState: p.lifecycleState,
        lifetime: p.lifetime,
        scope,
        availabilityDomain: p.availabilityDomain,
        assignedEntityType: p.assignedEntityType,
        assignedEntityId: p.assignedEntityId,
        privateIpId: p.privateIpId ?? (p.assignedEntityType === 'PRIVATE_IP' ? p.assignedEntityId : undefined),
        publicIpPoolId: p.publicIpPoolId,
        freeformTags: p.freeformTags ?? {},
        definedTags: p.definedTags ?? {},
        timeCreated: p.timeCreated ?? DEFAULT_TIME,
      }),
    });
  });

  const subnets: OciWorld['subnets'] = [];
  const subnetById = new Map<string, OciWorld['subnets'][number]>();
  inv.subnets.forEach((s, i) => {
    const path = `subnets[${i}]`;
    const r = regionOf(`${path}.region`, s.region);
    unique(`${path}.id`, s.id);
    const entry = {
      region: s.region,
      wire: compact({
        id: s.id,
        compartmentId: knownCompartment(`${path}.compartmentId`, s.compartmentId),
        vcnId: s.vcnId,
        displayName: s.displayName ?? `subnet${i}`,
        cidrBlock: s.cidrBlock,
        ipv4CidrBlocks: [s.cidrBlock],
        ipv6CidrBlock: s.ipv6CidrBlocks?.[0],
        ipv6CidrBlocks: s.ipv6CidrBlocks,
        prohibitInternetIngress: s.prohibitInternetIngress,
        prohibitPublicIpOnVnic: s.prohibitPublicIpOnVnic ?? s.prohibitInternetIngress,
        availabilityDomain: s.availabilityDomain,
        lifecycleState: s.lifecycleState,
        routeTableId: s.routeTableId ?? `ocid1.routetable.oc1.${r?.key ?? 'xxx'}.fakeroutetable${i}`,
        virtualRouterIp: '10.0.0.1',
        virtualRouterMac: '00:00:17:00:00:01',
        freeformTags: s.freeformTags ?? {},
        definedTags: s.definedTags ?? {},
        timeCreated: s.timeCreated ?? DEFAULT_TIME,
      }),
    };
    subnets.push(entry);
    subnetById.set(s.id, entry);
  });

  const v6: OciWorld['ipv6'] = [];
  inv.ipv6.forEach((a, i) => {
    const path = `ipv6[${i}]`;
    const s = subnetById.get(a.subnetId);
    if (!s) {
      bad(`${path}.subnetId`, `${a.subnetId} is not an id of oci.subnets`);
      return;
    }
    if (a.region !== undefined && a.region !== s.region) bad(`${path}.region`, `"${a.region}" differs from the region of subnet ${a.subnetId} (${s.region})`);
    const key = regions.get(s.region)?.key ?? 'xxx';
    const id = a.id ?? `ocid1.ipv6.oc1.${key}.fakeipv6${i}`;
    unique(`${path}.id`, id);
    const compartmentId = knownCompartment(`${path}.compartmentId`, a.compartmentId ?? s.wire.compartmentId);
    v6.push({
      region: s.region,
      compartmentId,
      wire: compact({
        id,
        compartmentId,
        subnetId: a.subnetId,
        vnicId: a.vnicId,
        ipAddress: a.ipAddress,
        displayName: a.displayName ?? `ipv6-${i}`,
        lifecycleState: a.lifecycleState,
        ipState: a.ipState,
        lifetime: a.lifetime,
        freeformTags: a.freeformTags ?? {},
        definedTags: a.definedTags ?? {},
        timeCreated: a.timeCreated ?? DEFAULT_TIME,
      }),
    });
  });

  let apiKeys: OciWorld['apiKeys'] = null;
  if (inv.apiKeys) {
    apiKeys = new Map();
    for (const [i, pem] of inv.apiKeys.entries()) {
      try {
        const key = createPublicKey(pem);
        apiKeys.set(fingerprintOf(key), key);
      } catch {
        bad(`apiKeys[${i}]`, 'not a readable PEM public key');
      }
    }
  }

  if (problems.length > 0) throw new OciInventoryError(problems.join('\n'));
  return {
    tenancy: inv.tenancy,
    homeRegion,
    regions,
    compartments: inv.compartments.map((c) =>
      compact({
        id: c.id,
        compartmentId: c.compartmentId ?? inv.tenancy,
        name: c.name,
        description: c.description,
        lifecycleState: c.lifecycleState,
        isAccessible: c.isAccessible,
        freeformTags: c.freeformTags ?? {},
        definedTags: c.definedTags ?? {},
        timeCreated: c.timeCreated ?? DEFAULT_TIME,
      }),
    ),
    compartmentFaults,
    publicIps,
    subnets,
    ipv6: v6,
    apiKeys,
    ...(inv.fault ? { fault: inv.fault } : {}),
    unsupportedParams: inv.unsupportedParams ?? [],
  };
}

/** Drops undefined fields, as the API leaves absent ones out of the JSON. */
function compact<T extends Record<string, unknown>>(o: T): { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
