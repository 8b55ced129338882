import { z } from 'zod';

export const DEFAULT_PATH = '/events';
/** Event Grid's largest batch (preferred-batch-size-in-kilobytes ≤ 1024, learn.microsoft.com/azure/event-grid/delivery-and-retry). */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * `events.sources[]` entry of type webhook. Zod only: the configuration loader imports it, and must not
 * load the HTTP side (the cloudevents SDK) for commands that never serve. Rules across fields and
 * sources (token xor tokenFile, one path per source, the server's own routes) are in src/config/schema.ts.
 */
export const sourceSchema = z.strictObject({
  name: z.string(),
  type: z.literal('webhook'),
  token: z.string().min(1).optional(),
  tokenFile: z.string().optional(),
  path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'a URL path such as /events').default(DEFAULT_PATH),
  maxBytes: z.int().min(1024).max(16 * 1024 * 1024).default(DEFAULT_MAX_BYTES),
});

export type WebhookSourceConfig = z.infer<typeof sourceSchema>;
