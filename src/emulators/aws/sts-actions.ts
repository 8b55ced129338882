import { randomBytes } from 'node:crypto';
import { intParam, QueryError, type Params } from './query.ts';
import { el } from './xml.ts';
import type { World } from './world.ts';

/**
 * The two STS calls the connector needs (AssumeRole for `accounts: [{roleArn}]`, GetCallerIdentity for
 * the default chain). Temporary access key ids carry the account they were issued for, so the fake
 * routes later EC2 calls signed with them to that account without keeping state.
 */

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const TEMP_KEY = /^ASIA(\d{12})[A-Z0-9]{4}$/;

/** The account that signed a request: the one a temporary key was issued for, else the default account. */
export function callerAccount(world: World, accessKeyId: string): string | undefined {
  const m = TEMP_KEY.exec(accessKeyId);
  return m ? m[1] : world.defaultAccount;
}

export interface Issued {
  arn: string;
  roleId: string;
}

export class StsState {
  private readonly issued = new Map<string, Issued>();
  private counter = 0;

  assumeRole(world: World, params: Params, caller: string): { account: string; xml: string } {
    const roleArn = params.get('RoleArn');
    const session = params.get('RoleSessionName');
    if (!roleArn) throw new QueryError('ValidationError', "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
    if (!session || !SESSION_NAME.test(session)) {
      throw new QueryError('ValidationError', "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
    }
    const m = ROLE_ARN.exec(roleArn);
    if (!m) throw new QueryError('ValidationError', `${roleArn} is invalid`);
    const account = m[1] as string;
    const roleName = m[2] as string;
    const acct = world.accounts.get(account);
    const denied = () =>
      new QueryError('AccessDenied', `User: arn:aws:iam::${caller}:user/fake is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    if (!acct) throw denied();
    if (acct.src.roleArn !== undefined && acct.src.roleArn !== roleArn) throw denied();
    if (acct.src.externalId !== undefined && params.get('ExternalId') !== acct.src.externalId) throw denied();
    const duration = intParam(params, 'DurationSeconds', 900, 43_200) ?? 3600;
    this.counter = (this.counter + 1) % 36 ** 4;
    const accessKeyId = `ASIA${account}${this.counter.toString(36).toUpperCase().padStart(4, '0')}`;
    const roleId = `AROA${randomBytes(8).toString('hex').toUpperCase()}`;
    const arn = `arn:aws:sts::${account}:assumed-role/${roleName}/${session}`;
    this.issued.set(accessKeyId, { arn, roleId: `${roleId}:${session}` });
    const expiration = new Date(Date.now() + duration * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const xml =
      `<AssumedRoleUser>${el('Arn', arn)}${el('AssumedRoleId', `${roleId}:${session}`)}</AssumedRoleUser>` +
      `<Credentials>${el('AccessKeyId', accessKeyId)}${el('SecretAccessKey', randomBytes(30).toString('base64'))}` +
      `${el('SessionToken', randomBytes(48).toString('base64'))}${el('Expiration', expiration)}</Credentials>`;
    return { account, xml };
  }

  callerIdentity(world: World, accessKeyId: string): string {
    const account = callerAccount(world, accessKeyId);
    if (!account) throw new QueryError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
    const issued = this.issued.get(accessKeyId);
    const arn = issued?.arn ?? (TEMP_KEY.test(accessKeyId) ? `arn:aws:sts::${account}:assumed-role/unknown/unknown` : `arn:aws:iam::${account}:user/fake`);
    return el('Arn', arn) + el('UserId', issued?.roleId ?? 'AIDAFAKEUSER0000000') + el('Account', account);
  }
}
