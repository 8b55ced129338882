import { z } from 'zod';
import * as awsSqs from '../../connectors/aws/events.ts';
import * as gcpPubsub from '../../connectors/gcp/events.ts';
import * as azureStorageQueue from '../../connectors/azure/events.ts';
import * as ociStreaming from '../../connectors/oci/events.ts';
import type { EventSource, EventSourceContext } from './types.ts';
import { sourceSchema as webhookSchema } from './webhook-config.ts';

/**
 * Every kind of event source, by `type`. A vendor source lives with its vendor
 * (`connectors/<vendor>/events.ts`: `sourceSchema` + `createEventSource`, which loads the vendor's SDK
 * only when a source starts, since every configuration load reads these schemas); the webhook is served
 * by the daemon's HTTP server and has no consumer of its own (`src/events/webhook.ts`: `registerWebhook`).
 */
const SCHEMAS = [webhookSchema, awsSqs.sourceSchema, gcpPubsub.sourceSchema, azureStorageQueue.sourceSchema, ociStreaming.sourceSchema] as const;
export const SOURCE_TYPES = SCHEMAS.map((s) => s.shape.type.value);

export const eventSourceSchema = z.discriminatedUnion('type', SCHEMAS, {
  error: (iss) =>
    iss.code === 'invalid_union' ? `unknown event source type ${JSON.stringify((iss.input as { type?: unknown })?.type)} (one of ${SOURCE_TYPES.join(', ')})` : undefined,
});

export type EventSourceConfig = z.infer<typeof eventSourceSchema>;
export type WebhookSourceConfig = Extract<EventSourceConfig, { type: 'webhook' }>;

/** Builds the consumer of a queue source; null for the webhook. */
export async function createEventSource(config: EventSourceConfig, ctx: EventSourceContext): Promise<EventSource | null> {
  switch (config.type) {
    case 'webhook':
      return null;
    case 'aws-sqs':
      return awsSqs.createEventSource(config, ctx);
    case 'gcp-pubsub':
      return gcpPubsub.createEventSource(config, ctx);
    case 'azure-storage-queue':
      return azureStorageQueue.createEventSource(config, ctx);
    case 'oci-streaming':
      return ociStreaming.createEventSource(config, ctx);
  }
}
