// OCI Streaming end to end below the daemon: the unmodified oci-streaming SDK against the OCI fake's
// Streaming endpoint (consumer groups, cursors, commits, limits), the fake turning inventory changes into
// OCI Events envelopes, and the oci-streaming event source handing them to a sink that records them.
import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as common from 'oci-common';
import * as streaming from 'oci-streaming';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEventSource, sourceSchema } from '../../connectors/oci/events.ts';
import type { EventMeta, EventOutcome, EventSource, ParsedEvent } from '../../src/events/types.ts';
import { loadInventoryFile } from '../../src/emulators/inventory.ts';
import { fingerprintOf, startOciFake, writeOciTestCredentials, type OciFake, type OciFakeOptions, type OciTestCredentials } from '../../src/emulators/oci/index.ts';
import type { OciInventoryInput } from '../../src/emulators/oci/inventory.ts';

type Inv = OciInventoryInput;

let dir: string;
let creds: OciTestCredentials;
let fixture: Inv;
const fakes: OciFake[] = [];
const sources: EventSource[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-streaming-'));
  fixture = (await loadInventoryFile('test/fixtures/inventory-oci.yaml')).oci as Inv;
  creds = await writeOciTestCredentials(join(dir, 'good'), { tenancy: fixture.tenancy, region: 'us-ashburn-1' });
});
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  await rm(dir, { recursive: true, force: true });
});

async function fake(events: OciFakeOptions['events'] = {}, apiKeys = [creds.publicKey]): Promise<OciFake> {
  const f = await startOciFake({ inventory: { ...fixture, apiKeys }, events });
  fakes.push(f);
  return f;
}

const withIp = (inv: Inv, n: number, region = 'us-ashburn-1'): Inv => ({
  ...inv,
  publicIps: [
    ...(inv.publicIps ?? []),
    { id: `ocid1.publicip.oc1.${region === 'us-ashburn-1' ? 'iad' : 'eu-frankfurt-1'}.aaaaaaaanew${n}`, region, lifetime: 'RESERVED', ipAddress: `203.0.113.${100 + n}`, assignedEntityType: 'PRIVATE_IP', assignedEntityId: `ocid1.privateip.oc1.iad.aaaaaaaanew${n}` },
  ],
});

function client(f: OciFake, c: OciTestCredentials = creds): streaming.StreamClient {
  const sc = new streaming.StreamClient(
    { authenticationDetailsProvider: new common.ConfigFileAuthenticationDetailsProvider(c.configFile, 'DEFAULT') },
    { circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true }), retryConfiguration: { terminationStrategy: new common.MaxAttemptsTerminationStrategy(1) } },
  );
  sc.endpoint = f.messagesEndpoint;
  return sc;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** Instance `a` unless told: without a name OCI makes up a new instance, which waits for the old one's partitions. */
async function groupCursor(sc: streaming.StreamClient, f: OciFake, groupName: string, more: Partial<streaming.models.CreateGroupCursorDetails> = {}) {
  const r = await sc.createGroupCursor({
    streamId: f.streamId,
    createGroupCursorDetails: { groupName, instanceName: 'a', type: streaming.models.CreateGroupCursorDetails.Type.TrimHorizon, commitOnGet: false, ...more },
  });
  return r.cursor.value;
}

async function failure(p: Promise<unknown>): Promise<{ statusCode?: number; serviceCode?: string; message?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { statusCode?: number; serviceCode?: string };
  }
  throw new Error('expected the call to fail');
}

