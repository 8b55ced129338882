import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { dump } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEvent } from '../../../connectors/gcp/envelope.ts';
import { auditEntries, inventoryChanges, describeChange } from '../../../src/emulators/gcp/events.ts';
import { startGcpFake, type GcpFake } from '../../../src/emulators/gcp/index.ts';
import { parseGcpInventory } from '../../../src/emulators/gcp/inventory.ts';

// The GCP fake's event side: inventory differences → the compute calls → their audit log entries →
// the Pub/Sub emulator, read back with the official client.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const P = 'shop-prod-123';
const base = {
  projects: {
    [P]: {
      addresses: [
        { name: 'web-ip', region: 'us-central1', address: '203.0.113.10', labels: { 'cf-origin': 'true' } as Record<string, string> },
        { name: 'glb-ip', region: 'global', address: '203.0.113.200' },
      ],
      instances: [{ name: 'web-1', zone: 'europe-west1-b', networkInterfaces: [{ networkIP: '10.0.0.2', accessConfigs: [{ natIP: '203.0.113.21' }] }] }],
      forwardingRules: [{ name: 'nlb', region: 'us-east1', IPAddress: '203.0.113.30', target: 'pool-a' }],
    },
  },
};

type Inv = typeof base;
const edit = (f: (p: Inv['projects'][typeof P]) => void): Inv => {
  const copy = structuredClone(base);
  f(copy.projects[P]);
  return copy;
};
const changes = (after: unknown) => inventoryChanges(parseGcpInventory(base), parseGcpInventory(after)).map(describeChange);

describe('inventory differences as compute calls', () => {
  it('addresses: insert, delete, setLabels; a changed IP is a release and a new reservation; global ones are globalAddresses', () => {
    expect(changes(edit((p) => p.addresses.push({ name: 'api-ip', region: 'europe-west1', address: '203.0.113.40', labels: {} })))).toEqual([
      `v1.compute.addresses.insert projects/${P}/regions/europe-west1/addresses/api-ip`,
    ]);
    expect(changes(edit((p) => p.addresses.splice(1, 1)))).toEqual([`v1.compute.globalAddresses.delete projects/${P}/global/addresses/glb-ip`]);
    expect(changes(edit((p) => ((p.addresses[0] as { labels: Record<string, string> }).labels = {})))).toEqual([
      `v1.compute.addresses.setLabels projects/${P}/regions/us-central1/addresses/web-ip`,
    ]);
    expect(changes(edit((p) => ((p.addresses[0] as { address: string }).address = '203.0.113.99')))).toEqual([
      `v1.compute.addresses.delete projects/${P}/regions/us-central1/addresses/web-ip`,
      `v1.compute.addresses.insert projects/${P}/regions/us-central1/addresses/web-ip`,
    ]);
  });

  it('instances: stop/start, access configs, network interfaces', () => {
    const vm = `projects/${P}/zones/europe-west1-b/instances/web-1`;
    expect(changes(edit((p) => Object.assign(p.instances[0] as object, { status: 'TERMINATED' })))).toEqual([`v1.compute.instances.stop ${vm}`]);
    expect(changes(edit((p) => ((p.instances[0] as { networkInterfaces: { accessConfigs?: unknown[] }[] }).networkInterfaces[0]!.accessConfigs = [])))).toEqual([
      `v1.compute.instances.deleteAccessConfig ${vm}`,
    ]);
    expect(
      changes(edit((p) => ((p.instances[0] as { networkInterfaces: { accessConfigs?: unknown[] }[] }).networkInterfaces[0]!.accessConfigs = [{ natIP: '203.0.113.22' }]))),
    ).toEqual([`v1.compute.instances.deleteAccessConfig ${vm}`, `v1.compute.instances.addAccessConfig ${vm}`]);
    expect(
      changes(
        edit((p) =>
          Object.assign((p.instances[0] as { networkInterfaces: object[] }).networkInterfaces[0] as object, { ipv6AccessConfigs: [{ externalIpv6: '2001:db8::1' }] }),
        ),
      ),
    ).toEqual([`v1.compute.instances.updateNetworkInterface ${vm}`]);
    expect(changes(edit((p) => p.instances.splice(0, 1)))).toEqual([`v1.compute.instances.delete ${vm}`]);
  });

  it('forwarding rules: setTarget, and a new frontend IP is a new rule', () => {
    const nlb = `projects/${P}/regions/us-east1/forwardingRules/nlb`;
    expect(changes(edit((p) => ((p.forwardingRules[0] as { target: string }).target = 'pool-b')))).toEqual([`v1.compute.forwardingRules.setTarget ${nlb}`]);
    expect(changes(edit((p) => ((p.forwardingRules[0] as { IPAddress: string }).IPAddress = '203.0.113.31')))).toEqual([
      `v1.compute.forwardingRules.delete ${nlb}`,
      `v1.compute.forwardingRules.insert ${nlb}`,
    ]);
    expect(changes(base)).toEqual([]);
  });

  it('each call logs a first entry (request, pending operation) and a last one; our parser acts on the last only', () => {
    const [ch] = inventoryChanges(parseGcpInventory(base), parseGcpInventory(edit((p) => ((p.addresses[0] as { labels: object }).labels = {}))));
    const [first, last] = auditEntries(ch!, Date.parse('2026-09-28T09:12:44Z'));
    expect(first).toMatchObject({
      logName: `projects/${P}/logs/cloudaudit.googleapis.com%2Factivity`,
      resource: { type: 'gce_reserved_address', labels: { project_id: P, location: 'us-central1' } },
      operation: { producer: 'compute.googleapis.com', first: true },
      protoPayload: { methodName: 'v1.compute.addresses.setLabels', resourceName: `projects/${P}/regions/us-central1/addresses/web-ip`, response: { status: 'RUNNING' } },
    });
    expect((last as { operation: { id: string } }).operation.id).toBe((first as { operation: { id: string } }).operation.id);
    expect(JSON.stringify([first, last])).not.toContain('203.0.113.10'); // the entries name the resource, not its address
    expect(parseEvent(first)).toMatchObject({ ok: true, hints: [] });
    expect(parseEvent(last)).toMatchObject({ ok: true, hints: [{ vendor: 'gcp', account: P, region: 'us-central1', action: 'v1.compute.addresses.setLabels' }] });
  });
});

