import type { Address, NetworkInterface } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../connectors/aws/index.ts';
import { assemble, compact, isGlobalAccelerator } from '../../../connectors/aws/assemble.ts';
import { describeError } from '../../../connectors/aws/errors.ts';
import { ScanCollector } from '../../../connectors/shared/scan-collector.ts';

// The connector's configuration and its pure parts (joining sources, error text).

const issues = (input: unknown) => {
  const r = configSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('aws connector config', () => {
  it('accepts the documented keys', () => {
    expect(
      issues({
        name: 'aws-prod',
        type: 'aws',
        accounts: [{ roleArn: 'arn:aws:iam::111122223333:role/origin-region-sync', externalId: 'ors-7f3a', sessionName: 'ors' }],
        regions: ['eu-*', 'us-east-1'],
        homeRegion: 'us-east-1',
        tags: { 'cf-origin': 'true' },
        concurrency: 8,
        requestTimeoutMs: 30000,
      }),
    ).toEqual([]);
    expect(issues({ name: 'a', type: 'aws', profile: 'prod', accountId: '111122223333' })).toEqual([]);
    expect(issues({ name: 'a', type: 'aws', endpoint: 'http://127.0.0.1:4566', credentials: { accessKeyIdEnv: 'AWS_FAKE_KEY', secretAccessKeyEnv: 'AWS_FAKE_SECRET' } })).toEqual([]);
  });

  it('rejects unknown keys, and says why for an inline credential', () => {
    expect(issues({ name: 'a', type: 'aws', region: 'us-east-1' })).toEqual([': unknown key(s) "region"']);
    expect(issues({ name: 'a', type: 'aws', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' })).toEqual([
      ': "secretAccessKey": credentials are never written in the config file; use the default credential chain, "profile", or "credentials" naming environment variables',
    ]);
    expect(issues({ name: 'a', type: 'aws', accounts: [{ roleArn: 'arn:aws:iam::111122223333:role/x', secretAccessKey: 'x' }] })).toHaveLength(1);
  });

  it('takes environment variable names, never the secret itself', () => {
    const withCreds = (c: unknown) => issues({ name: 'a', type: 'aws', credentials: c });
    expect(withCreds({ accessKeyIdEnv: 'AKIAIOSFODNN7EXAMPLE', secretAccessKeyEnv: 'S' })).toEqual([
      'credentials.accessKeyIdEnv: looks like a credential: write the name of the environment variable that holds it',
    ]);
    expect(withCreds({ accessKeyIdEnv: 'K', secretAccessKeyEnv: 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12' })).toEqual([
      'credentials.secretAccessKeyEnv: looks like a credential: write the name of the environment variable that holds it',
    ]);
    expect(withCreds({ accessKeyIdEnv: 'K', secretAccessKeyEnv: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' })[0]).toMatch(/must be the name of an environment variable/);
    expect(withCreds({ accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S', accessKeyId: 'x' })).toHaveLength(1);
  });

  it('rejects contradictions and malformed values', () => {
    expect(issues({ name: 'a', type: 'aws', accountId: '111122223333', accounts: [{ roleArn: 'arn:aws:iam::111122223333:role/x' }] })).toEqual([
      'accountId: accountId names the default-chain account; with accounts each id comes from its roleArn',
    ]);
    expect(issues({ name: 'a', type: 'aws', accounts: [{ roleArn: 'arn:aws:iam::111122223333:role/x' }, { roleArn: 'arn:aws:iam::111122223333:role/y' }] })).toEqual([
      'accounts.1.roleArn: account 111122223333 is listed twice',
    ]);
    expect(issues({ name: 'a', type: 'aws', profile: 'p', credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' } })).toEqual(['profile: give either profile or credentials, not both']);
    expect(issues({ name: 'a', type: 'aws', accounts: [{ roleArn: 'arn:aws:iam::1111:user/x' }] })[0]).toMatch(/^accounts\.0\.roleArn: must be an IAM role ARN/);
    expect(issues({ name: 'a', type: 'aws', accountId: '12345' })).toEqual(['accountId: an AWS account id is 12 digits']);
    expect(issues({ name: 'a', type: 'aws', concurrency: 0 })).toHaveLength(1);
    expect(issues({ name: 'a', type: 'aws', concurrency: 65 })).toHaveLength(1);
    expect(issues({ name: 'a', type: 'aws', endpoint: 'ftp://127.0.0.1' })).toHaveLength(1);
    expect(issues({ name: 'a', type: 'gcp' })).toHaveLength(1);
    expect(issues({ name: 'a', type: 'aws', regions: [] })).toHaveLength(1);
  });
});

describe('aws connector internals', () => {
  const scope = { id: 'c/aws/111122223333/us-east-1', connector: 'c', vendor: 'aws' as const, account: '111122223333', region: 'us-east-1' };

  it('gives tags instance < interface < Elastic IP, and treats Global Accelerator interfaces as anycast', () => {
    const collector = new ScanCollector(scope);
    const enis: NetworkInterface[] = [
      {
        NetworkInterfaceId: 'eni-1',
        Attachment: { InstanceId: 'i-1' },
        TagSet: [{ Key: 'Name', Value: 'eni' }],
        Association: { PublicIp: '203.0.113.1' },
        Ipv6Addresses: [{ Ipv6Address: '2001:DB8::1' }],
      },
      { NetworkInterfaceId: 'eni-2', Description: 'Global Accelerator managed interface', Association: { PublicIp: '203.0.113.2' } },
    ];
    const addresses: Address[] = [
      { PublicIp: '203.0.113.1', AllocationId: 'eipalloc-1', InstanceId: 'i-1', Tags: [{ Key: 'role', Value: 'eip' }] },
      { PublicIp: '203.0.113.3', AllocationId: 'eipalloc-3', InstanceId: 'i-1' },
    ];
    const instanceTags = new Map([['i-1', { Name: 'instance', role: 'instance', team: 'web' }]]);
    assemble({ region: 'us-east-1', enis: enis.flatMap((e) => compact(e) ?? []), addresses, instanceTags, filter: undefined, collector });
    const r = collector.result();
    expect(r.origins.map((o) => [o.ip, o.source, o.tags])).toEqual([
      ['203.0.113.1', 'eni-1 (interface, i-1); eipalloc-1', { Name: 'eni', role: 'eip', team: 'web' }],
      ['2001:db8::1', 'eni-1 (interface, i-1)', { Name: 'eni', role: 'instance', team: 'web' }],
      ['203.0.113.3', 'eipalloc-3 (elastic-ip on i-1)', { Name: 'instance', role: 'instance', team: 'web' }],
    ]);
    expect(r.skipped.map((s) => [s.ip, s.reason])).toEqual([['203.0.113.2', 'anycast']]);
    expect(isGlobalAccelerator({ InterfaceType: 'global_accelerator_managed' })).toBe(true);
    expect(isGlobalAccelerator({ InterfaceType: 'network_load_balancer', Description: 'ELB net/x/1' })).toBe(false);
  });

  it('never lets an access key id or a configured secret into an error text', () => {
    const e = Object.assign(new Error('The key AKIAIOSFODNN7EXAMPLE with secret s3cr3t-value-xyz is invalid'), { name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
    const text = describeError(e, ['s3cr3t-value-xyz']);
    expect(text).toBe('InvalidClientTokenId: The key AKIA…[redacted] with secret [redacted] is invalid (HTTP 403)');
  });
});
