import { expect } from 'vitest';
import { CloudflareApiError } from '../../src/cloudflare/index.ts';

/** The CloudflareApiError a call ends with; fails the test when it ends otherwise. */
export async function caught(p: Promise<unknown>): Promise<CloudflareApiError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CloudflareApiError);
    return e as CloudflareApiError;
  }
  throw new Error('expected a CloudflareApiError, the call succeeded');
}
