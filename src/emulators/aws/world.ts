import type { AwsInventory, InventoryAccount, InventoryFault, InventoryInterface, InventoryQuirks, InventoryRegion } from './inventory.ts';

/**
 * The validated inventory indexed for serving: per account and region, the interfaces of the region
 * and those written under instances (given the attachment their placement implies), in inventory order.
 */

export interface Attachment {
  instanceId?: string;
  instanceOwnerId?: string;
  attachmentId?: string;
  deviceIndex?: number;
  status?: string;
}

export interface Eni {
  src: Omit<InventoryInterface, 'attachment'>;
  attachment: Attachment | undefined;
}

export interface RegionState {
  name: string;
  src: InventoryRegion;
  enis: Eni[];
}

export interface AccountState {
  id: string;
  src: InventoryAccount;
  regions: Map<string, RegionState>;
}

export interface World {
  accounts: Map<string, AccountState>;
  defaultAccount: string | undefined;
  quirks: InventoryQuirks;
}

/** Regions an account must opt in to (DescribeRegions reports them `opted-in` once enabled). */
export const OPT_IN_REGIONS = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
]);

export function buildWorld(inv: AwsInventory): World {
  const accounts = new Map<string, AccountState>();
  for (const [id, acct] of Object.entries(inv.accounts)) {
    const regions = new Map<string, RegionState>();
    for (const [name, r] of Object.entries(acct.regions)) {
      const enis: Eni[] = [];
      for (const n of r.networkInterfaces ?? []) {
        const { attachment, ...src } = n;
        enis.push({ src, attachment });
      }
      for (const inst of r.instances ?? []) {
        (inst.networkInterfaces ?? []).forEach((n, i) => {
          const { deviceIndex, ...src } = n;
          enis.push({
            src,
            attachment: { instanceId: inst.instanceId, instanceOwnerId: id, deviceIndex: deviceIndex ?? i, status: 'attached' },
          });
        });
      }
      regions.set(name, { name, src: r, enis });
    }
    accounts.set(id, { id, src: acct, regions });
  }
  return { accounts, defaultAccount: inv.defaultAccount ?? accounts.keys().next().value, quirks: inv.quirks ?? {} };
}

/** The first fault that applies to a request, region faults before account faults. */
export function findFault(
  account: AccountState | undefined,
  region: RegionState | undefined,
  action: string,
  page: number,
): InventoryFault | undefined {
  const applies = (f: InventoryFault) => (f.action === undefined || f.action === action) && (f.page === undefined || f.page === page);
  return region?.src.faults?.find(applies) ?? account?.src.faults?.find(applies);
}

const STATUS_BY_CODE: Record<string, number> = {
  UnauthorizedOperation: 403,
  AccessDenied: 403,
  Blocked: 403,
  AuthFailure: 401,
  OptInRequired: 401,
  RequestLimitExceeded: 503,
  Throttling: 400,
  InternalError: 500,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  Unavailable: 503,
};

const MESSAGE_BY_CODE: Record<string, string> = {
  UnauthorizedOperation: 'You are not authorized to perform this operation.',
  AccessDenied: 'User is not authorized to perform this operation.',
  AuthFailure: 'AWS was not able to validate the provided access credentials',
  OptInRequired: 'You are not subscribed to this service. Please go to http://aws.amazon.com to subscribe.',
  RequestLimitExceeded: 'Request limit exceeded.',
  InternalError: 'An internal error has occurred',
};

export function faultStatus(f: InventoryFault): number {
  return f.status ?? STATUS_BY_CODE[f.code] ?? 400;
}

export function faultMessage(f: InventoryFault): string {
  return f.message ?? MESSAGE_BY_CODE[f.code] ?? `Injected fault ${f.code}`;
}
