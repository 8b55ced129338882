import { InvalidArgumentError, type Command } from 'commander';
import { loadInventoryFile, type Inventory } from './inventory.ts';

/** Commander parser for an integer option within bounds. */
export function integerOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
    return n;
  };
}

export interface FakeServeOptions {
  inventory: string;
  port: number;
  host: string;
  pageSize: number;
}

/** The options every cloud fake takes: --inventory, --port, --host, --page-size. */
export function addFakeOptions(cmd: Command, vendor: string, opts: { maxPageSize: number; pagingHint: string }): Command {
  return cmd
    .requiredOption('--inventory <file>', `inventory file (YAML or JSON) with a "${vendor}" section; see docs/inventory/${vendor}.md`)
    .option('--port <n>', 'port to listen on (0 picks a free one)', integerOption(0, 65535), 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--page-size <n>', `most items per page (small, so clients must follow ${opts.pagingHint})`, integerOption(1, opts.maxPageSize), 5);
}

/**
 * Runs a cloud fake as a standalone server, the same way for every vendor: the base URL alone on the
 * first line of stdout (what a connector's `endpoint` takes), details on stderr, a bad inventory exits 2
 * naming the file and the path, a port that cannot be bound exits 1, SIGINT/SIGTERM stop it (exit 0).
 */
export async function serveFake<S, F extends { url: string; close(): Promise<void> }>(spec: {
  label: string;
  file: string;
  parse: (inventory: Inventory) => S;
  start: (section: S) => Promise<F>;
  details?: (section: S, fake: F) => string[] | Promise<string[]>;
  onStop?: () => void;
}): Promise<number> {
  const err = (line: string) => process.stderr.write(`${spec.label}: ${line}\n`);
  let section: S;
  try {
    section = spec.parse(await loadInventoryFile(spec.file));
  } catch (e) {
    const message = (e as Error).message;
    err(message.startsWith(spec.file) ? message : `${spec.file}: ${message}`);
    return 2;
  }
  let fake: F;
  try {
    fake = await spec.start(section);
  } catch (e) {
    err(`cannot start: ${(e as Error).message}`);
    return 1;
  }
  // Details first: they may write files (Azure's certificate) a client reads as soon as it sees the URL.
  const details = (await spec.details?.(section, fake)) ?? [];
  process.stdout.write(`${fake.url}\n`);
  for (const line of details) err(line);
  err('Ctrl-C or SIGTERM stops it');
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      err(`${signal}, stopping`);
      void fake
        .close()
        .finally(() => spec.onStop?.())
        .then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
