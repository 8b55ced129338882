import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.ts';
import { bearer, startHook, TOKEN, type Hook } from './webhook-helpers.ts';

let hook: Hook | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await hook?.close();
  hook = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const HINT_CE = { specversion: '1.0', id: 'ci-1', type: 'com.origin-region-sync.change', source: 'ci/deploy', data: { vendor: 'aws', account: '111122223333', region: 'us-east-1' } };
const ceHeaders = { 'content-type': 'application/cloudevents+json' };
const post = (url: string, body: string | Buffer, headers: Record<string, string> = {}) => fetch(url, { method: 'POST', body, headers });

/** A local HTTP server that records what it is asked; plays an OCI confirmation URL (or a callback). */
async function recorder(answer: (path: string) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 })): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  const srv = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const a = answer(req.url ?? '');
    res.writeHead(a.status, a.headers).end('ok');
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, hits };
}

describe('webhook authentication', () => {
  it('answers 401 with a Bearer and Basic challenge without the token, or with a wrong one of the same or another length, and takes nothing', async () => {
    hook = await startHook();
    const body = JSON.stringify(HINT_CE);
    const none = await post(`${hook.url}/events`, body, ceHeaders);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="origin-region-sync", Basic realm="origin-region-sync"/);
    const sameLength = 'x'.repeat(TOKEN.length);
    const prefix = TOKEN.slice(0, -1); // all but the last character: a byte-by-byte compare would get furthest here
    for (const wrong of [sameLength, prefix, `${TOKEN}x`, 'short']) {
      const res = await post(`${hook.url}/events`, body, { ...ceHeaders, ...bearer(wrong) });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    expect((await post(`${hook.url}/events?token=${sameLength}`, body, ceHeaders)).status).toBe(401);
    expect(hook.sink.taken).toEqual([]);
  });

  it('takes the token as Bearer (any case), Basic password or user, ?access_token= or ?token=, also beside a foreign JWT', async () => {
    hook = await startHook();
    const body = JSON.stringify(HINT_CE);
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
    const ways: Array<[string, Record<string, string>]> = [
      ['/events', bearer()],
      ['/events', { authorization: `BEARER ${TOKEN}` }], // Event Grid's own delivery-property example
      ['/events', basic('ors', TOKEN)], // OCI Notifications, EventBridge BASIC
      ['/events', basic(TOKEN, '')], // https://<token>@host/
      [`/events?access_token=${TOKEN}`, {}], // CloudEvents web hooks §3.2
      [`/events?token=${TOKEN}`, {}],
      [`/events?token=${TOKEN}`, { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.google-push-jwt.sig' }], // Pub/Sub push with OIDC on
    ];
    for (const [path, headers] of ways) expect((await post(`${hook.url}${path}`, body, { ...ceHeaders, ...headers })).status).toBe(202);
    expect(hook.sink.taken).toHaveLength(ways.length);
  });

  it('never writes the token to the log, even when it came in the query string', async () => {
    hook = await startHook();
    await post(`${hook.url}/events?token=${TOKEN}`, '{not json', { 'content-type': 'application/json' });
    await post(`${hook.url}/events?token=wrong-${TOKEN}`, '{}', {});
    await post(`${hook.url}/events`, 'x'.repeat(2 * 1024 * 1024), bearer()).catch(() => undefined);
    expect(hook.logs.length).toBeGreaterThan(0);
    expect(hook.logs.join('\n')).not.toContain(TOKEN);
    expect(JSON.stringify(hook.sink.taken)).not.toContain(TOKEN);
  });
});

describe('webhook limits and bad input', () => {
  it('refuses a body over maxBytes with 413, after authentication, and takes bodies above the rest of the server\'s 64 KiB', async () => {
    hook = await startHook([{ name: 'small', path: '/small', maxBytes: 4096 }, { name: 'big', path: '/big' }]);
    const big = JSON.stringify({ ...HINT_CE, data: { vendor: 'aws', resource: 'r'.repeat(2000) }, pad: 'p'.repeat(5000) });
    expect((await post(`${hook.url}/small`, big, ceHeaders)).status).toBe(401); // a stranger learns nothing about sizes
    const res = await post(`${hook.url}/small`, big, { ...ceHeaders, ...bearer() });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'body over 4096 bytes (maxBytes of webhook source small)' });
    // Chunked, with no content-length to refuse early on: the limit holds while reading.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const chunked = await fetch(`${hook.url}/small`, { method: 'POST', body: stream, headers: { ...ceHeaders, ...bearer() }, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(hook.sink.taken).toEqual([]);

    const wide = JSON.stringify({ ...HINT_CE, pad: 'p'.repeat(100 * 1024) });
    expect((await post(`${hook.url}/big`, wide, { ...ceHeaders, ...bearer() })).status).toBe(202);
    // The daemon's own routes keep their parser and limit.
    expect((await post(`${hook.url}/resync`, wide, { 'content-type': 'application/json' })).status).toBe(413);
    expect(await (await post(`${hook.url}/resync`, '{"zone":"z"}', { 'content-type': 'application/json' })).json()).toEqual({ echoed: { zone: 'z' } });
  });

  it('answers 400 with a short reason for a body that is not JSON, not UTF-8, empty, or no known shape, and the sink counts each as malformed', async () => {
    hook = await startHook();
    const cases: Array<[string | Buffer, Record<string, string>, RegExp]> = [
      ['{not json', { 'content-type': 'application/json' }, /body is not JSON/],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { 'content-type': 'application/json' }, /not UTF-8/],
      ['', { 'content-type': 'application/json' }, /empty body/],
      ['{"hello":"world"}', { 'content-type': 'application/json' }, /unknown event shape/],
      ['42', { 'content-type': 'application/json' }, /JSON number, not an event/],
      ['[]', { 'content-type': 'application/json' }, /empty JSON array/],
      [JSON.stringify({ specversion: '1.0', id: 'x', source: 's', data: {} }), ceHeaders, /not a valid CloudEvent: .*type/],
      [JSON.stringify({ specversion: '1.0', type: 't', source: 's' }), ceHeaders, /CloudEvent without id/],
      [JSON.stringify({ ...HINT_CE, data: { vendor: 'aws', regoin: 'us-east-1' } }), ceHeaders, /com\.origin-region-sync\.change: data: Unrecognized key: "regoin"/],
      [JSON.stringify({ ...HINT_CE, data: { vendor: 'ibm' } }), ceHeaders, /data\.vendor/],
      [JSON.stringify({ ...HINT_CE, type: 'com.example.other' }), ceHeaders, /unknown CloudEvent type "com\.example\.other"/],
      ['{"a":1}', { 'content-type': 'application/cloudevents-batch+json' }, /a CloudEvents batch is a JSON array/],
    ];
    for (const [body, headers, reason] of cases) {
      const res = await post(`${hook.url}/events`, body, { ...headers, ...bearer() });
      const answer = (await res.json()) as { error: string };
      expect({ status: res.status, error: answer.error }).toEqual({ status: 400, error: expect.stringMatching(reason) });
    }
    expect(hook.sink.taken).toHaveLength(cases.length);
    expect(hook.sink.taken.every((t) => !t.parsed.ok && t.meta?.raw !== undefined)).toBe(true);
  });

  it('answers 415 for a CloudEvents format other than JSON', async () => {
    hook = await startHook();
    const res = await post(`${hook.url}/events`, 'binary-avro', { 'content-type': 'application/cloudevents+avro', ...bearer() });
    expect(res.status).toBe(415);
  });

  it('keeps the good events of a batch that also holds a bad one, and a vendor parser that throws or is missing costs one malformed event, not a 500', async () => {
    hook = await startHook([{ name: 'hook' }], {
      parsers: {
        aws: () => {
          throw new Error('boom in parser');
        },
      },
    });
    const batch = [HINT_CE, { specversion: '1.0', id: 'bad', source: 's' }, { ...HINT_CE, id: 'ci-2' }];
    const res = await post(`${hook.url}/events`, JSON.stringify(batch), { 'content-type': 'application/cloudevents-batch+json', ...bearer() });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 3, outcomes: ['enqueued', 'malformed', 'enqueued'] });

    const eb = { version: '0', id: 'eb-1', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ec2', account: '1', region: 'us-east-1', time: '2026-01-01T00:00:00Z', resources: [], detail: {} };
    const grid = [{ id: 'g-1', topic: '/subscriptions/s', subject: '/x', eventType: 'Microsoft.Resources.ResourceWriteSuccess', eventTime: '2026-01-01T00:00:00Z', data: {}, dataVersion: '', metadataVersion: '1' }];
    const r1 = await post(`${hook.url}/events`, JSON.stringify(eb), { 'content-type': 'application/json', ...bearer() });
    expect(r1.status).toBe(400);
    expect(((await r1.json()) as { error: string }).error).toBe('aws envelope: boom in parser');
    const r2 = await post(`${hook.url}/events`, JSON.stringify(grid), { 'content-type': 'application/json', ...bearer() });
    expect(((await r2.json()) as { error: string }).error).toMatch(/azure events are not understood here/);
  });

  it('answers 405 naming POST and OPTIONS for other methods', async () => {
    hook = await startHook();
    const res = await fetch(`${hook.url}/events`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe('webhook and the sink', () => {
  it('answers 503 with Retry-After while the sink refuses, says so in health, and 202 again once it takes', async () => {
    hook = await startHook();
    hook.sink.failAfter = 0;
    const body = JSON.stringify(HINT_CE);
    const first = await post(`${hook.url}/events`, body, { ...ceHeaders, ...bearer() });
    expect(first.status).toBe(503);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await first.json()).toEqual({ error: 'the events could not be enqueued; retry later', taken: 0 });
    expect(hook.health.events).toEqual(['down: could not enqueue received events: Connection is closed.']);
    // Consecutive refusals back off: the advice grows (full jitter keeps it within [ceiling/2, ceiling]).
    const advice: number[] = [];
    for (let i = 0; i < 6; i++) advice.push(Number((await post(`${hook.url}/events`, body, { ...ceHeaders, ...bearer() })).headers.get('retry-after')));
    expect(advice.at(-1)!).toBeGreaterThanOrEqual(16);

    hook.sink.failAfter = undefined;
    expect((await post(`${hook.url}/events`, body, { ...ceHeaders, ...bearer() })).status).toBe(202);
    expect(hook.health.events.at(-1)).toBe('up');
    hook.sink.failAfter = 1;
    const again = await post(`${hook.url}/events`, body, { ...ceHeaders, ...bearer() });
    expect(Number(again.headers.get('retry-after'))).toBeLessThanOrEqual(1); // back to the first step
  });

  it('stops at the first refused event of a batch and says how many were taken, so the sender retries the batch', async () => {
    hook = await startHook();
    hook.sink.failAfter = 1;
    const batch = [HINT_CE, { ...HINT_CE, id: 'ci-2' }, { ...HINT_CE, id: 'ci-3' }];
    const res = await post(`${hook.url}/events`, JSON.stringify(batch), { 'content-type': 'application/cloudevents-batch+json', ...bearer() });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ taken: 1 });
    expect(hook.sink.taken.map((t) => (t.parsed.ok ? t.parsed.id : ''))).toEqual(['ci-1']);
  });

  it('serves two sources on two paths, each with its own token, and names the right source to the sink', async () => {
    const other = 'other-token-fedcba9876543210';
    hook = await startHook([{ name: 'ci' }, { name: 'grid', path: '/hooks/azure', token: new Secret(other, 'test') }]);
    const body = JSON.stringify(HINT_CE);
    expect((await post(`${hook.url}/events`, body, { ...ceHeaders, ...bearer(other) })).status).toBe(401);
    expect((await post(`${hook.url}/hooks/azure`, body, { ...ceHeaders, ...bearer() })).status).toBe(401);
    expect((await post(`${hook.url}/events`, body, { ...ceHeaders, ...bearer() })).status).toBe(202);
    expect((await post(`${hook.url}/hooks/azure?token=${other}`, body, ceHeaders)).status).toBe(202);
    expect(hook.sink.taken.map((t) => t.source)).toEqual(['ci', 'grid']);
  });
});

