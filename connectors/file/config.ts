import { z } from 'zod';

export const configSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _'),
  type: z.literal('file'),
  /** YAML or JSON inventory, relative to the configuration file. Checked at every scan, read again when it changed. */
  path: z.string().min(1),
  /** Keeps only entries whose region matches (`eu-*`), as the cloud connectors do with theirs. */
  regions: z.array(z.string().min(1)).min(1).optional(),
  /** Include filter on the entries' `tags` (`*` matches any value). */
  tags: z.record(z.string(), z.string()).optional(),
});

export type Config = z.infer<typeof configSchema>;
