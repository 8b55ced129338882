import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startAwsFake, type AwsFake } from '../../src/emulators/aws/index.ts';
import { startCli, until } from '../helpers/cli.ts';
import { startHarness, TOKEN, ZONE, zoneYaml, type Harness } from '../helpers/pipeline.ts';
import { restartableRedis, type RestartableRedis } from '../helpers/redis-server.ts';

// The daemon itself (`origin-region-sync run`, a child process) killed with SIGKILL after its aws-sqs
// source received an event and before Redis took the resync: the next daemon gets the message again and
// the change lands, with the schedule an hour away so only the event can explain it. Redis writes are
// held with CLIENT PAUSE WRITE, on a Redis of this test's own, so "between receive and enqueue" lasts.

const ACCOUNT = '111122223333';
const credentials = { accessKeyIdEnv: 'ORS_KILL_KEY', secretAccessKeyEnv: 'ORS_KILL_SECRET' };
const env = { CLOUDFLARE_API_TOKEN: TOKEN, ORS_KILL_KEY: 'AKIDKILL000000000001', ORS_KILL_SECRET: 'kill-secret-value-0001' };
const inventory = (ips: string[]) => ({ aws: { accounts: { [ACCOUNT]: { regions: { 'us-east-1': { addresses: ips.map((publicIp) => ({ publicIp })) } } } } } });

let fake: AwsFake | undefined;
let h: Harness | undefined;
let redis: RestartableRedis | undefined;
const children: Array<ReturnType<typeof startCli>> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await h?.close();
  await fake?.close();
  await redis?.stop();
  h = fake = redis = undefined;
});

describe('the daemon killed between receive and enqueue', () => {
  it('gets the event again after a restart and the change lands', { timeout: 120_000 }, async () => {
    redis = await restartableRedis();
    await redis.start();
    fake = await startAwsFake({ inventory: inventory(['192.0.2.1']), events: { queue: 'ors-events' }, pageSize: 1000 });
    h = await startHarness({
      workers: false,
      zones: [zoneYaml({ select: { connectors: ['aws'] } })],
      connectors: [{ name: 'aws', type: 'aws', accountId: ACCOUNT, endpoint: fake.url, credentials }],
      env,
      config: {
        redis: { url: redis.url, prefix: 'kill' },
        schedule: { reconcileEvery: '1h' },
        server: { listen: '127.0.0.1:0' },
        worker: { lockDuration: '5s', shutdownTimeout: '5s' },
        events: {
          debounce: '200ms',
          sources: [{ name: 'aws-events', type: 'aws-sqs', queueUrl: fake.eventsQueueUrl, region: 'us-east-1', endpoint: fake.url, credentials, waitTimeSeconds: 1, visibilityTimeout: '4s' }],
        },
      },
    });
    const daemon = () => {
      const c = startCli(['run', '--config', h!.configFile, '--log-level', 'warn'], { env });
      children.push(c);
      return c;
    };
    const held = () => h!.emu.mappings(ZONE).map((m) => m.origin_ip).sort();
    const first = daemon();
    await until(() => held().includes('192.0.2.1'), { timeoutMs: 30_000, what: 'the startup cycle' });
    await until(async () => (await h!.rt.ctx.state.eventSources.list()).some((r) => r.source === 'aws-events' && r.state === 'up'), { timeoutMs: 15_000, what: 'the source up' });

    // Redis takes no write now: the daemon can receive the event but cannot queue its resync.
    const admin = new Redis(redis.url);
    await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    fake.setInventory(inventory(['192.0.2.1', '192.0.2.2']));
    const sqs = new SQSClient({ endpoint: fake.url, region: 'us-east-1', credentials: { accessKeyId: env.ORS_KILL_KEY, secretAccessKey: env.ORS_KILL_SECRET }, maxAttempts: 1 });
    const inFlight = async () => Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: fake!.eventsQueueUrl!, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }))).Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    await until(async () => (await inFlight()) === 1, { timeoutMs: 10_000, what: 'the daemon received the event' });
    await new Promise((r) => setTimeout(r, 500)); // it is in the intake, waiting on Redis
    first.child.kill('SIGKILL');
    await first.exited;
    await admin.call('CLIENT', 'UNPAUSE');
    admin.disconnect();
    expect(held()).toEqual(['192.0.2.1']); // nothing written by the killed daemon
    // And no resync queued (the one delayed cycle is the hourly schedule): the message is all there is.
    const queued = await h.rt.ctx.queues.cycle.getJobs(['delayed', 'waiting', 'active']);
    expect(queued.map((j) => j.data.reason)).toEqual(['schedule']);

    const restarted = Date.now();
    daemon();
    await until(() => held().includes('192.0.2.2'), { timeoutMs: 30_000, what: 'the change after the restart' });
    // The event came back after its visibility timeout (4 s), long before the hour's schedule.
    expect(Date.now() - restarted).toBeLessThan(20_000);
    const plans = await h.rt.ctx.state.plans.list(ZONE, 10);
    expect(plans.some((p) => p.reason === 'event' && p.upserts.some((u) => u.ip === '192.0.2.2'))).toBe(true);
    sqs.destroy();
  });
});
