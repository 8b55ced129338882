import { InvalidArgumentError, Option, type Command } from 'commander';
import { startCloudflareEmulator, type CloudflareEmulatorOptions } from './index.ts';
import type { RateLimitPolicy } from './faults.ts';
import { loadSeedFile } from './seed.ts';
import { loadSupportedRegionsFile } from './supported-regions.ts';

interface CliOptions {
  host: string;
  port: number;
  token: string[];
  latencyMs?: number;
  jitterMs?: number;
  rateLimit: RateLimitPolicy | false;
  faultRate?: number;
  dropRate?: number;
  retireV1?: boolean;
  seed?: string;
  supportedRegions?: string;
  maxMappings?: number;
  logRequests?: boolean;
}

const HELP_AFTER = `
Serves Cloudflare's origin cloud region API under <url>/client/v4, both families over one store per zone:
  v1 (deprecated)  /zones/{zone_id}/cache/origin_cloud_regions   GET, POST, PATCH, /{ip}, /batch, /supported_regions
  v2               /zones/{zone_id}/origin/cloud_regions          GET (paginated), /{ip} GET/PUT/DELETE, /batch, /supported_regions
Point the official SDK at it with baseURL (or CLOUDFLARE_BASE_URL) = the printed URL.

Admin API (no auth, not rate limited, not counted):
  POST /__emulator/reset                        back to the start-up state
  GET|PUT /__emulator/zones/{zone_id}/mappings  read / replace a zone ([{origin_ip, vendor, region}])
  GET|DELETE /__emulator/stats                  request counts by method, route, status
  GET|PUT /__emulator/faults                    latencyMs, jitterMs, faultRate, dropRate, dropMode, retireV1, rateLimit,
                                                listFault (garbled, truncated, not-found, no-result, null-result,
                                                no-result-info, bad-result-info), writeFault (garbled, truncated,
                                                late; the write is applied first)

--seed FILE is JSON or YAML: { "<zone_id>": [ {origin_ip, vendor, region}, ... ] }
--supported-regions FILE is the API's supported_regions result {obtained_codes, vendors} (JSON or YAML).
See docs/cloudflare-emulator.md for every deliberate difference from Cloudflare.`;

/** Adds `cloudflare` (the Cloudflare API emulator) to a parent command such as `origin-region-sync emulate`. */
export function registerCommand(parent: Command): void {
  parent
    .command('cloudflare')
    .description('run a local Cloudflare API emulator for origin cloud regions (v1 + v2 paths)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 8787)
    .addOption(
      new Option('--token <token>', 'accepted API token or global API key; repeatable').argParser(collect).default([], 'any well-formed credential'),
    )
    .option('--latency-ms <ms>', 'added latency per request', number('--latency-ms', 0), undefined)
    .option('--jitter-ms <ms>', 'extra random latency, uniform 0..ms', number('--jitter-ms', 0), undefined)
    .addOption(
      new Option('--rate-limit <spec>', 'requests per window per credential, REQUESTS/SECONDS or "off"')
        .argParser(parseRateLimit)
        .default({ requests: 1200, windowSeconds: 300 }, '1200/300s'),
    )
    .option('--fault-rate <share>', 'share of requests answered 5xx (codes 1140/1156), 0..1', share('--fault-rate'), undefined)
    .option('--drop-rate <share>', 'share of connections dropped without an answer, 0..1', share('--drop-rate'), undefined)
    .option('--retire-v1', 'answer every v1 route 400/7003 "No route for the URI", as after the v1 end of life')
    .option('--seed <file>', 'initial mappings, JSON or YAML { "<zone_id>": [{origin_ip, vendor, region}] }')
    .option('--supported-regions <file>', 'replace the supported_regions catalogue (JSON or YAML, the API result shape)')
    .option('--max-mappings <n>', 'mappings per zone (default: 3500)', number('--max-mappings', 1, true), undefined)
    .option('--log-requests', 'print one line per API request to stderr (no credentials)')
    .addHelpText('after', HELP_AFTER)
    .action(async (o: CliOptions, cmd: Command) => {
      const opts: CloudflareEmulatorOptions = {
        host: o.host,
        port: o.port,
        tokens: o.token,
        rateLimit: o.rateLimit,
        ...(o.latencyMs !== undefined && { latencyMs: o.latencyMs }),
        ...(o.jitterMs !== undefined && { jitterMs: o.jitterMs }),
        ...(o.faultRate !== undefined && { faultRate: o.faultRate }),
        ...(o.dropRate !== undefined && { dropRate: o.dropRate }),
        ...(o.retireV1 && { retireV1: true }),
        ...(o.maxMappings !== undefined && { maxMappings: o.maxMappings }),
        ...(o.logRequests && { logger: (line: string) => process.stderr.write(`${line}\n`) }),
      };
      try {
        if (o.seed) opts.seed = (await loadSeedFile(o.seed)) as CloudflareEmulatorOptions['seed'];
        if (o.supportedRegions) opts.supportedRegions = await loadSupportedRegionsFile(o.supportedRegions);
      } catch (e) {
        return cmd.error(`error: ${(e as Error).message}`, { exitCode: 2, code: 'cloudflare.invalidFile' });
      }
      let emu;
      try {
        emu = await startCloudflareEmulator(opts);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        // Listening failures are the environment's, not the options' (exit 1); everything else is a bad value (exit 2).
        const listenFailure = err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL';
        return cmd.error(`error: ${err.message}`, { exitCode: listenFailure ? 1 : 2, code: 'cloudflare.start' });
      }
      process.stdout.write(`${emu.url}\n`);
      const auth = o.token.length > 0 ? `${o.token.length} configured credential(s)` : 'any well-formed credential';
      const rate = o.rateLimit ? `${o.rateLimit.requests} per ${o.rateLimit.windowSeconds}s per credential` : 'off';
      process.stderr.write(`Cloudflare API emulator ready: auth ${auth}; rate limit ${rate}; admin API ${emu.origin}/__emulator\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await emu.close();
      process.exit(0);
    });
}

function invalid(message: string): InvalidArgumentError {
  const e = new InvalidArgumentError(message);
  e.exitCode = 2;
  return e;
}

function parsePort(v: string): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw invalid('Expected a port number 0–65535.');
  return Number(v);
}

function number(flag: string, min: number, integer = false): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw invalid(`${flag} expects ${integer ? 'an integer' : 'a number'} ≥ ${min}.`);
    }
    return n;
  };
}

function share(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw invalid(`${flag} expects a share from 0 to 1 (e.g. 0.05).`);
    return n;
  };
}

/** `1200/300s`, `1200/300`, `20/2s`, `100/1.5s`, or `off`. */
function parseRateLimit(v: string): RateLimitPolicy | false {
  if (v === 'off' || v === 'false' || v === '0') return false;
  const m = /^(\d+)\/(\d+(?:\.\d+)?)s?$/.exec(v.trim());
  const requests = Number(m?.[1]);
  const windowSeconds = Number(m?.[2]);
  if (!m || requests < 1 || windowSeconds <= 0) throw invalid('Expected REQUESTS/SECONDS, e.g. 1200/300s, or "off".');
  return { requests, windowSeconds };
}

function collect(v: string, previous: string[]): string[] {
  if (!/^[\x21-\x7e]{1,512}$/.test(v)) throw invalid('A token is a non-empty string without spaces.');
  return [...previous, v];
}
