import type { Config } from '../config/load.ts';
import { formatDuration } from '../config/duration.ts';
import type { StatusReport, ZoneReport } from './status.ts';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ago = (t: number | undefined | null, now: number) => (t ? `${formatDuration(Math.max(0, now - t))} ago` : 'never');

const pending = (z: ZoneReport) => {
  const p = z.pending;
  if (!p) return z.heldPlanId ? `<br>held: <code>${esc(z.heldPlanId)}</code>` : '';
  return `<br><strong>pending</strong> (held): <code>${esc(p.planId)}</code><br>${esc(p.upserts)} upsert(s), ${esc(p.deletes)} delete(s); after it: managed ${esc(p.managedAfter)}, budget left ${esc(p.budgetLeftAfter)}`;
};

const degraded = (z: ZoneReport, now: number) => {
  const d = z.degraded;
  if (!d) return 'ok';
  const items = [
    ...d.connectors.map((c) => `<li>connector <code>${esc(c.connector)}</code> cannot list its scopes (since ${ago(c.since, now)}): ${esc(c.error)}</li>`),
    ...d.scopes.map((s) => `<li>${esc(s.status)}: <code>${esc(s.scope)}</code> (since ${ago(s.since, now)})${s.error ? `: ${esc(s.error)}` : ''}</li>`),
  ];
  return `<strong>degraded</strong> since ${ago(d.since, now)}; deletes frozen in:<ul>${items.join('')}</ul>`;
};

/** A read-only page for humans: zones, budgets, scopes, queues, recent errors. No secrets, no IP lists. */
export function renderDashboard(r: StatusReport, config: Config): string {
  const zones = r.zones
    .map(
      (z) => `<tr class="${!z.ready ? 'bad' : z.degraded ? 'warn' : 'ok'}"><td>${esc(z.name ?? '')}<br><code>${esc(z.id)}</code></td><td>${esc(z.policy)}</td>
<td>${esc(z.managed ?? '–')}</td><td>${esc(z.unmanaged ?? '–')}</td><td>${esc(z.cap ?? '–')}</td><td>${esc(z.budgetLeft ?? '–')}</td><td>${esc(z.overflow ?? '–')}</td>
<td>${esc(z.lastStatus ?? '–')}${pending(z)}</td><td>${ago(z.lastCompleteAt, r.at)}</td><td>${degraded(z, r.at)}</td></tr>`,
    )
    .join('');
  const scopes = r.scopes
    .map((s) => `<tr class="${s.status === 'complete' ? 'ok' : 'bad'}"><td><code>${esc(s.scope)}</code></td><td>${esc(s.status)}</td><td>${ago(s.scannedAt, r.at)}</td><td>${esc(s.error ?? '')}</td></tr>`)
    .join('');
  const queues = Object.entries(r.queues)
    .map(([q, c]) => `<tr><td>${esc(q)}</td><td>${esc(c.waiting)}</td><td>${esc(c.active)}</td><td>${esc(c.delayed)}</td><td>${esc(c.failed)}</td><td>${esc(r.workers[q])}</td></tr>`)
    .join('');
  const loss = r.stateLoss
    ? `<p class="loss"><strong>Redis state ${r.stateLoss.kind === 'detected' ? 'lost' : 'possibly lost'} ${ago(r.stateLoss.detectedAt, r.at)}</strong> (${esc(new Date(r.stateLoss.detectedAt).toISOString())}).
${esc(recoveringZones(r))}</p>`
    : '';
  const errors = r.errors.map((e) => `<tr><td>${ago(e.at, r.at)}</td><td>${esc(e.where)}</td><td>${esc(e.message)}</td></tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="15"><title>origin-region-sync</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
p.loss{border-left:4px solid #c33;padding-left:8px}tr.bad td:first-child{border-left:4px solid #c33}tr.warn td:first-child{border-left:4px solid #e90}tr.ok td:first-child{border-left:4px solid #3a3}code{font-size:12px}</style></head><body>
<h1>origin-region-sync</h1>${loss}<p>Every ${esc(formatDuration(config.schedule.reconcileEveryMs))}; next cycle ${r.schedule.next ? `in ${esc(formatDuration(Math.max(0, r.schedule.next - r.at)))}` : 'not scheduled'}.
${r.cloudflarePause ? `<strong>Cloudflare writes paused for ${esc(formatDuration(r.rateLimitedForMs))}</strong> (until ${esc(new Date(r.cloudflarePause.until).toISOString())}): ${esc(r.cloudflarePause.reason)}.` : ''}</p>
<h2>Zones</h2><table><tr><th>zone</th><th>policy</th><th>managed</th><th>unmanaged</th><th>cap</th><th>budget left</th><th>overflow</th><th>last plan</th><th>last complete reconcile</th><th>scopes</th></tr>${zones}</table>
<h2>Scopes</h2><table><tr><th>scope</th><th>latest scan</th><th>when</th><th>error</th></tr>${scopes}</table>
<h2>Queues</h2><table><tr><th>queue</th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th><th>workers</th></tr>${queues}</table>
<h2>Recent errors</h2><table><tr><th>when</th><th>where</th><th>what</th></tr>${errors || '<tr><td colspan="3">none</td></tr>'}</table>
<p><a href="/metrics">/metrics</a> · <a href="/readyz">/readyz</a> · <a href="/healthz">/healthz</a></p></body></html>`;
}

function recoveringZones(r: StatusReport): string {
  const z = r.zones.filter((x) => x.recovery && x.recovery.kind !== 'unverified');
  if (z.length === 0) return 'Every zone has recovered.';
  return z.map((x) => `${x.name ?? x.id}: ${x.recovery!.possiblyOurs ?? '?'} possibly ours to review (recover --zone ${x.id}), deletes ${x.recovery!.deletesFrozen ? 'frozen' : 'released'}`).join('; ');
}

/** The page while Redis is unreachable: nothing to show but why (the daemon retries on its own). */
export function renderUnavailable(reason: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>origin-region-sync: unavailable</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}</style></head><body><h1>origin-region-sync</h1>
<p><strong>${esc(reason)}</strong></p><p>The daemon keeps retrying and resumes on its own when Redis is back; this page refreshes every 5 s.</p>
<p><a href="/metrics">/metrics</a> · <a href="/readyz">/readyz</a> · <a href="/healthz">/healthz</a></p></body></html>`;
}
