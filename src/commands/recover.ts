import type { Command } from 'commander';
import { writeJson } from './json.ts';
import { addConfigOption, CliError, cliLogger, EXIT, loadConfigFor, zoneByIdOrName, type GlobalOptions } from './common.ts';

export function registerRecover(program: Command): void {
  addConfigOption(program.command('recover'))
    .description('after a loss of the Redis state: claim the mappings a zone lists as "possibly ours, from before the loss" (see `status`), after review')
    .requiredOption('--zone <id-or-name>', 'the zone')
    .option('--dry-run', 'print what would be claimed; write nothing')
    .option('--ip <ip...>', 'claim only these (default: every listed mapping)')
    .option('--dismiss', 'claim nothing and end the zone\'s recovery (a genuine first install, or nothing there is ours); releases the freeze on deletes')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Identical mappings (same IP, vendor, region as wanted) were re-owned automatically; what is listed is the rest.
Claiming writes ownership only, never to Cloudflare. From the next reconcile on, a claimed mapping is managed:
updated to what is wanted, or deleted when no origin wants it (after deleteAfterMissedScans reconciles,
through the mass-change guard). A mapping changed in Cloudflare since the plan is not claimed.
Exit codes: 0 done, 1 errors, 2 bad usage (unknown zone, zone not recovering).`,
    )
    .action(async (opts: GlobalOptions & { zone: string; dryRun?: boolean; ip?: string[]; dismiss?: boolean; json?: boolean }) => {
      const config = await loadConfigFor(opts);
      const z = zoneByIdOrName(config, opts.zone);
      const { startRuntime } = await import('../pipeline/runtime.ts');
      const { recoverZone, RecoverError } = await import('../pipeline/recover.ts');
      const rt = await startRuntime({ config, logger: cliLogger(config, opts), workers: false, schedule: false, withCloudflare: true });
      try {
        const r = await recoverZone(rt.ctx, z.id, { ...(opts.dryRun ? { dryRun: true } : {}), ...(opts.ip ? { ips: opts.ip } : {}), ...(opts.dismiss ? { dismiss: true } : {}) }).catch((err: unknown) => {
          throw err instanceof RecoverError ? new CliError(err.message, EXIT.usage) : err;
        });
        if (opts.json) {
          const code = r.unknown.length > 0 ? EXIT.error : EXIT.ok;
          writeJson('recover', { zoneId: z.id, dryRun: !!opts.dryRun, ...r }, code);
          process.exitCode = code;
          return;
        }
        const verb = opts.dryRun ? 'would claim' : 'claimed';
        const out: string[] = [];
        if (opts.dismiss) out.push(opts.dryRun ? `would end the recovery of zone ${z.name ?? z.id}` : `recovery of zone ${z.name ?? z.id} ended; nothing claimed`);
        for (const p of r.claimed) out.push(`${verb} ${p.ip} ${p.vendor}/${p.region}${p.wanted ? ` (wanted ${p.wanted.vendor}/${p.wanted.region}: will be updated)` : ' (no origin wants it: will be deleted)'}`);
        for (const p of r.changed) out.push(`not claimed ${p.ip}: changed in Cloudflare since plan ${r.planId} (was ${p.vendor}/${p.region})`);
        for (const ip of r.unknown) out.push(`not claimed ${ip}: not listed as possibly ours in plan ${r.planId}`);
        if (!opts.dismiss) out.push(`${verb} ${r.claimed.length} mapping(s) in zone ${z.name ?? z.id} from plan ${r.planId}${r.changed.length ? `; ${r.changed.length} changed since` : ''}${r.ended ? '; the zone has recovered' : ''}`);
        process.stdout.write(out.join('\n') + '\n');
        if (r.unknown.length > 0) process.exitCode = EXIT.error;
      } finally {
        await rt.close();
      }
    });
}
