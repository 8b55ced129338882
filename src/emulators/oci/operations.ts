import type { OciWorld, Operation } from './inventory.ts';

/** An answer in OCI's error shape: `{"code": …, "message": …}` with the HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface Query {
  get(name: string): string | undefined;
}

export interface OperationResult {
  items: Array<Record<string, unknown>>;
  /** List operations with `page`/`limit`; the others answer everything at once. */
  paged: boolean;
  /** The compartment the request is about, for compartment faults. */
  compartmentId?: string;
}

/** Maps `/20160918/<rest>` to an operation; null when the fake does not serve that path. */
export function route(rest: string[]): { op: Operation; tenancyId?: string } | null {
  const [a, b, c, ...more] = rest;
  if (more.length > 0) return null;
  if (a === 'tenancies' && b && c === 'regionSubscriptions') return { op: 'listRegionSubscriptions', tenancyId: b };
  if (b !== undefined) return null;
  const ops: Record<string, Operation> = {
    compartments: 'listCompartments',
    availabilityDomains: 'listAvailabilityDomains',
    publicIps: 'listPublicIps',
    subnets: 'listSubnets',
    ipv6: 'listIpv6s',
  };
  const op = a === undefined ? undefined : ops[a];
  return op ? { op } : null;
}

const missing = (name: string) => new ApiError(400, 'MissingParameter', `Missing required parameter: ${name}`);
const notFound = (what: string) => new ApiError(404, 'NotAuthorizedOrNotFound', `Authorization failed or requested resource not found: ${what}`);

function required(q: Query, name: string): string {
  const v = q.get(name);
  if (v === undefined || v === '') throw missing(name);
  return v;
}

function oneOf<T extends string>(q: Query, name: string, values: readonly T[]): T | undefined {
  const v = q.get(name);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw new ApiError(400, 'InvalidParameter', `Invalid value for ${name}: must be one of ${values.join(', ')}`);
  return v as T;
}

function knownCompartment(world: OciWorld, id: string): void {
  if (id !== world.tenancy && !world.compartments.some((c) => c.id === id)) throw notFound(`compartment ${id}`);
}