async function until(what: string, cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A sink that records what it took; `behave` decides each take (resolve, reject, never). */
function harness(behave: (n: number, parsed: ParsedEvent) => Promise<EventOutcome> = async () => 'enqueued') {
  const calls: Array<{ parsed: ParsedEvent; meta?: EventMeta }> = [];
  const taken: Array<{ parsed: ParsedEvent; meta?: EventMeta }> = [];
  const health: Array<[string, (string | number)?]> = [];
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
  const ctx = {
    sink: {
      take: async (_source: string, parsed: ParsedEvent, meta?: EventMeta) => {
        calls.push({ parsed, ...(meta ? { meta } : {}) });
        const outcome = await behave(calls.length, parsed);
        taken.push({ parsed, ...(meta ? { meta } : {}) });
        return outcome;
      },
    },
    health: { up: () => void health.push(['up']), down: (e: string) => void health.push(['down', e]), lag: (s: number) => void health.push(['lag', s]) },
    logger,
    configDir: dir,
    env: {},
  };
  return { ctx, calls, taken, health, lines, downs: () => health.filter(([k]) => k === 'down').map(([, e]) => String(e)) };
}

function source(f: OciFake, h: ReturnType<typeof harness>, extra: Record<string, unknown> = {}, tuning: { stopWaitMs?: number; heartbeatMs?: number } = { stopWaitMs: 300 }) {
  const config = sourceSchema.parse({
    name: 'oci-events',
    type: 'oci-streaming',
    streamId: f.streamId,
    messagesEndpoint: f.messagesEndpoint,
    configFile: creds.configFile,
    instanceName: 'replica-a',
    pollInterval: '100ms',
    ...extra,
  });
  const s = createEventSource(config, h.ctx, tuning);
  sources.push(s);
  s.start();
  return s;
}

const hintOf = (t: { parsed: ParsedEvent }) => (t.parsed.ok ? t.parsed.hints[0] : undefined);

describe('oci fake: Streaming consumer groups through the unmodified SDK', () => {
  it('puts, reads with a group cursor and commits; a new cursor of the group resumes at the commit', async () => {
    const f = await fake();
    const sc = client(f);
    const put = await sc.putMessages({ streamId: f.streamId, putMessagesDetails: { messages: ['one', 'two', 'three'].map((v) => ({ key: b64('k'), value: b64(v) })) } });
    expect(put.putMessagesResult).toMatchObject({ failures: 0, entries: [{ partition: '0', offset: 0 }, { offset: 1 }, { offset: 2 }] });

    const first = await sc.getMessages({ streamId: f.streamId, cursor: await groupCursor(sc, f, 'g1'), limit: 2 });
    expect(first.items.map((m) => unb64(m.value))).toEqual(['one', 'two']);
    expect(first.items[0]).toMatchObject({ stream: 'ors-events', partition: '0', key: b64('k'), offset: 0 });
    expect(Date.parse(String(first.items[0]?.timestamp))).toBeGreaterThan(Date.now() - 60_000);
    expect(first.opcNextCursor).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    // Not committed: the group's next cursor starts over.
    const again = await sc.getMessages({ streamId: f.streamId, cursor: await groupCursor(sc, f, 'g1') });
    expect(again.items.map((m) => unb64(m.value))).toEqual(['one', 'two', 'three']);

    await sc.consumerCommit({ streamId: f.streamId, cursor: first.opcNextCursor });
    const rest = await sc.getMessages({ streamId: f.streamId, cursor: await groupCursor(sc, f, 'g1') });
    expect(rest.items.map((m) => unb64(m.value))).toEqual(['three']);
    const group = await sc.getGroup({ streamId: f.streamId, groupName: 'g1' });
    expect(group.group.reservations).toEqual([expect.objectContaining({ partition: '0', committedOffset: 2 })]);

    // The cursor type only counts for a new group.
    const latest = await sc.getMessages({ streamId: f.streamId, cursor: await groupCursor(sc, f, 'g2', { type: streaming.models.CreateGroupCursorDetails.Type.Latest }) });
    expect(latest.items).toEqual([]);
    const fresh = await sc.getMessages({ streamId: f.streamId, cursor: await groupCursor(sc, f, 'g1', { type: streaming.models.CreateGroupCursorDetails.Type.Latest }) });
    expect(fresh.items.map((m) => unb64(m.value))).toEqual(['three']);
  });

  it('commits on get by default, as OCI does', async () => {
    const f = await fake();
    const sc = client(f);
    await sc.putMessages({ streamId: f.streamId, putMessagesDetails: { messages: [{ value: b64('a') }, { value: b64('b') }] } });
    const c = await groupCursor(sc, f, 'auto', { commitOnGet: undefined });
    const one = await sc.getMessages({ streamId: f.streamId, cursor: c, limit: 1 });
    await sc.getMessages({ streamId: f.streamId, cursor: one.opcNextCursor, limit: 1 });
    const resumed = await sc.getMessages({ streamId: f.streamId, cursor: await groupCursor(sc, f, 'auto') });
    expect(resumed.items.map((m) => unb64(m.value))).toEqual(['b']);
  });

  it('keeps partitions with their instance until it times out; then another instance reads what was not committed', async () => {
    const f = await fake({ instanceTimeoutMs: 600 });
    const sc = client(f);
    await sc.putMessages({ streamId: f.streamId, putMessagesDetails: { messages: [{ value: b64('x') }] } });
    const a = await sc.getMessages({ streamId: f.streamId, cursor: await groupCursor(sc, f, 'g', { instanceName: 'a' }) });
    expect(a.items).toHaveLength(1);
    const b = await groupCursor(sc, f, 'g', { instanceName: 'b' });
    expect((await sc.getMessages({ streamId: f.streamId, cursor: b })).items).toEqual([]);
    await new Promise((r) => setTimeout(r, 800));
    const later = await sc.getMessages({ streamId: f.streamId, cursor: await groupCursor(sc, f, 'g', { instanceName: 'b' }) });
    expect(later.items.map((m) => unb64(m.value))).toEqual(['x']);
  });

  it('answers OCI errors: limits, throttling, expired cursors, unknown streams, unsigned or altered requests', async () => {
    const f = await fake({ cursorTtlMs: 200 });
    const sc = client(f);
    const cursor = await groupCursor(sc, f, 'errors');
    expect(await failure(sc.getMessages({ streamId: f.streamId, cursor, limit: 10_001 }))).toMatchObject({ statusCode: 400, serviceCode: 'InvalidParameter' });
    expect(await failure(sc.putMessages({ streamId: f.streamId, putMessagesDetails: { messages: [{ value: Buffer.alloc(1024 * 1024 + 1).toString('base64') }] } }))).toMatchObject({ statusCode: 400, serviceCode: 'InvalidParameter' });
    expect(await failure(sc.getMessages({ streamId: 'ocid1.stream.oc1.iad.nosuchstream', cursor }))).toMatchObject({ statusCode: 404, serviceCode: 'NotAuthorizedOrNotFound' });
    expect(await failure(sc.getMessages({ streamId: f.streamId, cursor: 'not-a-cursor' }))).toMatchObject({ statusCode: 400, serviceCode: 'InvalidParameter' });

    // Five GetMessages a second per partition and group; the sixth is throttled.
    let c = await groupCursor(sc, f, 'throttle');
    for (let i = 0; i < 5; i++) c = (await sc.getMessages({ streamId: f.streamId, cursor: c })).opcNextCursor;
    expect(await failure(sc.getMessages({ streamId: f.streamId, cursor: c }))).toMatchObject({ statusCode: 429, serviceCode: 'TooManyRequests' });

    await new Promise((r) => setTimeout(r, 300));
    const expired = await failure(sc.getMessages({ streamId: f.streamId, cursor }));
    expect(expired).toMatchObject({ statusCode: 400, serviceCode: 'InvalidParameter' });
    expect(expired.message).toMatch(/expired/);

    const unsigned = await fetch(`${f.messagesEndpoint}/20180418/streams/${f.streamId}/messages?cursor=x`);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 'NotAuthenticated' });

    // Signed for one body, sent with another.
    const provider = new common.ConfigFileAuthenticationDetailsProvider(creds.configFile, 'DEFAULT');
    const headers = new Headers({ 'content-type': 'application/json' });
    const uri = `${f.messagesEndpoint}/20180418/streams/${f.streamId}/messages`;
    await new common.DefaultRequestSigner(provider).signHttpRequest({ method: 'POST', headers, uri, body: JSON.stringify({ messages: [{ value: b64('a') }] }) });
    const altered = await fetch(uri, { method: 'POST', headers, body: JSON.stringify({ messages: [{ value: b64('b') }] }) });
    expect(altered.status).toBe(401);
    expect(JSON.stringify(await altered.json())).toContain('x-content-sha256');
  });
});

