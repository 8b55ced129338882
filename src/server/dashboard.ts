import type { Config } from '../config/load.ts';
import { formatDuration } from '../config/duration.ts';
import { DASHBOARD_SCRIPT } from './dashboard-script.ts';
import type { StatusReport } from './status.ts';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `body{font:14px system-ui,sans-serif;margin:1em 2em;color:#222;max-width:1400px}header{display:flex;flex-wrap:wrap;gap:1em;align-items:baseline}
h1{font-size:20px;margin:0}h2{font-size:16px;margin:1.2em 0 .3em}h3{font-size:15px;margin:0 0 .3em}code{font-size:12px}.age{color:#666}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
tr.bad td:first-child{border-left:4px solid #c33}tr.ok td:first-child{border-left:4px solid #3a3}
#zones{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1em}
.zone{border:1px solid #ccc;border-left:6px solid #3a3;padding:.6em .8em;border-radius:4px}.zone.warn{border-left-color:#e90}.zone.bad{border-left-color:#c33}
.badge{padding:1px 6px;border-radius:8px;color:#fff}.badge.ok{background:#3a3}.badge.bad{background:#c33}
.bar{display:flex;height:14px;background:#eee;border-radius:3px;overflow:hidden;margin:.3em 0}.seg{display:block;height:100%}
.managed{background:#2a6fdb}.unmanaged{background:#888}.reserve{background:#e0b000}.free{background:#cfe3cf}.overflow{background:#c33}
.key{padding-left:4px;border-left:10px solid;margin-right:6px;font-size:12px}.key.free{border-color:#cfe3cf;background:none}.key.managed,.key.unmanaged,.key.reserve,.key.overflow{background:none}
.key.managed{border-color:#2a6fdb}.key.unmanaged{border-color:#888}.key.reserve{border-color:#e0b000}.key.overflow{border-color:#c33}
.held{background:#fff4e0;padding:.4em;margin:.4em 0}.degraded{background:#fdeaea;padding:.4em;margin:.4em 0}.degraded ul{margin:.2em 0 0 1em;padding:0}
.alert{border-left:4px solid #c33;padding:.3em .6em;background:#fdeaea}#msg.bad{color:#c33}#msg.ok{color:#2a6}
svg rect.ok{fill:#3a3}svg rect.failed{fill:#c33}svg text{font-size:10px;fill:#666}button{cursor:pointer}`;

/**
 * The page an operator keeps open: per zone a budget bar, readiness, held plans (Approve), degraded
 * scopes; scopes (Resync), recent plans, writes per hour, queues, errors. It carries the status it was
 * rendered with (so it shows at once) and then polls the JSON API. No external asset: the daemon may be
 * air-gapped. No secrets and no IP lists in the page (the writes table shows the last few IPs written).
 */
export function renderDashboard(r: StatusReport, config: Config): string {
  // JSON inside <script>: escaping "<" keeps a value like "</script>" from ending the element.
  const initial = JSON.stringify(r).replace(/</g, '\\u003c');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>origin-region-sync</title>
<style>${STYLE}</style></head><body>
<header><h1>origin-region-sync</h1><span>reconciles every ${esc(formatDuration(config.schedule.reconcileEveryMs))}</span><span id="updated"></span>
<form id="auth" onsubmit="return false"><label>admin token <input type="password" id="token" autocomplete="off" size="24"></label>
<button type="button" id="open-queues">Queues (Bull Board)</button> <span id="msg" role="status"></span></form></header>
<noscript><p class="alert">This page needs JavaScript; <a href="/api/status">/api/status</a> has the same figures.</p></noscript>
<div id="banner"></div><p id="cloudflare"></p>
<h2>Zones</h2><section id="zones"></section>
<h2>Scopes</h2><table id="scopes"></table>
<h2>Event sources</h2><table id="events"></table>
<h2>Recent plans</h2><table id="plans"></table><section id="diff"></section>
<h2>Writes to Cloudflare, last 24 h</h2><div id="chart"></div><table id="writes"></table>
<h2>Queues</h2><table id="queues"></table>
<h2>Recent errors</h2><table id="errors"></table>
<p><a href="/metrics">/metrics</a> · <a href="/readyz">/readyz</a> · <a href="/healthz">/healthz</a> · <a href="/api/status">/api/status</a></p>
<script type="application/json" id="initial">${initial}</script>
<script>${DASHBOARD_SCRIPT}</script></body></html>`;
}

/** The page while Redis is unreachable: nothing to show but why (the daemon retries on its own). */
export function renderUnavailable(reason: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>origin-region-sync: unavailable</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}</style></head><body><h1>origin-region-sync</h1>
<p><strong>${esc(reason)}</strong></p><p>The daemon keeps retrying and resumes on its own when Redis is back; this page refreshes every 5 s.</p>
<p><a href="/metrics">/metrics</a> · <a href="/readyz">/readyz</a> · <a href="/healthz">/healthz</a></p></body></html>`;
}
