import { z } from 'zod';

export const configSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _'),
  type: z.literal('file'),
  /** YAML or JSON inventory, relative to the configuration file. Read again at every scan. */
  path: z.string().min(1),
});

export type Config = z.infer<typeof configSchema>;