describe('oci fake: inventory changes become OCI Events on the stream', () => {
  it('publishes create, update, compartment, NAT gateway, instance and delete events, without addresses or tenancy', async () => {
    const f = await fake();
    const base = fixture;
    const v1 = withIp(base, 1);
    expect(f.setInventory(v1)).toBe(1);
    const moved: Inv = {
      ...v1,
      publicIps: (v1.publicIps ?? []).map((p) => (p.id === 'ocid1.publicip.oc1.iad.aaaaaaaanew1' ? { ...p, compartmentId: 'ocid1.compartment.oc1..aaaaaaaastaging', lifecycleState: 'AVAILABLE' } : p)),
    };
    expect(f.setInventory(moved)).toBe(2);
    const noNat: Inv = { ...moved, publicIps: (moved.publicIps ?? []).filter((p) => p.assignedEntityType !== 'NAT_GATEWAY' && p.id !== 'ocid1.publicip.oc1.iad.aaaaaaaanew1') };
    expect(f.setInventory(noNat)).toBe(2);
    const noV6: Inv = { ...noNat, ipv6: [] };
    expect(f.setInventory(noV6)).toBeGreaterThan(0);
    expect(f.setInventory(noV6)).toBe(0);

    const events = f.streaming.messages(f.streamId).map((m) => JSON.parse(m.value.toString('utf8')) as Record<string, unknown> & { data: Record<string, unknown>; eventType: string });
    expect(events.map((e) => e.eventType)).toEqual([
      'com.oraclecloud.virtualnetwork.createpublicip',
      'com.oraclecloud.virtualnetwork.changepublicipcompartment',
      'com.oraclecloud.virtualnetwork.updatepublicip',
      'com.oraclecloud.natgateway.deletenatgateway',
      'com.oraclecloud.virtualnetwork.deletepublicip',
      ...events.slice(5).map(() => 'com.oraclecloud.computeapi.terminateinstance.end'),
    ]);
    expect(events[0]).toMatchObject({
      cloudEventsVersion: '0.1',
      eventTypeVersion: '2.0',
      contentType: 'application/json',
      eventID: expect.any(String),
      extensions: { compartmentId: fixture.tenancy },
      data: { resourceId: 'ocid1.publicip.oc1.iad.aaaaaaaanew1', compartmentName: 'root' },
    });
    expect(events[1]).toMatchObject({ data: { compartmentId: 'ocid1.compartment.oc1..aaaaaaaastaging', compartmentName: 'staging' } });
    expect(events[3]).toMatchObject({ data: { resourceId: 'ocid1.natgateway.oc1.iad.aaaaaaaanat' } });
    const text = JSON.stringify(events);
    expect(text).not.toContain('203.0.113.101');
    expect(text).not.toContain('"tenancy');
  });

  it('takes inventories on PUT /_admin/inventory and from the watched inventory file', async () => {
    const file = join(dir, 'watched.json');
    await writeFile(file, JSON.stringify({ oci: fixture }));
    const f = await startOciFake({ inventory: { ...fixture, apiKeys: [creds.publicKey] }, inventoryFile: file });
    fakes.push(f);
    const put = await fetch(`${f.url}/_admin/inventory`, { method: 'PUT', body: JSON.stringify({ oci: withIp({ ...fixture, apiKeys: [creds.publicKey] }, 2) }) });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ events: 1 });
    const bad = await fetch(`${f.url}/_admin/inventory`, { method: 'PUT', body: JSON.stringify({ oci: { tenancy: 'nope' } }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'InvalidParameter', message: expect.stringContaining('oci.tenancy') });

    await writeFile(file, JSON.stringify({ oci: withIp(withIp({ ...fixture, apiKeys: [creds.publicKey] }, 2), 3) }));
    await until('the file edit to publish', () => f.streaming.messages(f.streamId).length === 2);
    const last = JSON.parse(f.streaming.messages(f.streamId)[1]?.value.toString() ?? '{}') as { data: { resourceId: string } };
    expect(last.data.resourceId).toBe('ocid1.publicip.oc1.iad.aaaaaaaanew3');
    // The listing API serves the new inventory as well.
    expect(f.operationCount('listPublicIps')).toBe(0);
  });
});

