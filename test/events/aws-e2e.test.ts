import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAwsFake, type AwsFake } from '../../src/emulators/aws/index.ts';
import { startEvents, type Events } from '../../src/events/index.ts';
import { until } from '../helpers/cli.ts';
import { startHarness, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';

// The daemon's runtime with the aws connector and an aws-sqs source, both against the AWS fake, and a
// schedule of one hour: only the events can explain what reaches the zone.

const ACCOUNT = '111122223333';
// The source reads the credentials through the process environment, as `run` gives it.
process.env.ORS_E2E_SQS_KEY = 'AKIDE2ESQS0000000001';
process.env.ORS_E2E_SQS_SECRET = 'e2e-sqs-secret-value-0001';
const CREDENTIALS = { accessKeyIdEnv: 'ORS_E2E_SQS_KEY', secretAccessKeyEnv: 'ORS_E2E_SQS_SECRET' };

/** One instance with an auto-assigned address, plus these Elastic IPs, in us-east-1. */
const inventory = (eips: string[]) => ({
  aws: {
    accounts: {
      [ACCOUNT]: {
        regions: {
          'us-east-1': {
            instances: [{ instanceId: 'i-0e2e0000000000001', networkInterfaces: [{ networkInterfaceId: 'eni-0e2e0000000000001', privateIpAddress: '10.0.0.1', association: { publicIp: '198.51.100.10' } }] }],
            addresses: eips.map((publicIp) => ({ publicIp })),
          },
        },
      },
    },
  },
});

const burstIps = Array.from({ length: 200 }, (_, i) => `192.0.2.${i + 1}`);

let fake: AwsFake;
let h: Harness;
let ev: Events | undefined;

beforeAll(async () => {
  fake = await startAwsFake({ inventory: inventory([]), events: { queue: 'ors-events' }, pageSize: 1000 });
  h = await startHarness({
    zones: [zoneYaml({ select: { connectors: ['aws'] }, deleteAfterMissedScans: 2, deleteGrace: '2s', guard: { maxChangeFraction: 1 } })],
    connectors: [{ name: 'aws', type: 'aws', accountId: ACCOUNT, endpoint: fake.url, credentials: CREDENTIALS }],
    config: {
      schedule: { reconcileEvery: '1h' },
      events: {
        debounce: '300ms',
        confirmAfter: '1s',
        sources: [{ name: 'aws-events', type: 'aws-sqs', queueUrl: fake.eventsQueueUrl, region: 'us-east-1', endpoint: fake.url, credentials: CREDENTIALS, waitTimeSeconds: 5 }],
      },
    },
  });
  await h.once();
  ev = await startEvents(h.rt.ctx, { watchFiles: false });
  await until(async () => (await h.rt.ctx.state.eventSources.list()).some((r) => r.source === 'aws-events' && r.state === 'up'), { timeoutMs: 10_000, what: 'the source up' });
}, 60_000);

afterAll(async () => {
  await ev?.stop();
  await h?.close();
  await fake?.close();
});

const held = () => h.emu.mappings(ZONE).map((m) => m.origin_ip);
/** Nothing queued, delayed or running: every scan the events asked for (and their confirmations) is done. */
const settled = async () => {
  const c = await h.rt.ctx.queues.cycle.getJobCounts('delayed', 'waiting', 'active');
  return (c.delayed ?? 0) + (c.waiting ?? 0) + (c.active ?? 0) === 0;
};
const settle = async () => {
  await until(settled, { timeoutMs: 20_000, what: 'the event cycles settled' });
  // A confirmation is queued by the scan it confirms: look twice, a moment apart.
  await new Promise((r) => setTimeout(r, 300));
  await until(settled, { timeoutMs: 20_000, what: 'the confirmations settled' });
};

describe('aws-sqs end to end', () => {
  afterEach(settle);

  it('an Elastic IP allocated in the fake is in the zone within seconds; released, it is deleted after confirmAfter/deleteGrace', { timeout: 60_000 }, async () => {
    expect(held()).toEqual(['198.51.100.10']);
    const added = Date.now();
    expect(fake.setInventory(inventory(['203.0.113.60']))).toBe(1);
    await until(() => held().includes('203.0.113.60'), { timeoutMs: 10_000, what: 'the allocated address in the zone' });
    const addLatency = Date.now() - added;
    expect(addLatency).toBeLessThan(5_000);
    await settle();

    const released = Date.now();
    fake.setInventory(inventory([]));
    await until(() => !held().includes('203.0.113.60'), { timeoutMs: 20_000, what: 'the released address deleted' });
    const deleteLatency = Date.now() - released;
    // Two complete scans spanning deleteGrace (2 s), long before the hour's schedule.
    expect(deleteLatency).toBeGreaterThanOrEqual(2_000);
    expect(deleteLatency).toBeLessThan(12_000);
    expect(held()).toEqual(['198.51.100.10']);
    const plans = await h.rt.ctx.state.plans.list(ZONE, 20);
    expect(plans.some((p) => p.reason === 'event')).toBe(true);
    process.stdout.write(`aws-sqs e2e: allocate → zone ${addLatency} ms, release → deleted ${deleteLatency} ms\n`);
  });

  it('a burst of 200 events (200 addresses allocated at once) costs a handful of discovers', { timeout: 60_000 }, async () => {
    const addressCalls = fake.actionCount('DescribeAddresses');
    const interfaceCalls = fake.actionCount('DescribeNetworkInterfaces');
    const t0 = Date.now();
    expect(fake.setInventory(inventory(burstIps))).toBe(200);
    await until(() => held().length === 201, { timeoutMs: 20_000, what: 'all 200 addresses in the zone' });
    const converged = Date.now() - t0;
    await settle();
    const discovers = fake.actionCount('DescribeAddresses') - addressCalls;
    // The event's scan and its confirmation, perhaps one more if the burst straddles a debounce window.
    expect(discovers).toBeGreaterThanOrEqual(1);
    expect(discovers).toBeLessThanOrEqual(4);
    expect(fake.actionCount('DescribeNetworkInterfaces') - interfaceCalls).toBe(discovers);
    process.stdout.write(`aws-sqs e2e: burst of 200 events → ${discovers} discovers, converged in ${converged} ms\n`);
  });

  it('a malformed message is counted and the consumer goes on with the next', { timeout: 60_000 }, async () => {
    fake.sendRawEvent('{"this is": not json');
    fake.sendRawEvent(JSON.stringify({ Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:111122223333:t', Message: 'an alarm, not an event' }));
    fake.setInventory(inventory([...burstIps, '203.0.113.61']));
    await until(() => held().includes('203.0.113.61'), { timeoutMs: 10_000, what: 'the next event applied' });
    const metrics = await h.rt.ctx.metrics.registry.getSingleMetricAsString('ors_events_total');
    expect(metrics).toMatch(/ors_events_total\{[^}]*source="aws-events"[^}]*outcome="malformed"[^}]*\} 2/);
    expect(metrics).toMatch(/ors_events_total\{[^}]*source="aws-events"[^}]*outcome="enqueued"[^}]*\} \d+/);
    // Nothing left behind on the queue: the malformed messages were deleted too.
    await until(async () => {
      const d = (await (await fetch(`${fake.url}/_admin/events`)).json()) as { visible: number; inFlight: number };
      return d.visible === 0 && d.inFlight === 0;
    }, { timeoutMs: 5_000, what: 'an empty queue' });
    expect((await h.rt.ctx.state.eventSources.list()).find((r) => r.source === 'aws-events')?.state).toBe('up');
  });
});
