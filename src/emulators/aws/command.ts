import type { Command } from 'commander';
import { addFakeOptions, serveFake, type FakeServeOptions } from '../serve.ts';
import { parseAwsInventory, startAwsFake, type EventBridgeEvent } from './index.ts';

const EXAMPLE = `
Speaks the EC2 Query API (DescribeRegions, DescribeAddresses, DescribeNetworkInterfaces,
DescribeInstances) and STS (AssumeRole, GetCallerIdentity) on one http endpoint. Any access key works
(signatures are not checked); the account is the inventory's defaultAccount, or the one a role was
assumed into. Point the connector at it with:

  connectors:
    - name: aws-fake
      type: aws
      endpoint: <the URL printed on stdout>
      credentials: { accessKeyIdEnv: AWS_FAKE_KEY_ID, secretAccessKeyEnv: AWS_FAKE_SECRET }  # any values
      accounts:
        - roleArn: arn:aws:iam::444455556666:role/origin-region-sync
          externalId: ors-demo-7f3a

or the AWS CLI: aws --endpoint-url <URL> ec2 describe-network-interfaces --region us-east-1

Faults (an error code for one region or call, a page, slowness) and the quirks of other EC2
implementations (unsupported filters, empty elements for absent members, regions listed though not
opted in) are set in the inventory: see docs/inventory/aws.md. As EC2 does, the fake refuses more than
200 filter values in one request (FilterLimitExceeded) and MaxResults outside 5-1000.

Events: the same endpoint speaks SQS (AWS JSON 1.0). Each inventory change (--watch and an edit of
the file, or PUT <URL>/_admin/inventory with JSON) puts the EventBridge events AWS would send on the
events queue, whose URL is printed on stderr. Consume it with:

  events:
    sources:
      - name: aws-events
        type: aws-sqs
        queueUrl: <the events queue URL>
        region: us-east-1
        endpoint: <the URL printed on stdout>
        credentials: { accessKeyIdEnv: AWS_FAKE_KEY_ID, secretAccessKeyEnv: AWS_FAKE_SECRET }

POST <URL>/_admin/events/raw puts any body on the queue as is (malformed-message tests).`;

/** `emulate aws`: the EC2 + STS fake as a standalone server. */
export function registerCommand(parent: Command): void {
  const cmd = parent
    .command('aws')
    .summary('AWS EC2 + STS fake (regions, Elastic IPs, network interfaces, instances) over http')
    .description('AWS EC2 Query API + STS fake for the aws connector: serves the accounts, regions and addresses of an inventory file.')
    .addHelpText('after', EXAMPLE);
  addFakeOptions(cmd, 'aws', { maxPageSize: 1000, pagingHint: 'NextToken' })
    .option('--watch', 'reload the inventory file when it changes and queue the events of each change')
    .option('--events-queue <name>', 'name of the SQS queue the events go to', 'ors-events')
    .action(async (opts: FakeServeOptions & { watch?: boolean; eventsQueue: string }) => {
      const err = (line: string) => process.stderr.write(`aws fake: ${line}\n`);
      process.exitCode = await serveFake({
        label: 'aws fake',
        file: opts.inventory,
        parse: parseAwsInventory,
        start: (section) =>
          startAwsFake({
            inventory: section,
            host: opts.host,
            port: opts.port,
            pageSize: opts.pageSize,
            events: { queue: opts.eventsQueue },
            ...(opts.watch ? { inventoryFile: opts.inventory } : {}),
            onEvent: (e) => err(`event ${describeEvent(e)}`),
            onInventoryError: (e) => err(`${opts.inventory}: ${e.message} (still serving the previous inventory)`),
          }),
        details: (section, fake) => {
          const accounts = Object.values(section.accounts);
          return [
            `${accounts.length} account(s), ${accounts.reduce((n, a) => n + Object.keys(a.regions).length, 0)} region(s), page size ${opts.pageSize}`,
            `events queue ${fake.eventsQueueUrl ?? ''}${opts.watch ? ` (watching ${opts.inventory})` : ''}`,
          ];
        },
      });
    });
}

/** One line per event: the call or state, where, and on what. */
function describeEvent(e: EventBridgeEvent): string {
  const d = e.detail;
  const what = e['detail-type'] === 'AWS API Call via CloudTrail' ? String(d.eventName) : `${String(d['instance-id'])} ${String(d.state)}`;
  return `${what} ${e.account}/${e.region}`;
}
