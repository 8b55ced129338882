import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startAwsFake, type AwsFake } from '../../src/emulators/aws/index.ts';
import { startEvents, type Events } from '../../src/events/index.ts';
import { registerWebhook } from '../../src/events/webhook.ts';
import { until } from '../helpers/cli.ts';
import { startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';
import { parsers, TOKEN } from './webhook-helpers.ts';

// The webhook in front of the real intake: an EventBridge event posted over HTTP becomes a targeted
// resync in Redis, the aws connector lists the fake again through the official SDK, and the Cloudflare
// emulator's zone changes, with a schedule of one hour so only the event can explain it.

let h: Harness | undefined;
let ev: Events | undefined;
let fake: AwsFake | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  await ev?.stop();
  await h?.close();
  await fake?.close();
  app = ev = h = fake = undefined;
});

const ACCOUNT = '111122223333';
const address = (i: number) => ({ publicIp: `203.0.113.${100 + i}`, allocationId: `eipalloc-0a1b2c3d4e5f60${100 + i}` });
const inventory = (n: number) => ({ aws: { defaultAccount: ACCOUNT, accounts: { [ACCOUNT]: { regions: { 'eu-west-1': { addresses: Array.from({ length: n }, (_, i) => address(i)) } } } } } });

process.env.ORS_WEBHOOK_E2E_KEY = 'AKIDWEBHOOKE2E000001';
process.env.ORS_WEBHOOK_E2E_SECRET = 'webhook-e2e-secret-0001';

const allocate = (id: string) => ({
  version: '0',
  id,
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.ec2',
  account: ACCOUNT,
  time: new Date().toISOString(),
  region: 'eu-west-1',
  resources: [],
  detail: { eventSource: 'ec2.amazonaws.com', eventName: 'AllocateAddress', awsRegion: 'eu-west-1', responseElements: { publicIp: '203.0.113.101' } },
});

describe('webhook end to end', () => {
  it('an EventBridge event posted to the webhook reaches the zone within seconds; unrouted and malformed ones are counted', { timeout: 60_000 }, async () => {
    fake = await startAwsFake({ inventory: inventory(1) });
    const port = Number(new URL(fake.url).port);
    h = await startHarness({
      connectors: [{ name: 'aws', type: 'aws', endpoint: fake.url, regions: ['eu-west-1'], credentials: { accessKeyIdEnv: 'ORS_WEBHOOK_E2E_KEY', secretAccessKeyEnv: 'ORS_WEBHOOK_E2E_SECRET' } }],
      zones: [zoneYaml({ select: { connectors: ['aws'] } })],
      config: { schedule: { reconcileEvery: '1h' }, events: { debounce: '200ms', confirmAfter: '1s', sources: [{ name: 'hook', type: 'webhook', token: '${ORS_EVENTS_TOKEN}' }] } },
      env: { ORS_EVENTS_TOKEN: TOKEN },
    });
    await h.once();
    expect(h.emu.mappings(ZONE).map((m) => m.origin_ip)).toEqual(['203.0.113.100']);

    ev = await startEvents(h.rt.ctx, { watchFiles: false });
    app = Fastify();
    await registerWebhook(app, { sources: h.config.events.webhooks, sink: ev.intake, parsers, logger: pino({ level: 'silent' }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/events`;
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers } });

    // The cloud changes (a second Elastic IP), and says so.
    await fake.close();
    fake = await startAwsFake({ inventory: inventory(2), port });
    const sent = Date.now();
    const res = await post(allocate('eb-allocate-1'));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, outcomes: ['enqueued'] });
    await until(() => h!.emu.mappings(ZONE).length === 2, { timeoutMs: 10_000, what: 'the new Elastic IP in the zone' });
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(h.emu.mappings(ZONE).map((m) => m.origin_ip).sort()).toEqual(['203.0.113.100', '203.0.113.101']);
    const plans = await h.rt.ctx.state.plans.list(ZONE, 10);
    expect(plans.some((p) => p.reason === 'event')).toBe(true);

    // A second report of the same change joins the resync already queued or runs one more scan: never an error.
    expect((await post(allocate('eb-allocate-2'))).status).toBe(202);
    // An account no connector covers, and a body that is no event.
    const elsewhere = await post({ ...allocate('eb-other'), account: '999999999999' });
    expect(await elsewhere.json()).toEqual({ accepted: 1, outcomes: ['unrouted'] });
    expect((await post('{"hello":"world"}')).status).toBe(400);
    const metrics = await h.rt.ctx.metrics.registry.getSingleMetricAsString('ors_events_total');
    const resyncs = [...metrics.matchAll(/ors_events_total\{source="hook",outcome="(?:enqueued|coalesced)"\} (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    expect(resyncs).toBe(2);
    expect(metrics).toMatch(/ors_events_total\{source="hook",outcome="unrouted"\} 1/);
    expect(metrics).toMatch(/ors_events_total\{source="hook",outcome="malformed"\} 1/);
  });
});
