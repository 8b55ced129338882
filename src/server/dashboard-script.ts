/**
 * The dashboard's script, inlined in the page (no CDN, no build step: the daemon may be air-gapped). It
 * renders from the status embedded in the page, then polls the JSON API every few seconds. The admin
 * token is read from the password field for one request, sent as `Authorization: Bearer`, and the field
 * is cleared: it is never kept in a variable, cookie or storage. Written without template literals so it
 * can live in this TypeScript string.
 */
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var POLL_MS = 5000;
  var $ = function (id) { return document.getElementById(id); };
  var data = { status: JSON.parse($('initial').textContent), plans: [], writes: null, mappings: {}, error: null };
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  function dur(ms) {
    var s = Math.round(ms / 1000);
    if (s < 90) return s + ' s';
    var m = Math.round(s / 60);
    if (m < 90) return m + ' min';
    var h = Math.floor(m / 60);
    return h < 48 ? h + ' h ' + (m % 60) + ' min' : Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }
  function iso(t) { return new Date(t).toISOString().replace('T', ' ').slice(0, 19) + ' UTC'; }
  function when(t, now) {
    if (!t) return 'never';
    return '<time datetime="' + new Date(t).toISOString() + '">' + iso(t) + '</time> <span class="age">(' + dur(Math.max(0, now - t)) + ' ago)</span>';
  }
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : 0; }
  function reasons(o) {
    var k = Object.keys(o || {});
    return k.length ? k.map(function (r) { return esc(r) + ' ' + esc(o[r]); }).join(', ') : '';
  }

  function budget(z) {
    var cap = num(z.cap), managed = num(z.managed), unmanaged = num(z.unmanaged), overflow = num(z.overflow);
    var reserve = Math.max(0, cap - unmanaged - num(z.available));
    var free = Math.max(0, num(z.budgetLeft));
    var parts = [['managed', managed], ['unmanaged', unmanaged], ['reserve', reserve], ['free', free], ['overflow', overflow]];
    var total = Math.max(1, cap + overflow);
    var bar = parts.map(function (p) {
      return p[1] > 0 ? '<span class="seg ' + p[0] + '" style="width:' + (100 * p[1] / total).toFixed(2) + '%" title="' + p[0] + ' ' + p[1] + '"></span>' : '';
    }).join('');
    var legend = parts.map(function (p) { return '<span class="key ' + p[0] + '" data-budget="' + p[0] + '">' + p[0] + ' <b>' + esc(p[1]) + '</b></span>'; }).join(' ');
    return '<div class="bar" role="img" aria-label="budget of ' + esc(cap) + ' mappings">' + bar + '</div><div class="legend">' + legend + ' <span class="key">cap <b>' + esc(z.cap == null ? '–' : cap) + '</b></span></div>';
  }

  function zoneCard(z, now) {
    var cls = !z.ready ? 'bad' : z.degraded ? 'warn' : 'ok';
    var h = '<article class="zone ' + cls + '" data-zone="' + esc(z.id) + '"><h3>' + esc(z.name || z.id) + ' <code>' + esc(z.id) + '</code></h3>';
    h += '<p><span class="badge ' + (z.ready ? 'ok' : 'bad') + '">' + (z.ready ? 'ready' : 'not ready') + '</span> policy <b>' + esc(z.policy) + '</b> · last plan <b>' + esc(z.lastStatus || '–') + '</b> · last complete reconcile ' + when(z.lastCompleteAt, now) + '</p>';
    h += budget(z);
    h += '<p>drift <b>' + esc(z.drift == null ? '–' : z.drift) + '</b>' + (reasons(z.skippedByReason) ? ' · skipped: ' + reasons(z.skippedByReason) : '') + ' <button type="button" data-resync-zone="' + esc(z.id) + '">Resync zone</button></p>';
    var m = data.mappings[z.id];
    if (m && Object.keys(m).length) {
      h += '<details data-mappings><summary>managed mappings by vendor and region</summary><table>' + Object.keys(m).sort().map(function (v) {
        var regions = Object.keys(m[v]).sort();
        return '<tr><td>' + esc(v) + ' <b>' + regions.reduce(function (a, r) { return a + m[v][r]; }, 0) + '</b></td><td>' + regions.map(function (r) { return esc(r) + ' ' + m[v][r]; }).join(', ') + '</td></tr>';
      }).join('') + '</table></details>';
    }
    if (z.pending) {
      var p = z.pending;
      h += '<div class="held" data-held="' + esc(p.planId) + '"><b>Held by the guard:</b> plan <code>' + esc(p.planId) + '</code>: ' + esc(p.upserts) + ' upsert(s), ' + esc(p.deletes) + ' delete(s); ' + esc(p.reason) +
        '<br>after it: managed ' + esc(p.managedAfter) + ', unmanaged ' + esc(p.unmanagedAfter) + ', budget left ' + esc(p.budgetLeftAfter) + ', overflow ' + esc(p.overflow) +
        ' <button type="button" data-approve="' + esc(p.planId) + '">Approve</button></div>';
    } else if (z.heldPlanId) {
      h += '<div class="held">held: <code>' + esc(z.heldPlanId) + '</code> <button type="button" data-approve="' + esc(z.heldPlanId) + '">Approve</button></div>';
    }
    if (z.degraded) {
      var d = z.degraded;
      var items = d.connectors.map(function (c) { return '<li>connector <code>' + esc(c.connector) + '</code> cannot list its scopes since ' + when(c.since, now) + ': ' + esc(c.error) + '</li>'; })
        .concat(d.scopes.map(function (s) { return '<li data-degraded="' + esc(s.scope) + '">' + esc(s.status) + ': <code>' + esc(s.scope) + '</code> since ' + when(s.since, now) + (s.error ? ': ' + esc(s.error) : '') + '</li>'; }));
      h += '<div class="degraded"><b>Degraded</b> since ' + when(d.since, now) + ': deletes frozen in<ul>' + items.join('') + '</ul></div>';
    }
    if (z.recovery) h += '<p class="warn">recovering from a state loss: ' + esc(z.recovery.possiblyOurs == null ? '?' : z.recovery.possiblyOurs) + ' possibly ours to review (recover --zone ' + esc(z.id) + '), deletes ' + (z.recovery.deletesFrozen ? 'frozen' : 'released') + '</p>';
    return h + '</article>';
  }

  function chart(w) {
    if (!w) return '';
    var max = Math.max(1, Math.max.apply(null, w.perHour.map(function (b) { return b.ok + b.failed; })));
    var bw = 20, H = 80;
    var bars = w.perHour.map(function (b, i) {
      var ok = H * b.ok / max, bad = H * b.failed / max;
      return '<g><title>' + iso(b.hour).slice(0, 16) + ': ' + b.ok + ' ok, ' + b.failed + ' failed</title><rect class="ok" x="' + (i * bw + 2) + '" y="' + (H - ok - bad + 10) + '" width="' + (bw - 4) + '" height="' + ok + '"/><rect class="failed" x="' + (i * bw + 2) + '" y="' + (H - bad + 10) + '" width="' + (bw - 4) + '" height="' + bad + '"/></g>';
    }).join('');
    var total = w.perHour.reduce(function (a, b) { return a + b.ok + b.failed; }, 0);
    return '<svg viewBox="0 0 ' + (24 * bw) + ' ' + (H + 24) + '" width="' + (24 * bw) + '" height="' + (H + 24) + '" aria-label="writes per hour">' + bars +
      '<text x="0" y="' + (H + 22) + '">' + iso(w.perHour[0].hour).slice(11, 16) + '</text><text x="' + (24 * bw) + '" y="' + (H + 22) + '" text-anchor="end">now</text><text x="0" y="9">max ' + max + '/h</text></svg>' +
      '<p><span data-writes-total>' + total + '</span> write(s) in the last 24 h' + (w.truncated ? ' (at least: more than the chart reads)' : '') + '.</p>';
  }

  function table(id, head, rows, empty) {
    $(id).innerHTML = '<tr>' + head.map(function (x) { return '<th>' + x + '</th>'; }).join('') + '</tr>' + (rows.length ? rows.join('') : '<tr><td colspan="' + head.length + '">' + empty + '</td></tr>');
  }

  function render() {
    var s = data.status, now = s.at;
    var banner = '';
    if (data.error) banner += '<p class="alert">' + esc(data.error) + ' (showing what was last seen; retrying every ' + POLL_MS / 1000 + ' s)</p>';
    if (s.stateLoss) banner += '<p class="alert"><b>Redis state ' + (s.stateLoss.kind === 'detected' ? 'lost' : 'possibly lost') + '</b> ' + when(s.stateLoss.detectedAt, now) + '. Zones recover on their own; see each zone below.</p>';
    if (s.cloudflarePause) banner += '<p class="alert" data-pause><b>Cloudflare writes paused</b> for ' + dur(s.rateLimitedForMs) + ' (until ' + iso(s.cloudflarePause.until) + '): ' + esc(s.cloudflarePause.reason) + '</p>';
    $('banner').innerHTML = banner;
    var cf = s.cloudflareRequests;
    $('cloudflare').innerHTML = cf ? 'Cloudflare: the limiter allows ' + cf.window.requests + ' requests per ' + cf.window.perSeconds + ' s' +
      (cf.window.used !== undefined ? ', <b data-cf-window>' + cf.window.used + '</b> spent in this window by every replica' + (cf.window.resetsInMs ? ' (' + (cf.window.requests - cf.window.used) + ' left, resets in ' + Math.ceil(cf.window.resetsInMs / 1000) + ' s)' : '') : '') +
      '; this replica sent <b data-cf-total>' +
      Object.keys(cf.byOutcome).reduce(function (a, k) { return a + cf.byOutcome[k]; }, 0) + '</b> since it started (' + (reasons(cf.byOutcome) || 'none') + '), <b>' + cf.rateLimited + '</b> answered 429.' : '';
    $('updated').innerHTML = 'as of ' + when(now, now).replace(' <span class="age">(0 s ago)</span>', '') + ' · next cycle ' + (s.schedule.next ? 'in ' + dur(Math.max(0, s.schedule.next - now)) : 'not scheduled');
    $('zones').innerHTML = s.zones.map(function (z) { return zoneCard(z, now); }).join('');
    table('scopes', ['scope', 'connector', 'status', 'scanned', 'error', ''], s.scopes.map(function (x) {
      return '<tr class="' + (x.status === 'complete' ? 'ok' : 'bad') + '" data-scope="' + esc(x.scope) + '"><td><code>' + esc(x.scope) + '</code></td><td>' + esc(x.connector) + '</td><td>' + esc(x.status) + (x.failingSince ? ' since ' + when(x.failingSince, now) : '') + '</td><td>' + when(x.scannedAt, now) + '</td><td>' + esc(x.error || '') + '</td><td><button type="button" data-resync-scope="' + esc(x.scope) + '">Resync</button></td></tr>';
    }), 'no scope scanned yet');
    table('events', ['source', 'type', 'replica', 'state', 'since', 'last message', 'error'], (s.events || []).map(function (e) {
      var cls = e.state === 'up' ? 'ok' : e.state === 'starting' ? '' : 'bad';
      return '<tr class="' + cls + '" data-event-source="' + esc(e.source) + '"><td>' + esc(e.source) + '</td><td>' + esc(e.type) + '</td><td>' + esc(e.replica || '–') + '</td><td>' + esc(e.state) + '</td><td>' + (e.since ? when(e.since, now) : '–') + '</td><td>' +
        (e.lastMessageAt ? when(e.lastMessageAt, now) + (e.lagSeconds !== undefined ? ' (' + e.lagSeconds.toFixed(1) + ' s old on arrival)' : '') : '–') + '</td><td>' + esc(e.error || '') + '</td></tr>';
    }), 'none configured (events: in the configuration); the schedule alone keeps the zones in step');
    table('plans', ['made', 'zone', 'plan', 'status', 'create', 'update', 'delete', 'unchanged', 'skipped', 'budget left', ''], data.plans.map(function (p) {
      var c = p.counts;
      return '<tr data-plan="' + esc(p.id) + '"><td>' + when(p.createdAt, now) + '</td><td><code>' + esc(p.zoneId.slice(0, 8)) + '</code></td><td><code>' + esc(p.id) + '</code>' + (p.dryRun ? ' (dry run)' : '') + '</td><td>' + esc(p.status) + (p.guard.reason ? ': ' + esc(p.guard.reason) : p.statusReason ? ': ' + esc(p.statusReason) : '') +
        '</td><td>' + c.create + '</td><td>' + c.update + '</td><td>' + c.delete + '</td><td>' + c.unchanged + '</td><td>' + c.skipped + (c.skipped ? ' (' + reasons(c.skippedByReason) + ')' : '') + '</td><td>' + c.budgetLeft + '</td><td>' +
        '<button type="button" data-diff="' + esc(p.id) + '">Diff</button> ' + (p.status === 'held' ? '<button type="button" data-approve="' + esc(p.id) + '">Approve</button>' : '') + '</td></tr>';
    }), 'no plan yet');
    $('chart').innerHTML = chart(data.writes);
    table('writes', ['when', 'zone', 'kind', 'ip', 'vendor / region', 'outcome', 'plan', 'trigger'], (data.writes ? data.writes.records : []).map(function (r) {
      return '<tr class="' + (r.outcome === 'ok' ? 'ok' : 'bad') + '"><td>' + when(r.at, now) + '</td><td><code>' + esc(r.zoneId.slice(0, 8)) + '</code></td><td>' + esc(r.kind) + '</td><td><code>' + esc(r.ip) + '</code></td><td>' + esc((r.vendor || '') + ' ' + (r.region || '')) + '</td><td>' + esc(r.outcome) + (r.error ? ': ' + esc(r.error) : '') + '</td><td><code>' + esc(r.planId) + '</code></td><td>' + esc(r.trigger) + (r.eventId ? ' ' + esc(r.eventId) : '') + '</td></tr>';
    }), 'no write recorded');
    var queues = Object.keys(s.queues).map(function (q) { var c = s.queues[q]; return '<tr><td>' + esc(q) + '</td><td>' + num(c.waiting) + '</td><td>' + num(c.active) + '</td><td>' + num(c.delayed) + '</td><td>' + num(c.failed) + '</td><td>' + num(s.workers[q]) + '</td></tr>'; });
    table('queues', ['queue', 'waiting', 'active', 'delayed', 'failed', 'workers'], queues, 'none');
    table('errors', ['when', 'where', 'what'], s.errors.map(function (e) { return '<tr><td>' + when(e.at, now) + '</td><td>' + esc(e.where) + '</td><td>' + esc(e.message) + '</td></tr>'; }), 'none');
  }

  function getJson(url) {
    return fetch(url, { cache: 'no-store' }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status)); return j; });
    });
  }
  function refresh() {
    return Promise.all([getJson('/api/status'), getJson('/api/plans?limit=20'), getJson('/api/history?limit=20'), getJson('/api/mappings')]).then(function (a) {
      data.status = a[0]; data.plans = a[1].plans; data.writes = a[2]; data.mappings = a[3].zones; data.error = null;
    }, function (err) { data.error = 'cannot read the daemon: ' + err.message; }).then(render);
  }

  function say(text, bad) { var m = $('msg'); m.textContent = text; m.className = bad ? 'bad' : 'ok'; }
  /** One admin request: the token goes from the field into this request's header, and the field is cleared. */
  function admin(method, url, body, what) {
    var field = $('token');
    if (!field.value) { say(what + ': type the admin token first', true); field.focus(); return Promise.resolve(null); }
    var headers = { authorization: 'Bearer ' + field.value };
    field.value = '';
    if (body) headers['content-type'] = 'application/json';
    say(what + ': sending…', false);
    return fetch(url, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      return r.json().then(function (j) {
        say(what + (r.ok ? ': accepted' : ': refused (' + r.status + '): ' + (j.error || '')), !r.ok);
        return r.ok ? j : null;
      });
    }, function (err) { say(what + ': ' + err.message, true); return null; }).then(function (j) { refresh(); return j; });
  }

  /** A plan's diff, read with the token (plans carry IP lists, which the open API leaves out); first 200 of each list. */
  function showDiff(p) {
    if (!p) return;
    var MAX = 200;
    // A stored plan lists a sample of its skipped origins; total is how many there are in all.
    function list(title, items, row, total) {
      var all = total == null ? items.length : total;
      var shown = Math.min(items.length, MAX);
      return '<h3>' + title + ' (' + all + ')</h3>' + (items.length ? '<table>' + items.slice(0, MAX).map(row).join('') + '</table>' + (shown < all ? '<p>showing ' + shown + ' of ' + all + (items.length < all ? ' (plan --json --all lists every one)' : ' (plans show ' + esc(p.id) + ')') + '</p>' : '') : '');
    }
    $('diff').innerHTML = '<h2>Plan <code>' + esc(p.id) + '</code>: ' + esc(p.status) + ' <button type="button" id="diff-close">Close</button></h2>' +
      list('Upserts', p.upserts, function (u) { return '<tr data-diff-upsert><td>' + esc(u.kind) + '</td><td><code>' + esc(u.ip) + '</code></td><td>' + esc(u.vendor + ' ' + u.region) + (u.from ? ' (was ' + esc(u.from.vendor + ' ' + u.from.region) + ')' : '') + '</td><td><code>' + esc(u.scope) + '</code></td></tr>'; }) +
      list('Deletes', p.deletes, function (d) { return '<tr data-diff-delete><td>' + esc(d.reason) + '</td><td><code>' + esc(d.ip) + '</code></td><td>' + esc(d.vendor + ' ' + d.region) + '</td><td><code>' + esc(d.scope) + '</code></td></tr>'; }) +
      list('Skipped', p.skipped, function (k) { return '<tr><td>' + esc(k.reason) + '</td><td><code>' + esc(k.ip) + '</code></td><td colspan="2">' + esc(k.detail) + '</td></tr>'; }, p.totals ? p.totals.skipped : null);
  }

  document.addEventListener('click', function (ev) {
    var b = ev.target.closest ? ev.target.closest('button') : null;
    if (!b) return;
    if (b.dataset.approve) admin('POST', '/plans/' + encodeURIComponent(b.dataset.approve) + '/approve', null, 'approve ' + b.dataset.approve);
    else if (b.dataset.resyncScope) admin('POST', '/resync', { scope: b.dataset.resyncScope }, 'resync ' + b.dataset.resyncScope);
    else if (b.dataset.resyncZone) admin('POST', '/resync', { zone: b.dataset.resyncZone }, 'resync zone');
    else if (b.dataset.diff) admin('GET', '/plans/' + encodeURIComponent(b.dataset.diff), null, 'plan ' + b.dataset.diff).then(showDiff);
    else if (b.id === 'diff-close') $('diff').innerHTML = '';
    else if (b.id === 'open-queues') admin('POST', '/api/session', null, 'Bull Board').then(function (j) { if (j) window.open('/queues', '_blank', 'noopener'); });
  });

  render();
  refresh();
  setInterval(refresh, POLL_MS);
})();
`;
