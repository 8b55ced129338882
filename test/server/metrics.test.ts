import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { startAdminServer, type AdminServer } from '../../src/server/http.ts';
import { origins, startHarness, ZONE, type Harness } from '../helpers/pipeline.ts';

let h: Harness | undefined;
let srv: AdminServer | undefined;
afterEach(async () => {
  await srv?.close();
  await h?.close();
  srv = undefined;
  h = undefined;
});

/** `promtool check metrics` (Debian package prometheus) on an exposition: exit code and everything it said. */
function promtool(exposition: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error('promtool is not installed (apt-get install prometheus; .ci/run does it)') : err),
    );
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(exposition);
  });
}

describe('/metrics', () => {
  it('passes promtool check metrics clean on a real scrape, with standard process metrics, build info and duration histograms', async () => {
    h = await startHarness({ inventory: origins(30) });
    srv = await startAdminServer(h.rt, { port: 0 });
    await h.once(); // 30 upserts
    await h.setInventory(origins(25));
    await h.once(); // 5 deletes (under the guard's 30%)

    const res = await fetch(`${srv.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();

    const check = await promtool(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);

    // prom-client's standard names, as stock Node.js dashboards expect them.
    expect(text).not.toMatch(/ors_process_/);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toContain(`ors_build_info{version="${pkg.version}",node="${process.version}"} 1`);

    expect(text).toMatch(/^ors_discover_duration_seconds_count\{connector="inventory"\} 2$/m);
    expect(text).toMatch(/^ors_discover_duration_seconds_bucket\{le="\+Inf",connector="inventory"\} 2$/m);
    expect(text).toMatch(new RegExp(`^ors_reconcile_duration_seconds_count\\{zone="${ZONE}"\\} 2$`, 'm'));
    expect(text).toMatch(/^ors_apply_batch_duration_seconds_count\{kind="upsert"\} 1$/m);
    expect(text).toMatch(/^ors_apply_batch_duration_seconds_count\{kind="delete"\} 1$/m);
    expect(text).toMatch(/^ors_apply_batch_duration_seconds_sum\{kind="upsert"\} \d/m);
  });

  it('answers HEAD with the headers of a scrape and no body', async () => {
    h = await startHarness({ inventory: origins(3) });
    srv = await startAdminServer(h.rt, { port: 0 });
    const res = await fetch(`${srv.url}/metrics`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('');
    const post = await fetch(`${srv.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
