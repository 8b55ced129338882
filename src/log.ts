import { pino, type Logger } from 'pino';

/** Paths pino blanks in every line: a second line of defence behind the Secret type. */
const REDACT = ['token', 'key', 'authorization', 'password', '*.token', '*.key', '*.authorization', '*.password', 'headers.authorization', 'headers["x-auth-key"]'];

/**
 * The daemon logs JSON lines to stdout (what log collectors expect); commands a human runs log to
 * stderr, so their own output on stdout stays clean and pipeable.
 */
export function createLogger(opts: { level: string; stream?: 'stdout' | 'stderr' }): Logger {
  return pino({ level: opts.level, base: { app: 'origin-region-sync' }, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination(opts.stream === 'stderr' ? 2 : 1));
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug';

/**
 * One line per distinct message per window: while Redis is away every connection reports the same
 * error several times a second, and an outage of an hour must not bury the lines around it. The first
 * occurrence is logged at once; repeats within `windowMs` are counted and the next line after the
 * window says how many were left out (`repeated`).
 */
export function throttledLog(logger: Logger, windowMs = 30_000): (level: LogLevel, key: string, fields: Record<string, unknown>, msg: string) => void {
  const seen = new Map<string, { at: number; repeated: number }>();
  return (level, key, fields, msg) => {
    const now = Date.now();
    const s = seen.get(key);
    if (s && now - s.at < windowMs) {
      s.repeated++;
      return;
    }
    if (seen.size > 1000) seen.clear(); // error texts vary (ports, ids): never grow without bound
    seen.set(key, { at: now, repeated: 0 });
    logger[level]({ ...fields, ...(s?.repeated ? { repeated: s.repeated, windowMs } : {}) }, msg);
  };
}

/**
 * An error as one line: Node's "connect to every address of a name" failure is an AggregateError with
 * an empty message, and a message over several lines would break the one-line rule of the CLI.
 */
export function errorText(err: unknown): string {
  if (err instanceof AggregateError && !err.message) return [...new Set(err.errors.map(errorText))].join('; ');
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const text = (typeof e?.message === 'string' && e.message) || (typeof e?.code === 'string' && e.code) || String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