/** Runs one operation in one region: the items in inventory order, filtered as OCI filters them. */
export function runOperation(world: OciWorld, op: Operation, region: string, q: Query, tenancyId?: string): OperationResult {
  const r = world.regions.get(region);
  if (!r) throw new ApiError(401, 'NotAuthenticated', `The tenancy is not subscribed to region ${region}`);
  switch (op) {
    case 'listRegionSubscriptions': {
      if (tenancyId !== world.tenancy) throw notFound(`tenancy ${tenancyId ?? ''}`);
      const items = [...world.regions].map(([name, x]) => ({ regionKey: x.key.toUpperCase(), regionName: name, status: x.status, isHomeRegion: name === world.homeRegion }));
      return { items, paged: false };
    }
    case 'listAvailabilityDomains': {
      const compartmentId = required(q, 'compartmentId');
      knownCompartment(world, compartmentId);
      return { items: r.ads.map((ad) => ({ name: ad.name, id: ad.id, compartmentId: world.tenancy })), paged: false, compartmentId };
    }
    case 'listCompartments': {
      const compartmentId = required(q, 'compartmentId');
      knownCompartment(world, compartmentId);
      const subtree = oneOf(q, 'compartmentIdInSubtree', ['true', 'false'] as const) === 'true';
      if (subtree && compartmentId !== world.tenancy) {
        throw new ApiError(400, 'InvalidParameter', 'compartmentIdInSubtree can only be true when compartmentId is the tenancy (root compartment)');
      }
      const access = oneOf(q, 'accessLevel', ['ANY', 'ACCESSIBLE'] as const) ?? 'ANY';
      const state = oneOf(q, 'lifecycleState', ['CREATING', 'ACTIVE', 'INACTIVE', 'DELETING', 'DELETED'] as const);
      const name = q.get('name');
      const parent = new Map(world.compartments.map((c) => [c.id, c.compartmentId]));
      const under = (id: string): boolean => {
        for (let p = parent.get(id); p !== undefined; p = parent.get(p)) if (p === compartmentId) return true;
        return false;
      };
      const items = world.compartments.filter(
        (c) =>
          (subtree ? under(c.id) : c.compartmentId === compartmentId) &&
          (access === 'ANY' || c.isAccessible) &&
          (state === undefined || c.lifecycleState === state) &&
          (name === undefined || c['name'] === name),
      );
      return { items, paged: true, compartmentId };
    }
    case 'listPublicIps': {
      const scope = oneOf(q, 'scope', ['REGION', 'AVAILABILITY_DOMAIN'] as const);
      if (scope === undefined) throw missing('scope');
      const compartmentId = required(q, 'compartmentId');
      knownCompartment(world, compartmentId);
      const ad = q.get('availabilityDomain');
      if (scope === 'AVAILABILITY_DOMAIN') {
        if (ad === undefined || ad === '') throw missing('availabilityDomain');
        if (!r.ads.some((x) => x.name === ad)) throw new ApiError(400, 'InvalidParameter', `Invalid availabilityDomain ${ad} for region ${region}`);
      } else if (ad !== undefined) {
        throw new ApiError(400, 'InvalidParameter', 'availabilityDomain must be empty when scope is REGION');
      }
      const lifetime = oneOf(q, 'lifetime', ['EPHEMERAL', 'RESERVED'] as const);
      const pool = q.get('publicIpPoolId');
      const items = world.publicIps
        .filter(
          (p) =>
            p.region === region &&
            p.wire.compartmentId === compartmentId &&
            p.wire.scope === scope &&
            (ad === undefined || p.wire['availabilityDomain'] === ad) &&
            (lifetime === undefined || p.wire.lifetime === lifetime) &&
            (pool === undefined || p.wire['publicIpPoolId'] === pool),
        )
        .map((p) => p.wire);
      return { items, paged: true, compartmentId };
    }
    case 'listSubnets': {
      const compartmentId = required(q, 'compartmentId');
      knownCompartment(world, compartmentId);
      const vcnId = q.get('vcnId');
      const state = oneOf(q, 'lifecycleState', ['PROVISIONING', 'AVAILABLE', 'TERMINATING', 'TERMINATED', 'UPDATING'] as const);
      const items = world.subnets
        .filter((s) => s.region === region && s.wire.compartmentId === compartmentId && (vcnId === undefined || s.wire.vcnId === vcnId) && (state === undefined || s.wire.lifecycleState === state))
        .map((s) => s.wire);
      return { items, paged: true, compartmentId };
    }
    case 'listIpv6s': {
      const subnetId = q.get('subnetId');
      const vnicId = q.get('vnicId');
      if (!subnetId && !vnicId) throw new ApiError(400, 'MissingParameter', 'Either subnetId or vnicId must be specified');
      let compartmentId: string | undefined;
      if (subnetId) {
        const s = world.subnets.find((x) => x.wire.id === subnetId && x.region === region);
        if (!s) throw notFound(`subnet ${subnetId}`);
        compartmentId = s.wire.compartmentId;
      }
      const ipState = oneOf(q, 'ipState', ['ASSIGNED', 'AVAILABLE'] as const);
      const lifetime = oneOf(q, 'lifetime', ['EPHEMERAL', 'RESERVED'] as const);
      const ipAddress = q.get('ipAddress');
      const items = world.ipv6
        .filter(
          (a) =>
            a.region === region &&
            (subnetId === undefined || a.wire.subnetId === subnetId) &&
            (vnicId === undefined || a.wire['vnicId'] === vnicId) &&
            (ipState === undefined || a.wire['ipState'] === ipState) &&
            (lifetime === undefined || a.wire['lifetime'] === lifetime) &&
            (ipAddress === undefined || a.wire['ipAddress'] === ipAddress),
        )
        .map((a) => a.wire);
      return compartmentId === undefined ? { items, paged: true } : { items, paged: true, compartmentId };
    }
  }
}
