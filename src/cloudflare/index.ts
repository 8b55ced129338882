export { createCloudflareClient, DEFAULT_TIMEOUT_MS, MAX_BATCH } from './client.ts';
export type { CloudflareClient, CloudflareClientOptions, FamilyMemory } from './client.ts';
export { CloudflareApiError, classifyFailure } from './errors.ts';
export { parseRateBudget, retryAfterMs } from './rate-limit.ts';
export type * from './types.ts';
