import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { addConfigOption, CliError, cliLogger, EXIT, loadConfigFor, withRedis, type GlobalOptions } from './common.ts';

export function registerState(program: Command): void {
  const state = program
    .command('state')
    .description('back up and restore the daemon\'s Redis state (ownership registry, tombstones, plans, zone status, approvals, API family memory) as one JSON document')
    .addHelpText(
      'after',
      `
Not included: scan snapshots and scope lists (the next discovery rebuilds them), caches, locks and the queues.
Use: regular backups (a Redis without AOF loses everything on restart), moving to another Redis, restoring
after a loss. The document holds no secrets (no tokens, no keys): IPs, vendors, regions, plan ids.`,
    );
  addConfigOption(state.command('export'))
    .description('print the state of this configuration\'s Redis prefix as JSON (reads only)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: GlobalOptions & { out?: string }) => {
      const config = await loadConfigFor(opts);
      const { exportState } = await import('../state/backup.ts');
      cliLogger(config, opts);
      await withRedis(config, async (redis) => {
        const doc = await exportState(redis, config.redis.prefix);
        const text = JSON.stringify(doc) + '\n';
        if (opts.out) {
          await writeFile(opts.out, text, { mode: 0o600 });
          process.stderr.write(`exported ${Object.keys(doc.keys).length} key(s) to ${opts.out}\n`);
        } else process.stdout.write(text);
      });
    });
  addConfigOption(state.command('import'))
    .argument('<file>', 'a document from `state export` (- for stdin)')
    .description('write a `state export` document into this configuration\'s Redis prefix')
    .option('--force', 'replace the state already there (stop the daemon first); without it, a prefix holding state is refused')
    .addHelpText(
      'after',
      `
Replaces, never merges. The target keeps its own state epoch and loss record (running daemons remember them).
Exit codes: 0 imported, 1 errors (Redis), 2 malformed document, unreadable file, or state present without --force.`,
    )
    .action(async (file: string, opts: GlobalOptions & { force?: boolean }) => {
      const config = await loadConfigFor(opts);
      const { BackupError, importState, parseStateDocument } = await import('../state/backup.ts');
      let text: string;
      try {
        text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.usage);
      }
      let doc;
      try {
        doc = parseStateDocument(JSON.parse(text));
      } catch (err) {
        throw new CliError(`${file}: ${err instanceof SyntaxError ? `not JSON: ${err.message}` : (err as Error).message}`, EXIT.usage);
      }
      await withRedis(config, async (redis) => {
        const r = await importState(redis, config.redis.prefix, doc, opts.force ? { force: true } : {}).catch((err: unknown) => {
          throw err instanceof BackupError ? new CliError(err.message, EXIT.usage) : err;
        });
        process.stdout.write(
          `imported ${r.written} key(s) into prefix ${config.redis.prefix}${r.replaced ? ` (replaced ${r.replaced})` : ''}${r.kept.length ? `; kept this Redis's ${r.kept.join(' and ')}` : ''}\n`,
        );
      });
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