describe('oci-streaming source', () => {
  it('validates its configuration and keeps key material out of it', () => {
    const ok = sourceSchema.parse({ name: 'e', type: 'oci-streaming', streamId: 'ocid1.stream.oc1.iad.amaaaaaa', messagesEndpoint: 'https://cell-1.streaming.us-ashburn-1.oci.oraclecloud.com' });
    expect(ok).toMatchObject({ group: 'origin-region-sync', limit: 100, pollInterval: 1000 });
    const bad = (extra: Record<string, unknown>) => !sourceSchema.safeParse({ ...ok, ...extra }).success;
    expect(bad({ streamId: 'ocid1.queue.oc1.iad.x' })).toBe(true);
    expect(bad({ messagesEndpoint: 'https://user:pw@cell-1.example' })).toBe(true);
    expect(bad({ configFile: '-----BEGIN PRIVATE KEY-----' })).toBe(true);
    expect(bad({ limit: 10_001 })).toBe(true);
    expect(bad({ pollInterval: 'soon' })).toBe(true);
    expect(bad({ privateKey: 'x' })).toBe(true);
  });

  it('hands each change to the sink as an OCI hint within a poll, and commits it', async () => {
    const f = await fake();
    const h = harness();
    source(f, h);
    await until('the source to be up', () => h.health.some(([k]) => k === 'up'));
    f.setInventory(withIp(fixture, 1));
    await until('the event', () => h.taken.length === 1);
    expect(hintOf(h.taken[0]!)).toEqual({ vendor: 'oci', region: 'us-ashburn-1', resource: 'ocid1.publicip.oc1.iad.aaaaaaaanew1', action: 'virtualnetwork.createpublicip' });
    expect(h.taken[0]?.meta).toMatchObject({ messageId: '0/0', sentAt: expect.any(Number), raw: expect.stringContaining('createpublicip') });
    expect(h.health.some(([k, v]) => k === 'lag' && typeof v === 'number' && v >= 0 && v < 5)).toBe(true);
    await until('the commit', () => f.streaming.count('consumerCommit') === 1);
    const group = await client(f).getGroup({ streamId: f.streamId, groupName: 'origin-region-sync' });
    expect(group.group.reservations?.[0]).toMatchObject({ committedOffset: 1, reservedInstance: 'replica-a' });
    expect(h.downs()).toEqual([]);
  });

  it('a consumer stopped before its commit gets the batch again on restart, under its own name at once, under another after the instance timeout', async () => {
    const f = await fake({ instanceTimeoutMs: 1000 });
    f.setInventory(withIp(withIp(fixture, 1), 2));
    const hung = harness(() => new Promise<never>(() => {}));
    const a = source(f, hung);
    await until('the first take', () => hung.calls.length === 1);
    await a.stop();
    expect(f.streaming.count('consumerCommit')).toBe(0);

    const again = harness();
    const b = source(f, again);
    await until('the redelivery', () => again.taken.length === 2, 3000);
    expect(again.taken.map((t) => hintOf(t)?.resource)).toEqual(['ocid1.publicip.oc1.iad.aaaaaaaanew1', 'ocid1.publicip.oc1.iad.aaaaaaaanew2']);
    await until('the commit', () => f.streaming.count('consumerCommit') === 1);
    await b.stop();

    // A replica under another name waits until replica-a's reservation lapses, then reads from the commit.
    f.setInventory(withIp(withIp(withIp(fixture, 1), 2), 3));
    const other = harness();
    const started = Date.now();
    source(f, other, { instanceName: 'replica-b' });
    await until('replica-b to get the partition', () => other.taken.length === 1, 5000);
    expect(Date.now() - started).toBeGreaterThan(400);
    expect(hintOf(other.taken[0]!)?.resource).toBe('ocid1.publicip.oc1.iad.aaaaaaaanew3');
  });

  it('a sink that rejects leaves the batch uncommitted; after a backoff it is read and taken again', async () => {
    const f = await fake();
    f.setInventory(withIp(fixture, 1));
    const h = harness(async (n) => {
      if (n === 1) throw new Error('Redis is not answering');
      return 'enqueued';
    });
    source(f, h);
    await until('the retried take', () => h.taken.length === 1);
    expect(h.calls).toHaveLength(2);
    expect(h.calls[0]?.meta?.messageId).toBe(h.calls[1]?.meta?.messageId);
    await until('the commit', () => f.streaming.count('consumerCommit') === 1);
  });

  it('counts malformed messages through the sink, commits them with their batch, and keeps reading', async () => {
    const f = await fake();
    f.streaming.put(f.streamId, [{ value: Buffer.from('not json') }, { value: Buffer.from([0xff, 0xfe, 0x00]) }, { value: Buffer.from('{"hello":"world"}') }]);
    f.setInventory(withIp(fixture, 1));
    const h = harness();
    source(f, h);
    await until('four takes', () => h.taken.length === 4);
    expect(h.taken.map((t) => (t.parsed.ok ? 'ok' : t.parsed.reason))).toEqual(['message value is not JSON', 'message value is not UTF-8 text', expect.stringContaining('not an OCI event envelope'), 'ok']);
    expect(h.taken[0]?.meta?.raw).toBe('not json');
    await until('the commit', () => f.streaming.count('consumerCommit') >= 1);

    // Nothing of it comes back to the group.
    const sc = client(f);
    const rest = await sc.getMessages({ streamId: f.streamId, cursor: await groupCursor(sc, f, 'origin-region-sync', { instanceName: 'replica-a' }) });
    expect(rest.items).toEqual([]);
  });

  it('extends its reservation with heartbeats while a slow sink works, so the commit counts', async () => {
    const f = await fake({ instanceTimeoutMs: 500 });
    f.setInventory(withIp(withIp(fixture, 1), 2));
    const h = harness(async () => {
      await new Promise((r) => setTimeout(r, 400));
      return 'enqueued';
    });
    source(f, h, {}, { stopWaitMs: 300, heartbeatMs: 150 });
    await until('the commit', () => f.streaming.count('consumerCommit') === 1, 5000);
    expect(f.streaming.count('consumerHeartbeat')).toBeGreaterThan(0);
    const group = await client(f).getGroup({ streamId: f.streamId, groupName: 'origin-region-sync' });
    expect(group.group.reservations?.[0]?.committedOffset).toBe(2);
  });

  it('replaces an expired cursor with a new group cursor without going down', async () => {
    const f = await fake({ cursorTtlMs: 200 });
    const h = harness();
    source(f, h, { pollInterval: '300ms' });
    await until('a few polls', () => f.streaming.count('createGroupCursor') >= 3, 5000);
    f.setInventory(withIp(fixture, 1));
    await until('the event', () => h.taken.length === 1, 5000);
    expect(h.downs()).toEqual([]);
  });

  it('an unknown key is down with the 401, without key material; registering the key brings it up and the events flow', async () => {
    const other = await writeOciTestCredentials(join(dir, 'other'), { tenancy: fixture.tenancy, region: 'us-ashburn-1' });
    const f = await fake({}, [creds.publicKey]);
    const h = harness();
    source(f, h, { configFile: other.configFile });
    await until('down', () => h.downs().length > 0);
    expect(h.downs()[0]).toMatch(/^creating a group cursor on .*: 401 NotAuthenticated: .*no API key with fingerprint/);
    f.setInventory(withIp({ ...fixture, apiKeys: [creds.publicKey, other.publicKey] }, 1));
    await until('the event after recovery', () => h.taken.length === 1, 8000);
    expect(h.health.at(-1)?.[0]).not.toBe('down');
    const logs = h.lines.join('\n') + h.downs().join('\n');
    expect(logs).not.toMatch(/BEGIN|PRIVATE KEY|signature="/);
    expect(fingerprintOf(createPublicKey(other.publicKey))).toBe(other.fingerprint);
  });

  it('503s and throttling put it down and it comes back by itself', async () => {
    const f = await fake();
    f.streaming.injectFault({ operation: 'getMessages', status: 503, times: 1 });
    f.streaming.injectFault({ operation: 'getMessages', status: 429, times: 1 });
    const h = harness();
    source(f, h);
    f.setInventory(withIp(fixture, 1));
    await until('the event', () => h.taken.length === 1, 8000);
    expect(h.downs()).toEqual([expect.stringMatching(/^reading .*: 503 ServiceUnavailable/), expect.stringMatching(/429 TooManyRequests/)]);
    expect(h.health.at(-1)?.[0]).not.toBe('down');
  });
});
