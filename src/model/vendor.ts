/** The four cloud vendors Cloudflare accepts in an origin cloud region mapping. */
export const VENDORS = ['aws', 'azure', 'gcp', 'oci'] as const;
export type Vendor = (typeof VENDORS)[number];

export function isVendor(value: unknown): value is Vendor {
  return typeof value === 'string' && (VENDORS as readonly string[]).includes(value);
}
