import { z } from 'zod';

// Project ids as GCP issues them (6–30 chars), plus the legacy domain-scoped form `example.com:my-project`.
export const PROJECT_ID = /^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
export const projectId = z
  .string()
  .regex(
    PROJECT_ID,
    'not a GCP project id (6-30 lowercase letters, digits and hyphens, starting with a letter; "example.com:my-project" allowed)',
  );

// Zod runs every check even after the url check failed, so the refinements parse defensively.
const asUrl = (u: string): URL | null => (URL.canParse(u) ? new URL(u) : null);
const endpoint = z
  .url({ protocol: /^https?$/, error: 'endpoint must be an http(s) URL' })
  .refine((u) => {
    const url = asUrl(u);
    return !url || (url.username === '' && url.password === '');
  }, 'endpoint must not carry credentials (user:password@)')
  .refine((u) => {
    const url = asUrl(u);
    return !url || ((url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '');
  }, 'endpoint is a base URL (scheme, host, port): the compute client cannot use a path prefix');

/**
 * A GCP connector: the compute API's aggregated lists (addresses, instances, forwarding rules) of each
 * configured project. Credentials are never configured here: production uses Application Default
 * Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud ADC, workload identity, the metadata server).
 */
export const configSchema = z
  .object({
    name: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only (it is part of scope ids)'),
    type: z.literal('gcp'),
    projects: z
      .array(projectId)
      .min(1, 'list at least one project')
      .refine((ps) => new Set(ps).size === ps.length, 'projects are listed more than once'),
    /** Keeps only items in matching regions (`europe-*`); global items are reported as skipped either way. */
    regions: z.array(z.string().regex(/^[a-z0-9*-]+$/, 'a region name or pattern like "europe-*"')).min(1).optional(),
    /** Include filter on GCP labels: every key must be present with this value (`*`: any value). */
    tags: z.record(z.string(), z.string()).optional(),
    /** Aggregated lists run in parallel inside one discover call, at most this many at once (default 4). */
    concurrency: z.number().int().min(1).max(64).optional(),
    /** Points the compute client at a fake (e.g. `http://127.0.0.1:8085`); no credentials are sent there. */
    endpoint: endpoint.optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
