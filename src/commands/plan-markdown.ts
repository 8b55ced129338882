import type { StoredPlan } from '../state/store.ts';
import { planCounts, planSummary, shownOf } from './plan-summary.ts';

/** Table rows per section before the rest is counted instead of listed: a pull request stays readable. */
const ROWS = 200;

const cell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';

/**
 * A plan as GitHub-flavoured Markdown, for a pull request or a ticket (octoDNS's Markdown plan output is the
 * model): the one-line summary, what changes, what is left out and why, the budget and the guard's verdict.
 */
export function renderPlanMarkdown(plan: StoredPlan, zoneName?: string): string {
  const out: string[] = [];
  const zone = zoneName ? `${zoneName} (${code(plan.zoneId)})` : code(plan.zoneId);
  out.push(`## Plan ${code(plan.id)} for zone ${zone}`, '');
  out.push(`**${planSummary(plan)}**`, '');
  out.push(
    `| | |`,
    `|---|---|`,
    `| status | ${cell(plan.status)}${plan.statusReason ? `: ${cell(plan.statusReason)}` : ''} |`,
    `| made | ${new Date(plan.createdAt).toISOString()} (trigger: ${cell(plan.reason)}${plan.dryRun ? ', dry run' : ''}) |`,
    `| digest | ${code(plan.digest)} |`,
    `| API | ${plan.api ?? '–'} |`,
    '',
  );
  if (plan.guard.held) out.push(`> [!WARNING]`, `> Held by the mass-change guard: ${cell(plan.guard.reason ?? '')}. Approve with ${code(`origin-region-sync approve ${plan.id}`)}.`, '');

  const changes = [
    ...plan.deletes.map((d) => ({ ip: d.ip, change: 'delete', from: `${d.vendor}/${d.region}`, to: '–', why: d.reason })),
    ...plan.upserts.map((u) => ({ ip: u.ip, change: u.kind, from: u.from ? `${u.from.vendor}/${u.from.region}` : '–', to: `${u.vendor}/${u.region}`, why: u.scope })),
  ];
  out.push(`### Changes (${changes.length})`, '');
  if (changes.length === 0) out.push('None: the zone already holds what the clouds run.', '');
  else {
    out.push('| IP | change | from | to | scope / reason |', '|---|---|---|---|---|');
    for (const c of changes.slice(0, ROWS)) out.push(`| ${code(c.ip)} | ${c.change} | ${cell(c.from)} | ${cell(c.to)} | ${cell(c.why)} |`);
    if (changes.length > ROWS) out.push('', `…and ${changes.length - ROWS} more (\`plans show ${plan.id} --json\` lists all).`);
    out.push('');
  }

  if (plan.drift.length > 0) {
    out.push(`### Drift: managed mappings changed by someone else (${plan.drift.length})`, '', '| IP | expected | found | action |', '|---|---|---|---|');
    for (const d of plan.drift.slice(0, ROWS)) out.push(`| ${code(d.ip)} | ${d.expected.vendor}/${d.expected.region} | ${d.actual ? `${d.actual.vendor}/${d.actual.region}` : 'nothing'} | ${d.action} |`);
    out.push('');
  }

  const counts = planCounts(plan);
  if (counts.skipped > 0) {
    out.push(`### Skipped (${counts.skipped})`, '');
    out.push(Object.entries(counts.skippedByReason).map(([r, n]) => `${code(r)} ${n}`).join(' · '), '');
    out.push('<details><summary>Each skipped origin and why</summary>', '', '| IP | reason | detail |', '|---|---|---|');
    const shown = plan.skipped.slice(0, ROWS);
    for (const s of shown) out.push(`| ${code(s.ip)} | ${s.reason} | ${cell(s.detail)} |`);
    if (shown.length < counts.skipped) out.push('', `…${shownOf(shown.length, counts.skipped)}${plan.skipped.length < counts.skipped ? ' (`plan --json --all` lists every one)' : ''}.`);
    out.push('', '</details>', '');
  }

  const b = plan.budget;
  out.push('### Budget', '', '| cap | unmanaged | reserve | available | managed before → after | overflow | left |', '|---|---|---|---|---|---|---|');
  out.push(`| ${b.cap} | ${b.unmanaged} | ${b.reserve} | ${b.available} | ${b.managedBefore} → ${b.managedAfter} | ${b.overflow} | ${b.left} |`, '');

  if (plan.result) {
    const r = plan.result;
    out.push('### Result', '', `${r.upserted} upserted, ${r.deleted} deleted, ${r.failed.length} failed, in ${r.requests} write request(s).`, '');
    for (const f of r.failed.slice(0, ROWS)) out.push(`- ${code(f.ip)}: ${cell(f.error)}`);
    for (const e of r.batchErrors.slice(0, ROWS)) out.push(`- ${cell(e)}`);
    if (r.failed.length + r.batchErrors.length > 0) out.push('');
  }
  return out.join('\n');
}
