import type { EmulatorBehavior } from './behavior.ts';
import type { MappingStore } from './store.ts';
import type { RegionIndex, SupportedRegions } from './supported-regions.ts';

/** What the route handlers share: the store and the fixed configuration. */
export interface EmulatorState {
  store: MappingStore;
  regions: RegionIndex;
  catalogue: SupportedRegions;
  behavior: EmulatorBehavior;
  maxBatch: number;
  /** RFC 3339 UTC, whole seconds with `Z`, as in Cloudflare's examples. */
  timestamp(): string;
}

export interface RequestContext {
  state: EmulatorState;
  /** Path parameters, percent-decoded: zone_id, origin_ip. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body, or undefined when the request has none; 400/6007 when it is not JSON. */
  body(): Promise<unknown>;
}

export interface Reply {
  status?: number;
  result: unknown;
  result_info?: Record<string, number>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under /client/v4 with `:name` parameters; also the `route` in stats. */
  pattern: string;
  family: 'v1' | 'v2';
  handle(ctx: RequestContext): Reply | Promise<Reply>;
}
