import type { EC2Client, NetworkInterface } from '@aws-sdk/client-ec2';
import type { ScanResult } from '../connector.ts';
import { mapBounded } from '../shared/concurrency.ts';
import type { ScanCollector } from '../shared/scan-collector.ts';
import { assemble, attachedInstances, uniqueInterfaces } from './assemble.ts';
import { describeError, isAbort } from './errors.ts';
import { elasticIps, instanceTags, interfacesWithIpv6, interfacesWithPublicIpv4 } from './sources.ts';

/** mapBounded over tasks of different result types, keeping each one's type. */
async function allBounded<T extends ReadonlyArray<() => Promise<unknown>>>(tasks: T, limit: number): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  return (await mapBounded(tasks, limit, (t) => t())) as { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };
}

/**
 * One account × region: Elastic IPs and the two interface listings (public IPv4, IPv6) run side by side
 * (at most `concurrency` at once), then the tags of the instances they point at. Complete only when
 * every call read every page; failed when none of the three listings read anything.
 */
export async function scanRegion(opts: {
  client: EC2Client;
  region: string;
  collector: ScanCollector;
  concurrency: number;
  filter: Record<string, string> | undefined;
  secrets: readonly string[];
  signal: AbortSignal;
}): Promise<ScanResult> {
  const { client, collector, signal } = opts;
  // Calls failing the same way (a denied region fails them all) are reported once, naming each call.
  const failures = new Map<string, string[]>();
  const attempt = async <T>(label: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      if (isAbort(e, signal)) throw e;
      const message = describeError(e, opts.secrets);
      failures.set(message, [...(failures.get(message) ?? []), label]);
      return undefined;
    }
  };
  const report = () => {
    for (const [message, labels] of failures) collector.fail(`${labels.join(', ')}: ${message}`);
  };

  const v4: NetworkInterface[] = [];
  const v6: NetworkInterface[] = [];
  const [addresses, v4done, v6done] = await allBounded(
    [
      () => attempt('DescribeAddresses', () => elasticIps(client, signal)),
      () => attempt('DescribeNetworkInterfaces(association.public-ip)', () => interfacesWithPublicIpv4(client, v4, signal).then(() => true)),
      () => attempt('DescribeNetworkInterfaces(ipv6-addresses.ipv6-address)', () => interfacesWithIpv6(client, v6, signal).then(() => true)),
    ] as const,
    opts.concurrency,
  );
  if (addresses === undefined && !v4done && !v6done && v4.length === 0 && v6.length === 0) {
    report();
    return collector.result('failed');
  }
  const enis = uniqueInterfaces(v4, v6);
  const ids = attachedInstances(enis, addresses ?? []);
  const tags = ids.length > 0 ? await attempt('DescribeTags(instance)', () => instanceTags(client, ids, signal)) : undefined;
  assemble({ region: opts.region, enis, addresses: addresses ?? [], instanceTags: tags ?? new Map(), filter: opts.filter, collector });
  report();
  return collector.result();
}
