import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as parse } from 'js-yaml';
import { startAwsFake } from '../emulators/aws/index.ts';
import { startAzurite } from '../emulators/azure/azurite.ts';
import { startAzureFake } from '../emulators/azure/index.ts';
import { startCloudflareEmulator, type CloudflareEmulator, type SeedMapping } from '../emulators/cloudflare/index.ts';
import { startGcpFake } from '../emulators/gcp/index.ts';
import { loadInventoryFile } from '../emulators/inventory.ts';
import { writeOciTestCredentials } from '../emulators/oci/credentials.ts';
import { startOciFake } from '../emulators/oci/index.ts';
import { startPrivateRedis } from '../state/private-redis.ts';
import { createRedisClient } from '../state/redis-connection.ts';
import { redactUrl } from '../state/redis-url.ts';

export const DEMO_DIR = fileURLToPath(new URL('../../config/', import.meta.url));
export const DEMO_CONFIG = join(DEMO_DIR, 'demo.yaml');

export interface DemoEnvironment {
  /** What the configuration's ${DEMO_*} references resolve to. */
  env: NodeJS.ProcessEnv;
  cloudflare: CloudflareEmulator;
  endpoints: Record<'aws' | 'gcp' | 'azure' | 'oci', string>;
  redisLabel: string;
  workdir: string;
  /** The inventory file the running demo reads (a copy: edit it while --watch runs). */
  inventory: string;
  /** What the four cloud fakes serve (a copy, watched by each: an edit becomes each vendor's own events). */
  clouds: string;
  adminToken: string;
  close(): Promise<void>;
}

/**
 * Redis for the demo: $REDIS_URL, else a Redis on 127.0.0.1:6379 if one answers, else a private
 * redis-server on a free port. A shared Redis gets a prefix of the demo's own, removed at the end.
 */
