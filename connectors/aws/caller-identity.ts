import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, SourceData } from '@smithy/types';

/**
 * STS GetCallerIdentity, to learn the account id of the default credential chain when neither the
 * config (`accountId`) nor the credentials (AWS_ACCOUNT_ID, SSO, profile `aws_account_id`) name it.
 * @aws-sdk/client-sts is not a dependency of this project, so the request is signed with the SDK's own
 * SigV4 signer (@smithy/signature-v4, which @aws-sdk/core depends on) and sent with fetch.
 */

class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: SourceData): void {
    this.h.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
  reset(): void {}
}

function toBuffer(d: SourceData): Buffer {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

export function stsUrl(region: string): string {
  return `https://sts.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}/`;
}

export async function callerAccountId(opts: {
  credentials: AwsCredentialIdentityProvider;
  region: string;
  endpoint?: string;
  timeoutMs: number;
  signal: AbortSignal;
}): Promise<string> {
  const url = new URL(opts.endpoint ?? stsUrl(opts.region));
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const signer = new SignatureV4({ credentials: opts.credentials, region: opts.region, service: 'sts', sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname || '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  // fetch sets Host itself (to the same value that was signed).
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'));
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) });
  const text = await res.text();
  if (!res.ok) {
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? 'UnknownError';
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '';
    throw new Error(`STS GetCallerIdentity: ${code}: ${message} (HTTP ${res.status})`);
  }
  const account = /<Account>(\d{12})<\/Account>/.exec(text)?.[1];
  if (!account) throw new Error('STS GetCallerIdentity: no account id in the answer');
  return account;
}
