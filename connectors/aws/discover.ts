import type { EC2Client, NetworkInterface } from '@aws-sdk/client-ec2';
import type { Logger } from 'pino';
import type { ScanResult } from '../connector.ts';
import { mapBounded } from '../shared/concurrency.ts';
import type { ScanCollector } from '../shared/scan-collector.ts';
import { assemble, attachedInstances, compact, type Iface } from './assemble.ts';
import { describeError, isAbort } from './errors.ts';
import { allInterfaces, elasticIps, instanceTags } from './sources.ts';

/** mapBounded over tasks of different result types, keeping each one's type. */
async function allBounded<T extends ReadonlyArray<() => Promise<unknown>>>(tasks: T, limit: number): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  return (await mapBounded(tasks, limit, (t) => t())) as { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };
}

/**
 * One account × region: Elastic IPs and the interface listing run side by side (at most `concurrency` at
 * once), then the tags of the instances they point at. Complete only when every call read every page;
 * failed when neither listing read anything.
 */
export async function scanRegion(opts: {
  client: EC2Client;
  region: string;
  collector: ScanCollector;
  concurrency: number;
  filter: Record<string, string> | undefined;
  secrets: readonly string[];
  /** Told (once per scope) when the endpoint refused a filter and the call went on without it. */
  log: Logger;
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

  // Each page is reduced to its interfaces with an address as it arrives (assemble.ts, compact).
  const enis: Iface[] = [];
  let listed = 0;
  const keep = (page: readonly NetworkInterface[]) => {
    listed += page.length;
    for (const eni of page) {
      const c = compact(eni);
      if (c) enis.push(c);
    }
  };
  const [addresses, enisDone] = await allBounded(
    [
      () => attempt('DescribeAddresses', () => elasticIps(client, signal)),
      () => attempt('DescribeNetworkInterfaces', () => allInterfaces(client, keep, signal).then(() => true)),
    ] as const,
    opts.concurrency,
  );
  if (addresses === undefined && !enisDone && listed === 0) {
    report();
    return collector.result('failed');
  }
  const ids = attachedInstances(enis, addresses ?? []);
  const dropped = (e: unknown) =>
    opts.log.warn({ region: opts.region, call: 'DescribeTags', filter: 'resource-id', err: describeError(e, opts.secrets) }, 'the endpoint refused a filter: listing without it and filtering here');
  const tags = ids.length > 0 ? await attempt('DescribeTags(instance)', () => instanceTags(client, ids, signal, dropped)) : undefined;
  assemble({ region: opts.region, enis, addresses: addresses ?? [], instanceTags: tags ?? new Map(), filter: opts.filter, collector });
  report();
  return collector.result();
}