describe('webhook handshakes', () => {
  it('answers the Event Grid subscription validation with the code, behind the token, and takes no event', async () => {
    hook = await startHook();
    const validation = [
      {
        id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
        topic: '/subscriptions/00000000-0000-0000-0000-000000000000',
        subject: '',
        data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/ors/validate?id=512d38b6' },
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: '2026-01-01T00:00:00Z',
        metadataVersion: '1',
        dataVersion: '2',
      },
    ];
    const headers = { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' };
    expect((await post(`${hook.url}/events`, JSON.stringify(validation), headers)).status).toBe(401);
    const res = await post(`${hook.url}/events?token=${TOKEN}`, JSON.stringify(validation), headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    expect(hook.sink.taken).toEqual([]);
  });

  it('grants the CloudEvents abuse-protection handshake (OPTIONS) behind the token, and never calls the callback URL', async () => {
    hook = await startHook();
    const callback = await recorder();
    const headers = { 'webhook-request-origin': 'eventgrid.azure.net', 'webhook-request-callback': `${callback.url}/grant?key=k`, 'webhook-request-rate': '120' };
    expect((await fetch(`${hook.url}/events`, { method: 'OPTIONS', headers })).status).toBe(401);
    const res = await fetch(`${hook.url}/events?access_token=${TOKEN}`, { method: 'OPTIONS', headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    expect(res.headers.get('webhook-allowed-rate')).toBe('*');
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    const bad = await fetch(`${hook.url}/events`, { method: 'OPTIONS', headers: { ...bearer(), 'webhook-request-origin': 'evil example/path' } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('webhook-allowed-origin')).toBeNull();
    expect(callback.hits).toEqual([]);
  });

  it('does not open an OCI confirmation URL whose host is not oraclecloud.com, and logs it for the operator', async () => {
    hook = await startHook();
    const confirm = await recorder();
    const url = `${confirm.url}/20181201/subscriptions/ocid1.onssubscription.oc1.phx.aaaa/confirmation?token=abc&protocol=CUSTOM_HTTPS`;
    const headers = { 'content-type': 'application/json', 'x-oci-ns-messagetype': 'SubscriptionConfirmation', 'x-oci-ns-confirmationurl': url, ...bearer() };
    const res = await post(`${hook.url}/events`, JSON.stringify({ ConfirmationURL: url }), headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ confirmation: 'refused', reason: expect.stringContaining('not an OCI Notifications host') });
    // The same when only the body says it.
    const byBody = await post(`${hook.url}/events`, JSON.stringify({ ConfirmationURL: url }), { 'content-type': 'application/json', ...bearer() });
    expect(await byBody.json()).toMatchObject({ confirmation: 'refused' });
    expect(confirm.hits).toEqual([]);
    expect(hook.logs.join('\n')).toContain(url);
    expect(hook.sink.taken).toEqual([]);
  });

  it('opens an OCI confirmation URL the allow-check accepts (GET, once), and never follows its redirect', async () => {
    const elsewhere = await recorder();
    const confirm = await recorder((path) => (path.startsWith('/moved') ? { status: 302, headers: { location: `${elsewhere.url}/steal` } } : { status: 200 }));
    hook = await startHook([{ name: 'ons' }], { allowConfirmationUrl: (u) => u.hostname === '127.0.0.1' && u.port === new URL(confirm.url).port });
    const send = (url: string) => post(`${hook!.url}/events`, JSON.stringify({ ConfirmationURL: url }), { 'content-type': 'application/json', 'x-oci-ns-confirmationurl': url, ...bearer() });
    expect(await (await send(`${confirm.url}/confirm?token=abc`)).json()).toEqual({ confirmation: 'confirmed' });
    expect(confirm.hits).toEqual(['GET /confirm?token=abc']);
    expect(await (await send(`${confirm.url}/moved`)).json()).toMatchObject({ confirmation: 'failed', reason: 'HTTP 302 (a redirect, not followed)' });
    expect(await (await send(`${elsewhere.url}/other`)).json()).toMatchObject({ confirmation: 'refused' });
    expect(elsewhere.hits).toEqual([]);
  });
});
