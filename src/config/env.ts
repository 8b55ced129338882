import { keyPath } from './errors.ts';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface Expanded {
  value: unknown;
  /** Key paths whose string came (wholly or partly) from the environment. */
  fromEnv: Set<string>;
  /** Key paths that named an unset variable and were let through as `optional` (their value is a placeholder). */
  unset: Set<string>;
  issues: string[];
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed config. `$${` escapes a literal.
 * A reference to an unset variable without a default is an error naming the key.
 */
export function expandEnv(doc: unknown, env: NodeJS.ProcessEnv, optional: (path: string) => boolean = () => false): Expanded {
  const fromEnv = new Set<string>();
  const unset = new Set<string>();
  const issues: string[] = [];
  const walk = (v: unknown, path: PropertyKey[]): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('${')) return v;
      let used = false;
      const expand = (part: string) =>
        part.replace(REF, (_m, name: string, def: string | undefined) => {
          used = true;
          const val = env[name];
          if (val !== undefined && val !== '') return val;
          if (def !== undefined) return def;
          if (optional(keyPath(path))) {
            unset.add(keyPath(path));
            return `(${name} unset)`;
          }
          issues.push(`${keyPath(path)}: environment variable ${name} is not set`);
          return '';
        });
      const out = v.split('$${').map(expand).join('${');
      if (used) fromEnv.add(keyPath(path));
      return out;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  return { value: walk(doc, []), fromEnv, unset, issues };
}
