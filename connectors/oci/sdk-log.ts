import { format } from 'node:util';
import * as common from 'oci-common';
import type { Logger } from 'pino';

/**
 * The OCI SDK logs two ways: through its logger hook (`LOG.logger`, unset by default) and, in its
 * retrier, config reader and federation client, straight to console.warn / console.log ("Request failed
 * with Exception … Retrying request -> Total Attempts…"). Both would put plain-text lines into a log
 * stream that is otherwise one JSON object per line, so both are routed into pino: the hook with an
 * adapter, the console calls by telling the SDK's own frames on the call stack apart from everyone
 * else's (whose console calls pass through untouched). Retry chatter goes to debug: the connector reports
 * the call's final outcome itself.
 */

let routed: Logger | undefined;

const OCI_FRAME = /[\\/]node_modules[\\/]oci-[a-z0-9-]+[\\/]/;

function fromOciSdk(): boolean {
  return OCI_FRAME.test(new Error().stack ?? '');
}

/** At most this much of one SDK message: some print whole error objects. */
const MAX_TEXT = 2000;

type ConsoleMethod = 'log' | 'info' | 'warn' | 'error' | 'debug';
const LEVELS: ReadonlyArray<[ConsoleMethod, 'debug' | 'warn']> = [
  ['log', 'debug'],
  ['info', 'debug'],
  ['debug', 'debug'],
  ['warn', 'warn'],
  ['error', 'warn'],
];

/** Installs the routing once per process (the first OCI connector's logger carries it). */
export function routeOciSdkLogging(logger: Logger): void {
  if (routed) return;
  const log = logger.child({ sdk: 'oci' });
  routed = log;
  const emit = (level: 'debug' | 'warn', args: unknown[]) => {
    const text = format(...args).slice(0, MAX_TEXT);
    log[level === 'warn' && /retr/i.test(text) ? 'debug' : level](text);
  };
  common.LOG.logger = {
    level: log.level,
    trace: (...a: unknown[]) => emit('debug', a),
    debug: (...a: unknown[]) => emit('debug', a),
    info: (...a: unknown[]) => emit('debug', a),
    warn: (...a: unknown[]) => emit('warn', a),
    error: (...a: unknown[]) => emit('warn', a),
  };
  for (const [method, level] of LEVELS) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      if (fromOciSdk()) emit(level, args);
      else original.apply(console, args);
    };
  }
}
