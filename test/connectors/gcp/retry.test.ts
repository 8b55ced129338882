import { AddressesClient } from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTION_RETRY } from '../../../connectors/gcp/clients.ts';
import { startGcpFake, type GcpFake } from '../../../src/emulators/gcp/index.ts';

// The production retry settings, as google-gax applies them, against the fake. Only the delays are
// shortened; the codes retried and the attempt cap are the production ones.

const STATUSES = [403, 404, 429, 500, 503];
let fake: GcpFake;
let client: AddressesClient;

beforeAll(async () => {
  // One project per status, so one fake and one client (building a compute client is the slow part).
  const projects = Object.fromEntries(STATUSES.map((s) => [`status-${s}`, { faults: { error: { status: s, lists: ['addresses'] } } }]));
  fake = await startGcpFake({ inventory: { projects } });
  const url = new URL(fake.url);
  client = new AddressesClient({ apiEndpoint: url.hostname, port: Number(url.port), protocol: 'http', authClient: new PassThroughClient() });
});
afterAll(async () => {
  await client.close();
  await fake.close();
});

async function attempts(status: number): Promise<{ requests: number; error: unknown }> {
  const before = fake.requestCount();
  const retry = { ...PRODUCTION_RETRY, backoffSettings: { ...PRODUCTION_RETRY.backoffSettings, initialRetryDelayMillis: 5, maxRetryDelayMillis: 10 } };
  let error: unknown;
  try {
    for await (const _ of client.aggregatedListAsync({ project: `status-${status}` }, { retry, autoPaginate: false })) void _;
  } catch (e) {
    error = e;
  }
  return { requests: fake.requestCount() - before, error };
}

describe('gcp production retries', () => {
  it.each([429, 500, 503])('retries %i, at most four attempts in all', async (status) => {
    const r = await attempts(status);
    expect(r.requests).toBe(4);
    expect(String((r.error as Error).message)).toContain('Exceeded maximum number of retries');
  });

  it.each([403, 404])('does not retry %i', async (status) => {
    const r = await attempts(status);
    expect(r.requests).toBe(1);
    expect((r.error as { httpStatusCode?: number }).httpStatusCode).toBe(status);
  });
});
