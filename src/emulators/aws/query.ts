/** The Query protocol's flat parameters (`Filter.1.Value.2=…`) turned into what the fake needs. */

export class QueryError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export type Params = ReadonlyMap<string, string>;

export function parseForm(body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(body)) out.set(k, v);
  return out;
}

export interface Filter {
  name: string;
  values: string[];
}

export const MAX_FILTER_VALUES = 200;

/** `Filter.N.Name` / `Filter.N.Value.M`, in N order. */
export function filters(params: Params): Filter[] {
  const byIndex = new Map<number, Filter>();
  for (const [k, v] of params) {
    const m = /^Filter\.(\d+)\.(Name|Value\.(\d+))$/.exec(k);
    if (!m) continue;
    const n = Number(m[1]);
    const f = byIndex.get(n) ?? { name: '', values: [] };
    byIndex.set(n, f);
    if (m[2] === 'Name') f.name = v;
    else f.values.push(v);
  }
  const out = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
  for (const f of out) {
    if (f.name === '') throw new QueryError('InvalidParameterValue', 'The filter name must be specified');
    if (f.values.length === 0) throw new QueryError('InvalidParameterValue', `The filter '${f.name}' has no values`);
  }
  // EC2 counts the values of every filter of the request together.
  if (out.reduce((n, f) => n + f.values.length, 0) > MAX_FILTER_VALUES) {
    throw new QueryError('FilterLimitExceeded', `The maximum number of filter values specified on a single call is ${MAX_FILTER_VALUES}`);
  }
  return out;
}

/** `Prefix.1`, `Prefix.2`… (e.g. NetworkInterfaceId.N, RegionName.N). */
export function list(params: Params, prefix: string): string[] {
  const out: Array<[number, string]> = [];
  for (const [k, v] of params) {
    const m = new RegExp(`^${prefix}\\.(\\d+)$`).exec(k);
    if (m) out.push([Number(m[1]), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

export function intParam(params: Params, name: string, min: number, max: number): number | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new QueryError('InvalidParameterValue', `Value (${raw}) for parameter ${name} is invalid. Expected a value between ${min} and ${max}.`);
  }
  return n;
}

export function boolParam(params: Params, name: string): boolean | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false') throw new QueryError('InvalidParameterValue', `Value (${raw}) for parameter ${name} is invalid. Expected true or false.`);
  return raw === 'true';
}

/** EC2 filter values take `*` (any run) and `?` (one character) wildcards; matching is case-sensitive. */
export function valueMatcher(values: readonly string[]): (s: string) => boolean {
  if (values.includes('*')) return () => true;
  // Plain values (200 instance ids at a time) by set lookup; only wildcard values need a pattern.
  const exact = new Set(values.filter((v) => !/[*?]/.test(v)));
  const res = values
    .filter((v) => /[*?]/.test(v))
    .map((v) => new RegExp('^' + v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's'));
  return (s) => exact.has(s) || res.some((r) => r.test(s));
}

/**
 * Compiles filters into one predicate, given per-name extractors of an item's values. Unknown filter
 * names are refused like EC2 does, so a connector asking for a filter the fake ignores fails loudly.
 */
export function compileFilters<T>(
  fs: readonly Filter[],
  extractors: Readonly<Record<string, (item: T) => readonly (string | undefined)[]>>,
  tagsOf: (item: T) => Readonly<Record<string, string>> | undefined,
): (item: T) => boolean {
  const preds = fs.map((f): ((item: T) => boolean) => {
    const match = valueMatcher(f.values);
    if (f.name.startsWith('tag:')) {
      const key = f.name.slice(4);
      return (item) => {
        const v = tagsOf(item)?.[key];
        return v !== undefined && match(v);
      };
    }
    if (f.name === 'tag-key') return (item) => Object.keys(tagsOf(item) ?? {}).some(match);
    if (f.name === 'tag-value') return (item) => Object.values(tagsOf(item) ?? {}).some(match);
    const ex = Object.hasOwn(extractors, f.name) ? extractors[f.name] : undefined;
    if (!ex) throw new QueryError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    return (item) => ex(item).some((v) => v !== undefined && match(v));
  });
  return (item) => preds.every((p) => p(item));
}
