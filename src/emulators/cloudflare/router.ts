import type { Route } from './context.ts';

export type RouteMatch =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  /** The path exists but not with this method: still "No route for the URI", counted under the pattern. */
  | { kind: 'method'; pattern: string; family: Route['family'] }
  | { kind: 'none' };

interface Compiled {
  route: Route;
  segments: string[];
  literals: number;
}

/**
 * Matches a path under /client/v4 against the route table. Literal segments beat parameters, so
 * `…/batch` and `…/supported_regions` are never read as an origin IP. Parameters are percent-decoded
 * (`2001%3Adb8%3A%3A1` and the raw `2001:db8::1` are the same IP); a segment that does not decode matches nothing.
 */
export class Router {
  readonly #routes: Compiled[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes
      .map((route) => {
        const segments = route.pattern.split('/').slice(1);
        return { route, segments, literals: segments.filter((s) => !s.startsWith(':')).length };
      })
      .sort((a, b) => b.literals - a.literals);
  }

  match(method: string, path: string): RouteMatch {
    const parts = path.split('/').slice(1);
    let methodMiss: RouteMatch | undefined;
    let missLiterals = -1;
    for (const c of this.#routes) {
      // A more specific path matched with another method: `PUT …/supported_regions` is no route, not an IP.
      if (c.literals < missLiterals) break;
      const params = matchSegments(c.segments, parts);
      if (!params) continue;
      if (c.route.method === method) return { kind: 'route', route: c.route, params };
      if (!methodMiss) {
        methodMiss = { kind: 'method', pattern: c.route.pattern, family: c.route.family };
        missLiterals = c.literals;
      }
    }
    return methodMiss ?? { kind: 'none' };
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? '';
    const s = parts[i] ?? '';
    if (p.startsWith(':')) {
      if (s === '') return undefined;
      try {
        params[p.slice(1)] = decodeURIComponent(s);
      } catch {
        return undefined;
      }
    } else if (p !== s) {
      return undefined;
    }
  }
  return params;
}
