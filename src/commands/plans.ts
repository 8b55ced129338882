import type { Command } from 'commander';
import type { Config } from '../config/load.ts';
import type { StateStore, StoredPlan } from '../state/store.ts';
import { addConfigOption, CliError, EXIT, loadConfigFor, withRedis, zoneByIdOrName, type GlobalOptions } from './common.ts';
import { writeJson } from './json.ts';
import { planCounts } from './plan-summary.ts';
import { renderPlan, table } from './render.ts';

const STATUSES = ['held', 'applying', 'applied', 'partial', 'failed', 'superseded', 'dry-run', 'noop', 'planned'];

/** Reads the stored plans straight from Redis: no daemon needed, nothing written. */
async function withState<T>(opts: GlobalOptions, fn: (state: StateStore, config: Config) => Promise<T>): Promise<T> {
  const config = await loadConfigFor(opts);
  const { StateStore } = await import('../state/store.ts');
  return withRedis(config, (redis) => fn(new StateStore(redis, config.redis.prefix), config));
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name}: "${text}" is not a positive whole number`, EXIT.usage);
  return n;
}

export function registerPlans(program: Command): void {
  const plans = program.command('plans').description('read the stored plans (kept 7 days; no-op plans two cycles, at most an hour) straight from Redis: no daemon needed');

  addConfigOption(plans.command('list'))
    .description('list recent plans, newest first, with their status and summary counts')
    .option('--zone <id-or-name>', 'only this zone (default: every configured zone)')
    .option('--status <status>', `only plans with this status (${STATUSES.join(', ')})`)
    .option('--limit <n>', 'at most this many plans', '20')
    .option('--json', 'print JSON: {plans: [...], exitCode}')
    .action(async (opts: GlobalOptions & { zone?: string; status?: string; limit: string; json?: boolean }) => {
      const limit = positive('--limit', opts.limit);
      if (opts.status !== undefined && !STATUSES.includes(opts.status)) throw new CliError(`--status: "${opts.status}" is not one of ${STATUSES.join(', ')}`, EXIT.usage);
      await withState(opts, async (state, config) => {
        const zones = opts.zone ? [zoneByIdOrName(config, opts.zone)] : config.zones;
        const all = (await Promise.all(zones.map((z) => state.plans.list(z.id))))
          .flat()
          .filter((p) => opts.status === undefined || p.status === opts.status)
          .sort((a, b) => b.createdAt - a.createdAt)
          .slice(0, limit);
        if (opts.json) {
          const rows = all.map((p) => ({ id: p.id, zoneId: p.zoneId, createdAt: p.createdAt, status: p.status, ...(p.statusReason ? { statusReason: p.statusReason } : {}), trigger: p.reason, dryRun: p.dryRun, digest: p.digest, ...planCounts(p) }));
          writeJson('plans list', { plans: rows }, EXIT.ok);
          return;
        }
        if (all.length === 0) {
          process.stdout.write('no plans stored\n');
          return;
        }
        const name = new Map(config.zones.map((z) => [z.id, z.name ?? z.id]));
        process.stdout.write(
          table(
            ['plan', 'zone', 'made (UTC)', 'status', 'trigger', 'create', 'update', 'delete', 'skipped', 'budget left'],
            all.map((p) => {
              const c = planCounts(p);
              return [p.id, name.get(p.zoneId) ?? p.zoneId, isoMinute(p.createdAt), p.status, p.reason, c.create, c.update, c.delete, c.skipped, c.budgetLeft];
            }),
          ) + '\n',
        );
      });
    });

  addConfigOption(plans.command('show'))
    .argument('<plan-id>', 'a plan id (from `plans list`, `status`, the log or the dashboard)')
    .description('show one plan: every change, every skipped origin and why, the budget, the guard, and the result')
    .option('--json', 'print the plan as JSON, with its batches')
    .option('--markdown', 'print the plan as Markdown, for a pull request or a ticket')
    .option('--limit <n>', 'items listed per section in text output', '50')
    .action(async (id: string, opts: GlobalOptions & { json?: boolean; markdown?: boolean; limit: string }) => {
      if (opts.json && opts.markdown) throw new CliError('give --json or --markdown, not both', EXIT.usage);
      const limit = positive('--limit', opts.limit);
      await withState(opts, async (state, config) => {
        const plan: StoredPlan | null = await state.plans.get(id);
        if (!plan) throw new CliError(`no plan ${id} under prefix ${config.redis.prefix} (plans are kept 7 days, no-op plans two cycles, at most an hour)`, EXIT.error);
        if (opts.json) {
          writeJson('plans show', { plan: { ...plan, batches: await state.plans.getBatches(id) } }, EXIT.ok);
          return;
        }
        if (opts.markdown) {
          const { renderPlanMarkdown } = await import('./plan-markdown.ts');
          process.stdout.write(renderPlanMarkdown(plan, config.zones.find((z) => z.id === plan.zoneId)?.name) + '\n');
          return;
        }
        process.stdout.write(renderPlan(config, plan, { limit }) + '\n');
      });
    });
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
