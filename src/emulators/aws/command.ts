import { InvalidArgumentError, type Command } from 'commander';
import { loadInventoryFile } from '../inventory.ts';
import { parseAwsInventory, startAwsFake } from './index.ts';

function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
    return n;
  };
}

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

Faults (an error code for one region or call, a page, slowness) are set in the inventory: see
docs/inventory/aws.md.`;

/** `emulate aws`: the EC2 + STS fake as a standalone server. */
export function registerCommand(parent: Command): void {
  parent
    .command('aws')
    .summary('AWS EC2 + STS fake (regions, Elastic IPs, network interfaces, instances) over http')
    .description('AWS EC2 Query API + STS fake for the aws connector: serves the accounts, regions and addresses of an inventory file.')
    .requiredOption('--inventory <file>', 'inventory file (YAML or JSON) with an "aws" section')
    .option('--port <n>', 'port to listen on (0 picks a free one)', intIn(0, 65535), 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--page-size <n>', 'most items per page of paginated calls (small, so clients must follow NextToken)', intIn(1, 1000), 5)
    .addHelpText('after', EXAMPLE)
    .action(async (opts: { inventory: string; port: number; host: string; pageSize: number }) => {
      let section: ReturnType<typeof parseAwsInventory>;
      try {
        section = parseAwsInventory(await loadInventoryFile(opts.inventory));
      } catch (err) {
        process.stderr.write(`aws fake: ${opts.inventory}: ${(err as Error).message}\n`);
        process.exit(2);
      }
      let fake: Awaited<ReturnType<typeof startAwsFake>>;
      try {
        fake = await startAwsFake({ inventory: section, host: opts.host, port: opts.port, pageSize: opts.pageSize });
      } catch (err) {
        process.stderr.write(`aws fake: cannot start: ${(err as Error).message}\n`);
        process.exit(2);
      }
      const accounts = Object.entries(section.accounts);
      const regions = accounts.reduce((n, [, a]) => n + Object.keys(a.regions).length, 0);
      process.stdout.write(`${fake.url}\n`);
      process.stderr.write(
        `aws fake: ${accounts.length} account(s), ${regions} region(s), page size ${opts.pageSize}\n` + 'aws fake: Ctrl-C or SIGTERM stops it\n',
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`aws fake: ${signal}, stopping\n`);
        void fake.close().finally(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
