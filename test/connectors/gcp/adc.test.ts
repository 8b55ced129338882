import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create } from '../../../connectors/gcp/index.ts';

// The production path (no endpoint: Application Default Credentials) when the credentials are broken.
// Nothing here reaches Google: ADC fails on the missing key file before any request is made.

const saved = process.env['GOOGLE_APPLICATION_CREDENTIALS'];
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

beforeAll(() => {
  process.env['GOOGLE_APPLICATION_CREDENTIALS'] = '/nonexistent/origin-region-sync-test/key.json';
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  if (saved === undefined) delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
  else process.env['GOOGLE_APPLICATION_CREDENTIALS'] = saved;
});

describe('gcp connector with broken Application Default Credentials', () => {
  it('fails the scope with a clear error, raises no unhandled rejection, and tries afresh next time', async () => {
    const connector = create({ name: 'gcp-prod', type: 'gcp', projects: ['shop-prod-123'] }, { configDir: '.', logger: pino({ level: 'silent' }), env: {} });
    try {
      const signal = new AbortController().signal;
      const [scope] = await connector.listScopes(signal);
      for (let attempt = 0; attempt < 2; attempt++) {
        const r = await connector.discover(scope!, signal);
        expect(r.status).toBe('failed');
        expect(r.origins).toEqual([]);
        // The same cause the second time: the client whose setup failed was replaced, not reused.
        expect(r.error).toContain('GOOGLE_APPLICATION_CREDENTIALS');
        expect(r.error).toContain('/nonexistent/origin-region-sync-test/key.json');
      }
      // The SDK rethrows setup failures from a detached promise unless the connector awaits setup itself.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      await connector.close?.();
    }
  });
});
