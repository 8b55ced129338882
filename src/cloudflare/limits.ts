/**
 * Cloudflare's published limits for origin cloud region mappings, in one place: the planner, the
 * configuration schema and the pipeline read them from here (../../shared/research/cloudflare-api.md).
 */

/** Mappings one zone may hold; a write beyond answers 403 with code 1164. */
export const MAX_MAPPINGS_PER_ZONE = 3500;

/** Items in one batch request (v1 PATCH …/batch, v2 PUT …/batch). */
export const MAX_BATCH = 100;
