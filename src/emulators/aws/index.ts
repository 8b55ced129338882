// The fake's public entry, as in the other vendors' folders: the server (server.ts) and what callers name.
export { startAwsFake, type AwsFake, type AwsFakeOptions } from './server.ts';
export { parseAwsInventory } from './inventory.ts';
export type { EventBridgeEvent } from './events.ts';
