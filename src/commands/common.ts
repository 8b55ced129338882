import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { ConfigError } from '../config/errors.ts';
import { loadConfig, type Config, type LoadOptions } from '../config/load.ts';
import { createLogger, errorText } from '../log.ts';
import type { RedisClient } from '../state/redis-connection.ts';

/** Exit codes every command keeps. */
export const EXIT = { ok: 0, error: 1, usage: 2, held: 3 } as const;

/** A failure the user can act on: printed as is (no stack), with its exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.error) {
    super(message);
    this.exitCode = exitCode;
  }
}

export interface GlobalOptions {
  config?: string;
  logLevel?: string;
}

/** An option argument that must be a whole number ≥ 0 (`--limit`, `--errors`): anything else is a usage error. */
export function countArg(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number ≥ 0 (e.g. 20)');
  return Number(value);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** --log-level, refused with the valid levels (exit 2) before anything starts. */
export function logLevelOption(description: string): Option {
  return new Option('--log-level <level>', description).choices(LOG_LEVELS);
}

export function addConfigOption(cmd: Command): Command {
  return cmd.option('-c, --config <file>', 'configuration file (default: $ORS_CONFIG, else ./origin-region-sync.yaml)');
}

/** `uses.cloudflare: false` for commands that never talk to Cloudflare: its credentials are then not needed. */
export async function loadConfigFor(opts: GlobalOptions, logger?: Logger, uses: LoadOptions = {}): Promise<Config> {
  const config = await loadConfig({ ...(opts.config ? { path: opts.config } : {}), ...uses });
  for (const w of config.warnings) (logger ?? console).warn(w);
  return config;
}

/** Commands a human runs log to stderr, quietly unless asked; the daemon logs JSON to stdout. */
export function cliLogger(config: Config | undefined, opts: GlobalOptions & { verbose?: boolean }, daemon = false): Logger {
  const level = opts.logLevel ?? (daemon ? (config?.log.level ?? 'info') : opts.verbose ? 'info' : 'warn');
  return createLogger({ level, stream: daemon ? 'stdout' : 'stderr' });
}

export function formatError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof ConfigError) return { message: err.message, exitCode: EXIT.usage };
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  return { message: errorText(err), exitCode: EXIT.error };
}

/** Runs `stop` on the first SIGINT/SIGTERM; a second signal exits at once. */
export function onSignals(stop: (signal: string) => Promise<void> | void): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`\n${signal} again: exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    void stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** The zone `--zone` names (its id or its name); a usage error listing the configured ones otherwise. */
export function zoneByIdOrName(config: Config, text: string): Config['zones'][number] {
  const z = config.zones.find((x) => x.id === text || x.name === text);
  if (!z) throw new CliError(`no zone "${text}" in ${config.file} (zones: ${config.zones.map((x) => x.name ?? x.id).join(', ')})`, EXIT.usage);
  return z;
}

/** For commands that only read or write Redis (no queues, no workers): one connection, closed afterwards. */
export async function withRedis<T>(config: Config, fn: (redis: RedisClient) => Promise<T>): Promise<T> {
  const { connectRedis } = await import('../state/redis-connection.ts');
  const redis = await connectRedis(config.redis);
  try {
    return await fn(redis);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
