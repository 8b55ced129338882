import { inventoryPath, inventorySection } from '../inventory.ts';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { checkRegion, ociRegionKeys } from '../../model/index.ts';
import { z } from 'zod';

// The zod schema of the inventory's oci section (the JSON Schema is generated from it, in schema.ts).

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
