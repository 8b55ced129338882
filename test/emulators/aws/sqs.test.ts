import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsFake, type AwsFake } from '../../../src/emulators/aws/index.ts';

// The SQS side of the AWS fake as the unmodified @aws-sdk/client-sqs sees it (AWS JSON 1.0, MD5 checks on).

const ACCOUNT = '111122223333';
const INVENTORY = { aws: { accounts: { [ACCOUNT]: { regions: { 'us-east-1': {} } } } } };
const CREDS = { accessKeyId: 'AKIDFAKEEXAMPLE0003', secretAccessKey: 'fake' };

describe('aws fake: SQS', () => {
  let fake: AwsFake;
  let sqs: SQSClient;
  beforeAll(async () => {
    fake = await startAwsFake({ inventory: INVENTORY });
    sqs = new SQSClient({ region: 'us-east-1', endpoint: fake.url, credentials: CREDS, maxAttempts: 1 });
  });
  afterAll(async () => {
    sqs.destroy();
    await fake.close();
  });

  const queue = async (name: string, attributes: Record<string, string> = {}) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl as string;

  it('creates a queue at http://host/<account>/<name>, finds it again, and sends, receives and deletes', async () => {
    const url = await queue('basic');
    expect(url).toBe(`${fake.url}/${ACCOUNT}/basic`);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'basic' }))).QueueUrl).toBe(url);
    // The SDK checks MD5OfMessageBody on send and MD5OfBody on receive: multi-byte text proves UTF-8 hashing.
    const body = '{"détail":"ünïcødé ✓ 𝄞"}';
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    const before = Date.now();
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'] }),
    );
    expect(got.Messages).toHaveLength(1);
    const m = got.Messages![0]!;
    expect(m).toMatchObject({ MessageId: sent.MessageId, Body: body, Attributes: { ApproximateReceiveCount: '1' } });
    expect(Number(m.Attributes?.SentTimestamp)).toBeLessThanOrEqual(before);
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'QueueArn'] }));
    expect(attrs.Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1', QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:basic` });
    const del = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', ReceiptHandle: m.ReceiptHandle }] }));
    expect(del.Successful).toEqual([{ Id: 'a' }]);
    expect(del.Failed ?? []).toEqual([]);
    // Deleting again succeeds, as on SQS; the queue is empty.
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toEqual([]);
  });

  it('long polling returns as soon as a message arrives, and an empty poll only after the wait', async () => {
    const url = await queue('long-poll');
    const t0 = Date.now();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    setTimeout(() => void sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake' })), 300);
    const got = await polling;
    expect(got.Messages?.[0]?.Body).toBe('wake');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(3000);
    const t1 = Date.now();
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }))).Messages ?? []).toEqual([]);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(950);
  });

  it('a message not deleted comes back after its visibility timeout, and the first receipt is then stale', async () => {
    const url = await queue('visibility');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }))).Messages![0]!;
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toEqual([]);
    // A long poll wakes when the visibility timeout ends, not at the end of its wait.
    const t0 = Date.now();
    const second = (
      await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))
    ).Messages![0]!;
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(second).toMatchObject({ MessageId: first.MessageId, Attributes: { ApproximateReceiveCount: '2' } });
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
    const del = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'stale', ReceiptHandle: first.ReceiptHandle },
          { Id: 'garbage', ReceiptHandle: 'not-a-receipt-handle' },
          { Id: 'current', ReceiptHandle: second.ReceiptHandle },
        ],
      }),
    );
    expect(del.Successful).toEqual([{ Id: 'current' }]);
    expect(del.Failed).toEqual([
      { Id: 'stale', SenderFault: true, Code: 'InvalidParameterValue', Message: expect.stringContaining('The receipt handle has expired') },
      { Id: 'garbage', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: expect.stringContaining('not a valid receipt handle') },
    ]);
    await expect(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'nope' }))).rejects.toMatchObject({
      name: 'ReceiptHandleIsInvalid',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('hands out at most MaxNumberOfMessages, oldest first', async () => {
    const url = await queue('batch');
    const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body ${i}` })) }));
    expect(sent.Successful).toHaveLength(10);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'eleventh' }));
    const a = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 3 }));
    expect(a.Messages?.map((m) => m.Body)).toEqual(['body 0', 'body 1', 'body 2']);
    const b = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(b.Messages?.map((m) => m.Body)).toEqual(['body 3', 'body 4', 'body 5', 'body 6', 'body 7', 'body 8', 'body 9', 'eleventh']);
  });

  it('enforces the documented limits with the SDK-visible error names', async () => {
    const url = await queue('limits');
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('Must be between 1 and 10'),
      $metadata: { httpStatusCode: 400 },
    });
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 43_201 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, ReceiptHandle: 'x' })) })),
    ).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    await expect(sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [] }))).rejects.toMatchObject({ name: 'EmptyBatchRequest' });
    await expect(
      sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'same', ReceiptHandle: 'x' }, { Id: 'same', ReceiptHandle: 'y' }] })),
    ).rejects.toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    // 256 KiB is the default MaximumMessageSize; one byte more is refused, exactly 256 KiB is taken.
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(262_145) }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('Message must be shorter than 262144 bytes'),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(262_144) }));
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad \u0001 char' }))).rejects.toMatchObject({ name: 'InvalidMessageContents' });
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: `${fake.url}/${ACCOUNT}/no-such-queue` }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'limits', Attributes: { VisibilityTimeout: '5' } }))).rejects.toMatchObject({ name: 'QueueNameExists' });
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    await expect(sqs.send(new PurgeQueueCommand({ QueueUrl: url }))).rejects.toMatchObject({ name: 'PurgeQueueInProgress', $metadata: { httpStatusCode: 403 } });
  });

  it('a long poll whose client went away does not take the next message', async () => {
    const url = await queue('abandoned');
    const ac = new AbortController();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }), { abortSignal: ac.signal });
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await expect(polling).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 100));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'for the next receiver' }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(got.Messages?.[0]?.Body).toBe('for the next receiver');
  });

  it('answers an inventory fault that names an SQS action, until the inventory drops it', async () => {
    const url = await queue('faulty');
    fake.setInventory({ aws: { accounts: { [ACCOUNT]: { regions: { 'us-east-1': {} }, faults: [{ action: 'ReceiveMessage', code: 'AccessDenied' }] } } } });
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    // Other actions are not affected.
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'still sent' }));
    fake.setInventory(INVENTORY);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.[0]?.Body).toBe('still sent');
  });

  it('refuses temporary keys without their session token, as AWS does', async () => {
    const bad = new SQSClient({ region: 'us-east-1', endpoint: fake.url, credentials: { accessKeyId: 'ASIAFAKEEXAMPLE00001', secretAccessKey: 'x' }, maxAttempts: 1 });
    await expect(bad.send(new GetQueueUrlCommand({ QueueName: 'basic' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    bad.destroy();
  });
});
