import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueClient } from '@azure/storage-queue';
import { dump } from 'js-yaml';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventSource, decodeMessage, sourceSchema } from '../../connectors/azure/events.ts';
import { parseEvent } from '../../connectors/azure/envelope.ts';
import { startAzurite, type Azurite } from '../../src/emulators/azure/azurite.ts';
import { startAzureFake, type AzureFake } from '../../src/emulators/azure/index.ts';
import type { ParsedEvent } from '../../src/events/types.ts';

// The Azure fake's Event Grid: inventory changes (setInventory, PUT /_admin/inventory, a watched file)
// become ARM events on an Azurite queue, which the azure-storage-queue source reads back with the SDK.

const SUB = '6b1f3c2e-8d4a-4b7e-9f10-2a3b4c5d6e7f';
const OTHER = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const pip = (name: string, ipAddress: string, location = 'eastus') => ({ name, resourceGroup: 'web', location, ipAddress });
const inv = (...ips: Array<ReturnType<typeof pip>>) => ({ azure: { subscriptions: { [SUB]: { publicIPAddresses: ips }, [OTHER]: {} } } });

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(() => azurite?.close());

async function drain(q: QueueClient): Promise<ParsedEvent[]> {
  const out: ParsedEvent[] = [];
  for (;;) {
    const r = await q.receiveMessages({ numberOfMessages: 32 });
    if (r.receivedMessageItems.length === 0) return out;
    for (const m of r.receivedMessageItems) {
      out.push(decodeMessage(m.messageText).parsed);
      await q.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}

function put(fake: AzureFake, body: string, method = 'PUT'): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${fake.url}/_admin/inventory`, { method, ca: fake.caPem, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('azure fake: Event Grid events for inventory changes', () => {
  let fake: AzureFake;
  let q: QueueClient;
  beforeAll(async () => {
    fake = await startAzureFake({ inventory: inv(pip('a', '203.0.113.1'), pip('b', '203.0.113.2')), events: { connectionString: azurite.connectionString, queue: 'fake-events' } });
    q = new QueueClient(azurite.connectionString, 'fake-events');
  });
  afterAll(() => fake?.close());

  it('creates the queue at start, and raises nothing until something changes', async () => {
    expect((await q.getProperties()).approximateMessagesCount).toBe(0);
    expect(await fake.setInventory(inv(pip('a', '203.0.113.1'), pip('b', '203.0.113.2')))).toBe(0);
  });

  it('an add, a change and a delete become write, write and delete events, Base64-encoded, as ARM and Event Grid raise them', async () => {
    expect(await fake.setInventory(inv(pip('a', '203.0.113.1', 'westus'), pip('c', '203.0.113.3')))).toBe(3);
    const raw = (await q.peekMessages({ numberOfMessages: 3 })).peekedMessageItems.map((m) => m.messageText);
    expect(raw.every((t) => /^[A-Za-z0-9+/]+=*$/.test(t))).toBe(true);
    const decoded = raw.map((t) => JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as Record<string, unknown>);
    const first = decoded.find((e) => e['eventType'] === 'Microsoft.Resources.ResourceDeleteSuccess')!;
    expect(first).toMatchObject({
      topic: `/subscriptions/${SUB}`,
      subject: `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Network/publicIPAddresses/b`,
      eventType: 'Microsoft.Resources.ResourceDeleteSuccess',
      dataVersion: '2',
      metadataVersion: '1',
      data: {
        operationName: 'Microsoft.Network/publicIPAddresses/delete',
        resourceProvider: 'Microsoft.Network',
        status: 'Succeeded',
        subscriptionId: SUB,
        httpRequest: { method: 'DELETE', url: expect.stringMatching(new RegExp(`^${fake.url}/subscriptions/${SUB}/.*publicIPAddresses/b\\?api-version=`)) },
      },
    });
    // Like ARM's, the event does not say which address or region.
    expect(JSON.stringify(first)).not.toMatch(/203\.0\.113|westus|eastus/);
    const parsed = await drain(q);
    // Event Grid promises no order: compared as a set.
    expect(parsed.map((p) => (p.ok ? p.hints.map((h) => `${h.account} ${h.action} ${h.resource?.split('/').at(-1)}`) : p.reason)).sort()).toEqual([
      [`${SUB} Microsoft.Network/publicIPAddresses/delete b`],
      [`${SUB} Microsoft.Network/publicIPAddresses/write a`],
      [`${SUB} Microsoft.Network/publicIPAddresses/write c`],
    ]);
  });

  it('the listing changes before the event is delivered', async () => {
    await fake.setInventory(inv(pip('a', '203.0.113.1', 'westus'), pip('c', '203.0.113.3'), pip('d', '203.0.113.4')));
    const listed = await new Promise<string>((resolve, reject) => {
      request(`${fake.url}/subscriptions/${SUB}/providers/Microsoft.Network/publicIPAddresses?api-version=2026-01-01`, { ca: fake.caPem, headers: { authorization: 'Bearer t' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    expect(listed).toContain('203.0.113.4');
    expect(await drain(q)).toHaveLength(1);
  });

  it('PUT /_admin/inventory applies an inventory and says how many events it raised; a bad one changes nothing', async () => {
    const ok = await put(fake, JSON.stringify(inv(pip('a', '203.0.113.1', 'westus'))));
    expect(ok).toEqual({ status: 200, json: { events: 2 } });
    const bad = await put(fake, JSON.stringify({ azure: { subscriptions: { 'not-a-guid': {} } } }));
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: 'InvalidInventory', message: expect.stringContaining('not a subscription id') } });
    expect((await put(fake, '{nope')).status).toBe(400);
    expect((await put(fake, '{}', 'POST')).status).toBe(405);
    expect(await drain(q)).toHaveLength(2);
  });

  it('a CloudEvents 1.0 subscription, or plain JSON, reads the same', async () => {
    const ce = await startAzureFake({ inventory: inv(), events: { connectionString: azurite.connectionString, queue: 'fake-ce', schema: 'CloudEventSchemaV1_0', encoding: 'plain' } });
    try {
      await ce.setInventory(inv(pip('x', '198.51.100.9')));
      const cq = new QueueClient(azurite.connectionString, 'fake-ce');
      const text = (await cq.peekMessages()).peekedMessageItems[0]?.messageText ?? '';
      expect(JSON.parse(text)).toMatchObject({ specversion: '1.0', type: 'Microsoft.Resources.ResourceWriteSuccess', source: `/subscriptions/${SUB}` });
      expect(parseEvent(JSON.parse(text))).toMatchObject({ ok: true, hints: [{ vendor: 'azure', account: SUB }] });
    } finally {
      await ce.close();
    }
  });
});

describe('azure fake: a watched inventory file, read back by the event source', () => {
  it('each saved edit raises its events, which the azure-storage-queue source hands to the sink', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ors-azure-watch-'));
    const file = join(dir, 'inventory.yaml');
    writeFileSync(file, dump(inv(pip('a', '203.0.113.1'))));
    const errors: Error[] = [];
    const fake = await startAzureFake({ inventory: inv(pip('a', '203.0.113.1')), inventoryFile: file, events: { connectionString: azurite.connectionString, queue: 'watched' }, onError: (e) => errors.push(e) });
    const got: ParsedEvent[] = [];
    const source = createEventSource(
      sourceSchema.parse({ name: 'az', type: 'azure-storage-queue', queueUrl: azurite.queueUrl('watched'), connectionStringEnv: 'CS', pollInterval: '100ms' }),
      {
        sink: { take: async (_s, parsed) => (got.push(parsed), 'enqueued') },
        health: { up() {}, down() {}, lag() {} },
        logger: pino({ level: 'silent' }),
        configDir: dir,
        env: { CS: azurite.connectionString },
      },
    );
    source.start();
    try {
      await sleep(200);
      // As an editor saves: a new file renamed over the old one.
      writeFileSync(`${file}.tmp`, dump(inv(pip('a', '203.0.113.1'), pip('new-one', '203.0.113.50'))));
      renameSync(`${file}.tmp`, file);
      const end = Date.now() + 10_000;
      while (got.length < 1 && Date.now() < end) await sleep(50);
      expect(got).toMatchObject([{ ok: true, hints: [{ vendor: 'azure', account: SUB, resource: expect.stringMatching(/publicIPAddresses\/new-one$/) }] }]);
      // A half-written file is reported and changes nothing.
      writeFileSync(file, 'azure: { subscriptions: [');
      while (errors.length < 1 && Date.now() < end) await sleep(50);
      expect(errors[0]?.message).toBeDefined();
      expect(fake.eventsSent()).toBe(1);
    } finally {
      await source.stop();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
