/**
 * Reading Cloudflare's rate-limit headers. Cloudflare sends the IETF draft's current form
 * (`Ratelimit: "default";r=50;t=30`, `Ratelimit-Policy: "burst";q=100;w=60`); proxies and older
 * deployments send the earlier forms, so all of them are read:
 *   - draft-07 dictionary: `RateLimit: limit=100, remaining=50, reset=30`, `RateLimit-Policy: 100;w=60`
 *   - drafts 00–06: `RateLimit-Limit: 100[, 100;w=60]`, `RateLimit-Remaining: 50`, `RateLimit-Reset: 30`
 *   - the de-facto `X-RateLimit-Limit/-Remaining/-Reset` (reset as seconds or as an epoch time)
 * When several say how much is left, the smallest remaining wins: pacing on the most pessimistic one is
 * the safe side of a budget shared with every other tool on the token.
 */

export interface ParsedBudget {
  remaining: number;
  resetSeconds: number;
  quota?: number;
  windowSeconds?: number;
}

interface Member {
  item: string;
  params: Map<string, string>;
}

/** Splits on `sep` outside double quotes. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '\\' && quoted && i + 1 < s.length) {
      cur += ch + (s[i + 1] as string);
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/\\(.)/g, '$1') : t;
}

/** A structured-field list, loosely: `item;k=v;k=v, item;k=v`. */
function parseList(value: string): Member[] {
  const members: Member[] = [];
  for (const raw of splitOutsideQuotes(value, ',')) {
    const parts = splitOutsideQuotes(raw, ';').map((p) => p.trim());
    const item = parts.shift();
    if (item === undefined || (item === '' && parts.length === 0)) continue;
    const params = new Map<string, string>();
    for (const p of parts) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), unquote(p.slice(eq + 1)));
      else if (p !== '') params.set(p.toLowerCase(), '?1');
    }
    members.push({ item: item.trim(), params });
  }
  return members;
}

/** A non-negative finite number, or undefined. Structured-field integers and decimals both accepted. */
function num(s: string | undefined | null): number | undefined {
  if (s === undefined || s === null) return undefined;
  const t = unquote(s);
  if (!/^\d+(\.\d+)?$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function isDictionaryForm(members: Member[]): boolean {
  return members.some((m) => /^[a-z][a-z0-9_-]*=/i.test(m.item));
}

/** `RateLimit` header, current form or draft-07 dictionary. */
function fromRateLimit(value: string, policyValue: string | null): ParsedBudget | undefined {
  const members = parseList(value);
  if (members.length === 0) return undefined;
  const policies = policyValue === null ? [] : parseList(policyValue);

  if (isDictionaryForm(members)) {
    const dict = new Map<string, string>();
    for (const m of members) {
      const eq = m.item.indexOf('=');
      if (eq > 0) dict.set(m.item.slice(0, eq).trim().toLowerCase(), m.item.slice(eq + 1).trim());
    }
    const remaining = num(dict.get('remaining'));
    const reset = num(dict.get('reset'));
    if (remaining === undefined || reset === undefined) return undefined;
    const out: ParsedBudget = { remaining, resetSeconds: reset };
    const quota = num(dict.get('limit')) ?? num(policies[0]?.item);
    const window = num(policies[0]?.params.get('w'));
    if (quota !== undefined) out.quota = quota;
    if (window !== undefined) out.windowSeconds = window;
    return out;
  }

  let best: { name: string; remaining: number; reset: number } | undefined;
  for (const m of members) {
    const remaining = num(m.params.get('r'));
    const reset = num(m.params.get('t'));
    if (remaining === undefined || reset === undefined) continue;
    if (!best || remaining < best.remaining || (remaining === best.remaining && reset > best.reset)) {
      best = { name: unquote(m.item), remaining, reset };
    }
  }
  if (!best) return undefined;
  const out: ParsedBudget = { remaining: best.remaining, resetSeconds: best.reset };
  // The policy of the same name describes this limit; Cloudflare has been seen naming them differently
  // ("default" vs "burst"), and then the first policy is the best description there is.
  const policy = policies.find((p) => unquote(p.item) === best.name) ?? policies[0];
  if (policy) {
    const quota = num(policy.params.get('q')) ?? num(policy.item);
    const window = num(policy.params.get('w'));
    if (quota !== undefined) out.quota = quota;
    if (window !== undefined) out.windowSeconds = window;
  }
  return out;
}

/** `X-RateLimit-Reset` is seconds-from-now in some APIs and an epoch time (s or ms) in others. */
function resetFromMaybeEpoch(n: number, now: number): number {
  if (n > 1e12) return Math.max(0, Math.ceil((n - now) / 1000));
  if (n > 1e9) return Math.max(0, Math.ceil(n - now / 1000));
  return n;
}

/** Separate Limit / Remaining / Reset headers under `prefix` (`ratelimit-` or `x-ratelimit-`). */
function fromSeparate(headers: Headers, prefix: string, now: number): ParsedBudget | undefined {
  const remaining = num(headers.get(`${prefix}remaining`));
  const rawReset = num(headers.get(`${prefix}reset`));
  if (remaining === undefined || rawReset === undefined) return undefined;
  const out: ParsedBudget = { remaining, resetSeconds: resetFromMaybeEpoch(rawReset, now) };
  const limit = headers.get(`${prefix}limit`);
  if (limit !== null) {
    const members = parseList(limit);
    const quota = num(members[0]?.item);
    const window = members.map((m) => num(m.params.get('w'))).find((w) => w !== undefined);
    if (quota !== undefined) out.quota = quota;
    if (window !== undefined) out.windowSeconds = window;
  }
  return out;
}

/** The budget the response headers describe, or undefined when they describe none. Never throws. */
export function parseRateBudget(headers: Headers, now: number = Date.now()): ParsedBudget | undefined {
  const candidates: ParsedBudget[] = [];
  const rl = headers.get('ratelimit');
  if (rl !== null) {
    const b = fromRateLimit(rl, headers.get('ratelimit-policy'));
    if (b) candidates.push(b);
  }
  for (const prefix of ['ratelimit-', 'x-ratelimit-']) {
    const b = fromSeparate(headers, prefix, now);
    if (b) candidates.push(b);
  }
  let best: ParsedBudget | undefined;
  for (const c of candidates) {
    if (!best || c.remaining < best.remaining || (c.remaining === best.remaining && c.resetSeconds > best.resetSeconds)) {
      best = c;
    }
  }
  return best;
}

export const DEFAULT_RETRY_AFTER_MS = 60_000;

/**
 * How long to wait after a 429: `retry-after-ms` (what Cloudflare's own SDK reads first), then
 * `Retry-After` as seconds or as an HTTP date, then the `t=` of the `Ratelimit` header, else 60 s.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number {
  const ms = num(headers.get('retry-after-ms'));
  if (ms !== undefined) return Math.ceil(ms);
  const ra = headers.get('retry-after');
  if (ra !== null) {
    const seconds = num(ra);
    if (seconds !== undefined) return Math.ceil(seconds * 1000);
    const date = Date.parse(ra.trim());
    if (Number.isFinite(date) && /[a-z]/i.test(ra)) return Math.max(0, date - now);
  }
  const budget = parseRateBudget(headers, now);
  if (budget) return Math.ceil(budget.resetSeconds * 1000);
  return DEFAULT_RETRY_AFTER_MS;
}