async function demoRedis(): Promise<{ url: string; label: string; prefix: string; close(): Promise<void> }> {
  const prefix = `ors-demo-${randomBytes(3).toString('hex')}`;
  const shared = async (url: string, label: string) => ({
    url,
    label: `${label} (keys under ${prefix}:*, removed at the end)`,
    prefix,
    async close() {
      const r = createRedisClient({ mode: 'single', url, prefix }, { maxRetriesPerRequest: 1 });
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) await r.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
      await r.quit();
    },
  });
  if (process.env.REDIS_URL) return shared(process.env.REDIS_URL, `REDIS_URL ${redactUrl(process.env.REDIS_URL)}`);
  const probe = createRedisClient({ mode: 'single', url: 'redis://127.0.0.1:6379', prefix }, { connectTimeoutMs: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  const answers = await probe
    .connect()
    .then(() => probe.ping())
    .then(() => true)
    .catch(() => false);
  probe.disconnect();
  if (answers) return shared('redis://127.0.0.1:6379', 'the Redis on 127.0.0.1:6379');
  const own = await startPrivateRedis();
  return { url: own.url, label: `a private redis-server at ${own.url} (stopped at the end)`, prefix, close: () => own.stop() };
}

export async function startDemoEnvironment(): Promise<DemoEnvironment> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const workdir = await mkdtemp(join(tmpdir(), 'ors-demo-'));
    closers.push(() => rm(workdir, { recursive: true, force: true }));
    const redis = await demoRedis();
    closers.push(redis.close);

    const seed = parse(await readFile(join(DEMO_DIR, 'demo/cloudflare-seed.yaml'), 'utf8')) as Record<string, SeedMapping[]>;
    const token = `demo-${randomBytes(12).toString('hex')}`;
    const cloudflare = await startCloudflareEmulator({ tokens: [token], seed });
    closers.push(() => cloudflare.close());

    const cloudsFile = join(workdir, 'clouds.yaml');
    await cp(join(DEMO_DIR, 'demo/clouds.yaml'), cloudsFile);
    const clouds = await loadInventoryFile(cloudsFile);
    // A clouds file saved half-way (or with a typo) is reported by the fake that cannot read it, which
    // keeps serving what it had: the demo's terminal must not die of an editor's intermediate state.
    const badEdit = (vendor: string) => (err: Error) => process.stderr.write(`demo: the ${vendor} fake ignored an edit of ${cloudsFile}: ${err.message.split('\n')[0]}\n`);
    const aws = await startAwsFake({ inventory: clouds, inventoryFile: cloudsFile, events: { queue: 'ors-events' }, onInventoryError: badEdit('aws') });
    closers.push(() => aws.close());
    const gcp = await startGcpFake({ inventory: clouds, inventoryFile: cloudsFile, events: true, onError: badEdit('gcp') });
    closers.push(() => gcp.close());
    // Azure's events reach the daemon through Azurite, Microsoft's own Storage emulator, as Event Grid
    // delivers them to a Storage queue.
    const azurite = await startAzurite({ dir: join(workdir, 'azurite') });
    closers.push(() => azurite.close());
    const azureToken = `demo-${randomBytes(12).toString('hex')}`;
    const azure = await startAzureFake({ inventory: clouds, token: azureToken, inventoryFile: cloudsFile, events: { connectionString: azurite.connectionString, queue: 'ors-events' }, onError: badEdit('azure') });
    closers.push(() => azure.close());
    const oci = await startOciFake({ inventory: clouds, inventoryFile: cloudsFile, onInventoryError: badEdit('oci') });
    closers.push(() => oci.close());

    const azureCa = join(workdir, 'azure-fake-ca.pem');
    await writeFile(azureCa, azure.caPem);
    const ociSection = clouds.oci as { tenancy: string; homeRegion?: string };
    const ociCreds = await writeOciTestCredentials(join(workdir, 'oci'), { tenancy: ociSection.tenancy, region: ociSection.homeRegion ?? 'us-ashburn-1' });
    const inventory = join(workdir, 'inventory.yaml');
    await cp(join(DEMO_DIR, 'demo/inventory.yaml'), inventory);
    const adminToken = randomBytes(16).toString('hex');

    return {
      env: {
        REDIS_URL: redis.url,
        DEMO_PREFIX: redis.prefix,
        DEMO_CLOUDFLARE_URL: cloudflare.url,
        DEMO_CLOUDFLARE_TOKEN: token,
        DEMO_INVENTORY: inventory,
        DEMO_AWS_ENDPOINT: aws.url,
        DEMO_AWS_ACCESS_KEY_ID: 'AKIDDEMO0000000000000',
        DEMO_AWS_SECRET_ACCESS_KEY: `demo-${randomBytes(12).toString('hex')}`,
        DEMO_GCP_ENDPOINT: gcp.url,
        DEMO_AZURE_ENDPOINT: azure.url,
        DEMO_AZURE_CA_FILE: azureCa,
        DEMO_AZURE_TOKEN: azureToken,
        DEMO_OCI_ENDPOINT: oci.url,
        DEMO_OCI_CONFIG_FILE: ociCreds.configFile,
        DEMO_ADMIN_TOKEN: adminToken,
        DEMO_AWS_EVENTS_QUEUE: aws.eventsQueueUrl!,
        DEMO_GCP_SUBSCRIPTION: gcp.events!.subscription,
        DEMO_PUBSUB_HOST: gcp.pubsubHost!,
        DEMO_AZURE_EVENTS_QUEUE: azurite.queueUrl('ors-events'),
        DEMO_AZURE_QUEUE_CONNECTION_STRING: azurite.connectionString,
        DEMO_OCI_STREAM: oci.streamId,
      },
      cloudflare,
      endpoints: { aws: aws.url, gcp: gcp.url, azure: azure.url, oci: oci.url },
      redisLabel: redis.label,
      workdir,
      inventory,
      clouds: cloudsFile,
      adminToken,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
