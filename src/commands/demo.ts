import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the whole product on an embedded default: a Cloudflare API emulator and fakes of AWS, GCP, Azure and OCI in this process, the real pipeline on Redis, config/demo.yaml; two cycles (the second writes nothing), then exit',
    )
    .option('--watch', 'keep the daemon running afterwards, with its dashboard, Bull Board (/queues), metrics and resync API')
    .option('--listen <host:port>', 'with --watch: where the HTTP server listens', '127.0.0.1:9464')
    .option('--json', 'print both cycles as one JSON document on stdout (docs/cli-output.schema.json); the narrative goes to stderr')
    .option('-v, --verbose', 'log the pipeline to stderr')
    .addHelpText('after', '\nRedis: $REDIS_URL, else the Redis on 127.0.0.1:6379 if one answers (under a prefix of its own, cleaned up), else a private redis-server.')
    .action(async (opts: { watch?: boolean; listen?: string; verbose?: boolean; json?: boolean }) => {
      const { runDemo } = await import('../demo/run.ts');
      process.exitCode = await runDemo({ watch: !!opts.watch, ...(opts.listen ? { listen: opts.listen } : {}), verbose: !!opts.verbose, json: !!opts.json });
    });
}
