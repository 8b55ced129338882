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