async function fake(extra: Partial<Parameters<typeof startGcpFake>[0]> = {}): Promise<GcpFake> {
  const f = await startGcpFake({ inventory: base, events: true, ...extra });
  cleanups.push(() => f.close());
  return f;
}

function subscriber(f: GcpFake) {
  const ps = new PubSub({ projectId: 'ors-fake', apiEndpoint: f.pubsubHost, emulatorMode: true, universeDomain: 'googleapis.com' });
  const sub = ps.subscription(f.events!.subscription);
  const got: { data: string; attributes: Record<string, string> }[] = [];
  sub.on('error', () => {});
  sub.on('message', (m: Message) => {
    got.push({ data: m.data.toString(), attributes: m.attributes });
    m.ack();
  });
  cleanups.push(async () => {
    await sub.close();
    await ps.close();
  });
  return got;
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe('GCP fake with events', () => {
  it('setInventory serves the new state and publishes first+last entries, as a sink exports them', async () => {
    const f = await fake();
    expect(f.pubsubHost).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(f.events).toEqual({ topic: 'projects/ors-fake/topics/ors-events', subscription: 'projects/ors-fake/subscriptions/ors-events' });
    const got = subscriber(f);
    const lines = f.setInventory(edit((p) => p.addresses.push({ name: 'new-ip', region: 'asia-south1', address: '203.0.113.77', labels: {} })));
    expect(lines).toEqual([`v1.compute.addresses.insert projects/${P}/regions/asia-south1/addresses/new-ip`]);
    await until(() => got.length === 2);
    const entries = got.map((g) => JSON.parse(g.data) as { operation: { first?: boolean; last?: boolean }; timestamp: string });
    expect(entries.map((e) => (e.operation.first ? 'first' : 'last'))).toEqual(['first', 'last']);
    expect(got[1]?.attributes['logging.googleapis.com/timestamp']).toBe(entries[1]?.timestamp);

    const page = (await (await fetch(`${f.url}/compute/v1/projects/${P}/aggregated/addresses?maxResults=500`)).json()) as { items: Record<string, { addresses?: { name: string }[] }> };
    expect(page.items['regions/asia-south1']?.addresses?.map((a) => a.name)).toEqual(['new-ip']);
    expect(f.listRequests('addresses')).toBe(1);
    expect(f.listRequests()).toBe(1);
  });

  it('PUT /_admin/inventory (YAML or JSON), 400 on an invalid one; POST /_admin/pubsub/publish sends raw data', async () => {
    const f = await fake();
    const got = subscriber(f);
    const put = await fetch(`${f.url}/_admin/inventory`, { method: 'PUT', body: dump({ gcp: edit((p) => p.forwardingRules.splice(0, 1)) }) });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ changes: [`v1.compute.forwardingRules.delete projects/${P}/regions/us-east1/forwardingRules/nlb`] });

    const bad = await fetch(`${f.url}/_admin/inventory`, { method: 'PUT', body: JSON.stringify({ projects: { [P]: { addresses: [{ name: 'x' }] } } }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('addresses[0].region');
    expect((await fetch(`${f.url}/_admin/inventory`, { method: 'PUT', body: '{ nope' })).status).toBe(400);

    const raw = await fetch(`${f.url}/_admin/pubsub/publish`, { method: 'POST', body: 'garbage, not JSON' });
    expect(raw.status).toBe(200);
    await until(() => got.length === 3);
    expect(got[2]?.data).toBe('garbage, not JSON');
    expect((await fetch(`${f.url}/_admin/nothing`)).status).toBe(404);
  });

  it('watches the inventory file: an edit becomes events; a broken edit is reported and the old state stays', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gcp-events-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'inventory.yaml');
    await writeFile(file, dump({ gcp: base }));
    const errors: string[] = [];
    const seen: string[] = [];
    const f = await fake({ inventoryFile: file, onError: (e) => errors.push(e.message), onChange: (c) => seen.push(...c) });
    const got = subscriber(f);
    await writeFile(file, dump({ gcp: edit((p) => p.instances.splice(0, 1)) }));
    await until(() => got.length === 2);
    expect(seen).toEqual([`v1.compute.instances.delete projects/${P}/zones/europe-west1-b/instances/web-1`]);
    await writeFile(file, 'gcp:\n  projects:\n    shop-prod-123:\n      addresses:\n        - name: x\n');
    await until(() => errors.length === 1);
    expect(errors[0]).toContain('region');
    const page = (await (await fetch(`${f.url}/compute/v1/projects/${P}/aggregated/forwardingRules?maxResults=500`)).json()) as { items: Record<string, { forwardingRules?: unknown[] }> };
    expect(page.items['regions/us-east1']?.forwardingRules).toHaveLength(1);
  });

  it('a change of 600 calls goes out in publishes within the 1000-message limit', async () => {
    const f = await fake();
    const many = edit((p) => {
      for (let i = 0; i < 600; i++) p.addresses.push({ name: `burst-${i}`, region: 'us-west1', address: `198.51.100.${i % 250}`, labels: {} });
    });
    expect(f.setInventory(many)).toHaveLength(600);
    expect(f.pubsub?.backlog(f.events!.subscription)).toBe(1200);
  });

  it('`emulate gcp` prints PUBSUB_EMULATOR_HOST and serves events for file edits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gcp-cli-events-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'inventory.yaml');
    await writeFile(file, dump({ gcp: base }));
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const script = `
import { Command } from 'commander';
import { registerCommand } from ${JSON.stringify(pathToFileURL(join(root, 'src/emulators/gcp/command.ts')).href)};
const emulate = new Command('emulate');
registerCommand(emulate);
await emulate.parseAsync(process.argv.slice(1), { from: 'user' });
`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, 'gcp', '--inventory', file], { cwd: root, stdio: 'pipe' });
    cleanups.push(async () => void (child.exitCode === null && child.kill('SIGKILL')));
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await until(() => /PUBSUB_EMULATOR_HOST=127\.0\.0\.1:\d+/.test(err), 15_000);
    const host = /PUBSUB_EMULATOR_HOST=(\S+)/.exec(err)?.[1] as string;
    const ps = new PubSub({ projectId: 'ors-fake', apiEndpoint: host, emulatorMode: true, universeDomain: 'googleapis.com' });
    cleanups.push(() => ps.close());
    await writeFile(file, dump({ gcp: edit((p) => p.addresses.splice(0, 1)) }));
    await until(() => err.includes('event: v1.compute.addresses.delete'));
    const [exists] = await ps.subscription('projects/ors-fake/subscriptions/ors-events').exists();
    expect(exists).toBe(true);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(err).toContain('SIGTERM, stopping');
  }, 30_000);
});
