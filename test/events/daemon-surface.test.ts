import { afterEach, describe, expect, it } from 'vitest';
import { startAwsFake, type AwsFake } from '../../src/emulators/aws/index.ts';
import { startEvents, type Events } from '../../src/events/index.ts';
import { startAdminServer, type AdminServer } from '../../src/server/http.ts';
import { collectStatus } from '../../src/server/status.ts';
import { until } from '../helpers/cli.ts';
import { startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

// The daemon's own HTTP server (what `run` starts) with the webhook source: POST /events with the
// generic CloudEvent reaches the zone through the real intake; /readyz and status show the sources.

const ACCOUNT = '111122223333';
process.env.ORS_SURFACE_KEY = 'AKIDSURFACE000000001';
process.env.ORS_SURFACE_SECRET = 'surface-secret-value-0001';
const credentials = { accessKeyIdEnv: 'ORS_SURFACE_KEY', secretAccessKeyEnv: 'ORS_SURFACE_SECRET' };
const HOOK_TOKEN = 'hook-token-0123456789abcdef';
const inventory = (ips: string[]) => ({ aws: { accounts: { [ACCOUNT]: { regions: { 'us-east-1': { addresses: ips.map((publicIp) => ({ publicIp })) } } } } } });

let fake: AwsFake | undefined;
let h: Harness | undefined;
let ev: Events | undefined;
let server: AdminServer | undefined;
afterEach(async () => {
  await server?.close();
  await ev?.stop();
  await h?.close();
  await fake?.close();
  server = ev = h = fake = undefined;
});

describe('events on the daemon surface', () => {
  it('POST /events takes a change CloudEvent with the token, refuses one without; /readyz and status list the sources', { timeout: 60_000 }, async () => {
    fake = await startAwsFake({ inventory: inventory(['192.0.2.1']), pageSize: 1000 });
    h = await startHarness({
      zones: [zoneYaml({ select: { connectors: ['aws'] } })],
      connectors: [{ name: 'aws', type: 'aws', accountId: ACCOUNT, endpoint: fake.url, credentials }],
      config: {
        schedule: { reconcileEvery: '1h' },
        server: { listen: '127.0.0.1:0' },
        events: { debounce: '200ms', sources: [{ name: 'hook', type: 'webhook', token: HOOK_TOKEN }] },
      },
    });
    await h.once();
    const rt = h.rt;
    ev = await startEvents(rt.ctx, { watchFiles: false });
    server = await startAdminServer({ config: rt.ctx.config, logger: rt.ctx.logger, metrics: rt.ctx.metrics, health: rt.health, runtime: rt, events: ev }, { port: 0 });

    fake.setInventory(inventory(['192.0.2.1', '192.0.2.2']));
    const body = JSON.stringify({ specversion: '1.0', id: 'deploy-1', type: 'com.origin-region-sync.change', source: 'ci/deploy', data: { vendor: 'aws', account: ACCOUNT, region: 'us-east-1' } });
    const post = (headers: Record<string, string>) => fetch(`${server!.url}/events`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json', ...headers }, body });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Bearer wrong-token-0123456789ab' })).status).toBe(401);
    const ok = await post({ authorization: `Bearer ${HOOK_TOKEN}` });
    expect(ok.status).toBe(202);
    await until(() => h!.emu.mappings(ZONE).some((m) => m.origin_ip === '192.0.2.2'), { timeoutMs: 10_000, what: 'the change' });
    const history = await rt.ctx.audit.query({ zoneId: ZONE, ip: '192.0.2.2' });
    expect(history[0]).toMatchObject({ trigger: 'event', eventId: 'deploy-1' });

    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { events: Array<{ source: string; state: string }> };
    expect(ready.events).toEqual([expect.objectContaining({ source: 'hook', state: 'up' })]);
    const status = await collectStatus(rt.ctx.config, rt.ctx.state, rt.ctx.queues);
    expect(status.events).toEqual([expect.objectContaining({ source: 'hook', type: 'webhook', state: 'up' })]);
    const metrics = await rt.ctx.metrics.registry.getSingleMetricAsString('ors_events_total');
    expect(metrics).toContain('source="hook",outcome="enqueued"} 1');
    // The event's latency, measured when the reconcile it caused has applied its writes.
    await until(async () => (await rt.ctx.metrics.registry.getSingleMetricAsString('ors_event_to_applied_seconds')).includes('ors_event_to_applied_seconds_count{source="hook",result="applied"} 1'), { timeoutMs: 5_000, what: 'the latency observed' });
  });
});
