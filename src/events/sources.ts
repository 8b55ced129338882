import { z } from 'zod';
import * as gcpPubsub from '../../connectors/gcp/events.ts';
import type { EventSource, EventSourceContext } from './types.ts';

/**
 * Every kind of event source, by `type`. A vendor source lives with its vendor
 * (`connectors/<vendor>/events.ts`: `sourceSchema` + `createEventSource`); the webhook is served by the
 * daemon's HTTP server and has no consumer of its own.
 */
const webhookSchema = z.strictObject({
  name: z.string(),
  type: z.literal('webhook'),
  token: z.string().min(1).optional(),
  tokenFile: z.string().optional(),
  path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'a URL path such as /events').default('/events'),
  maxBytes: z.int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
});

const SCHEMAS = [webhookSchema, gcpPubsub.sourceSchema] as const;
export const SOURCE_TYPES = SCHEMAS.map((s) => s.shape.type.value);

export const eventSourceSchema = z.discriminatedUnion('type', SCHEMAS, {
  error: (iss) =>
    iss.code === 'invalid_union' ? `unknown event source type ${JSON.stringify((iss.input as { type?: unknown })?.type)} (one of ${SOURCE_TYPES.join(', ')})` : undefined,
});

export type EventSourceConfig = z.infer<typeof eventSourceSchema>;
export type WebhookSourceConfig = Extract<EventSourceConfig, { type: 'webhook' }>;

/**
 * Builds the consumer of a queue source; null for the webhook. The vendor SDKs are large, so each is
 * imported only when a configured source needs it.
 */
export async function createEventSource(config: EventSourceConfig, ctx: EventSourceContext): Promise<EventSource | null> {
  switch (config.type) {
    case 'webhook':
      return null;
    case 'gcp-pubsub':
      return gcpPubsub.createEventSource(config, ctx);
  }
}
