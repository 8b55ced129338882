import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../connectors/gcp/envelope.ts';
import type { ParsedEvent } from '../../src/events/types.ts';

// Entries in the shape Cloud Logging writes for compute.googleapis.com Admin Activity (and exports to
// Pub/Sub as the message data): one entry when an operation is accepted (`first`), one when it is done
// (`last`), the monitored resource's labels naming the project and location.

type Entry = Record<string, unknown>;

function entry(opts: {
  method: string;
  resourceName?: string;
  resource?: { type: string; labels: Record<string, string> };
  operation?: { first?: boolean; last?: boolean } | null;
  status?: Record<string, unknown>;
  insertId?: string;
  project?: string;
}): Entry {
  const project = opts.project ?? 'shop-prod-123';
  return {
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      ...(opts.status ? { status: opts.status } : {}),
      authenticationInfo: { principalEmail: 'deployer@shop-prod-123.iam.gserviceaccount.com' },
      requestMetadata: { callerIp: '198.51.100.7', callerSuppliedUserAgent: 'google-cloud-sdk gcloud/480.0.0' },
      serviceName: 'compute.googleapis.com',
      methodName: opts.method,
      ...(opts.resourceName ? { resourceName: opts.resourceName } : {}),
      request: { '@type': `type.googleapis.com/${opts.method.replace(/^(v1|beta)\./, '')}` },
    },
    insertId: opts.insertId ?? '-k3x9p2e1abcd',
    resource: opts.resource ?? { type: 'gce_reserved_address', labels: { project_id: project, reserved_address_id: '4417', location: 'us-central1' } },
    timestamp: '2026-09-28T09:12:44.113Z',
    severity: 'NOTICE',
    logName: `projects/${project}/logs/cloudaudit.googleapis.com%2Factivity`,
    ...(opts.operation === null
      ? {}
      : { operation: { id: 'operation-1727514764113-6231a0b3c9d1e', producer: 'compute.googleapis.com', ...(opts.operation ?? { last: true }) } }),
    receiveTimestamp: '2026-09-28T09:12:45.001Z',
  };
}

const hintsOf = (p: ParsedEvent) => {
  if (!p.ok) throw new Error(`expected ok, got ${p.reason}`);
  return p.hints;
};

describe('gcp audit log envelope', () => {
  it('an address insert (last entry): project, region, resource and action', () => {
    const parsed = parseEvent(
      entry({ method: 'v1.compute.addresses.insert', resourceName: 'projects/shop-prod-123/regions/us-central1/addresses/web-ip', insertId: 'ins-1' }),
    );
    expect(parsed).toEqual({
      ok: true,
      id: 'ins-1',
      time: Date.parse('2026-09-28T09:12:44.113Z'),
      hints: [
        {
          vendor: 'gcp',
          account: 'shop-prod-123',
          region: 'us-central1',
          resource: 'projects/shop-prod-123/regions/us-central1/addresses/web-ip',
          action: 'v1.compute.addresses.insert',
        },
      ],
    });
  });

  it('the first entry of an operation carries no hint; the last one does; a single-entry operation does', () => {
    const base = { method: 'v1.compute.addresses.delete', resourceName: 'projects/shop-prod-123/regions/europe-west1/addresses/api-ip' };
    expect(hintsOf(parseEvent(entry({ ...base, operation: { first: true } })))).toEqual([]);
    expect(hintsOf(parseEvent(entry({ ...base, operation: { last: true } })))).toHaveLength(1);
    expect(hintsOf(parseEvent(entry({ ...base, operation: { first: true, last: true } })))).toHaveLength(1);
    expect(hintsOf(parseEvent(entry({ ...base, operation: null })))).toHaveLength(1);
  });

  it('an instance in a zone: the zone’s region; every method that moves a public IP counts', () => {
    const methods = [
      'v1.compute.instances.insert',
      'beta.compute.instances.insert',
      'compute.instances.insert',
      'v1.compute.instances.delete',
      'v1.compute.instances.start',
      'v1.compute.instances.stop',
      'v1.compute.instances.suspend',
      'v1.compute.instances.resume',
      'v1.compute.instances.addAccessConfig',
      'v1.compute.instances.deleteAccessConfig',
      'v1.compute.instances.updateAccessConfig',
      'v1.compute.instances.updateNetworkInterface',
      'v1.compute.instances.setLabels',
    ];
    for (const method of methods) {
      const hints = hintsOf(
        parseEvent(
          entry({
            method,
            resourceName: 'projects/shop-prod-123/zones/asia-northeast1-b/instances/edge-1',
            resource: { type: 'gce_instance', labels: { project_id: 'shop-prod-123', instance_id: '88', zone: 'asia-northeast1-b' } },
          }),
        ),
      );
      expect(hints, method).toEqual([
        { vendor: 'gcp', account: 'shop-prod-123', region: 'asia-northeast1', resource: 'projects/shop-prod-123/zones/asia-northeast1-b/instances/edge-1', action: method },
      ]);
    }
  });

  it('forwarding rules: regional ones name the region, global ones and global addresses none', () => {
    const regional = hintsOf(
      parseEvent(
        entry({
          method: 'v1.compute.forwardingRules.setTarget',
          resourceName: 'projects/shop-prod-123/regions/us-east1/forwardingRules/nlb',
          resource: { type: 'gce_forwarding_rule', labels: { project_id: 'shop-prod-123', forwarding_rule_id: '9', region: 'us-east1' } },
        }),
      ),
    );
    expect(regional[0]).toMatchObject({ account: 'shop-prod-123', region: 'us-east1' });

    for (const [method, resourceName] of [
      ['v1.compute.globalForwardingRules.insert', 'projects/shop-prod-123/global/forwardingRules/glb'],
      ['v1.compute.globalAddresses.delete', 'projects/shop-prod-123/global/addresses/glb-ip'],
    ] as const) {
      const hints = hintsOf(
        parseEvent(entry({ method, resourceName, resource: { type: 'gce_forwarding_rule', labels: { project_id: 'shop-prod-123', forwarding_rule_id: '1', region: 'global' } } })),
      );
      expect(hints).toEqual([{ vendor: 'gcp', account: 'shop-prod-123', resource: resourceName, action: method }]);
    }
  });

  it('a failed call (status with an error code) changes nothing; an empty status is success', () => {
    const failed = entry({
      method: 'v1.compute.instances.insert',
      resourceName: 'projects/shop-prod-123/zones/europe-west2-b/instances/vm-9',
      status: { code: 8, message: 'IP_SPACE_EXHAUSTED' },
    });
    expect(parseEvent(failed)).toMatchObject({ ok: true, hints: [] });
    const ok = entry({ method: 'v1.compute.instances.insert', resourceName: 'projects/shop-prod-123/zones/europe-west2-b/instances/vm-9', status: {} });
    expect(hintsOf(parseEvent(ok))).toHaveLength(1);
  });

  it('compute methods that move no public IP, and other services, are well formed but ignored', () => {
    for (const method of ['v1.compute.firewalls.insert', 'v1.compute.disks.createSnapshot', 'v1.compute.instances.setMachineType', 'v1.compute.addresses.get']) {
      expect(parseEvent(entry({ method, resourceName: 'projects/shop-prod-123/global/firewalls/fw' })), method).toMatchObject({ ok: true, hints: [] });
    }
    const storage = entry({ method: 'storage.buckets.create', resourceName: 'projects/_/buckets/b' });
    (storage.protoPayload as Entry).serviceName = 'storage.googleapis.com';
    expect(parseEvent(storage)).toMatchObject({ ok: true, hints: [] });
    // A text log entry a broad sink filter let through.
    expect(parseEvent({ logName: 'projects/shop-prod-123/logs/syslog', textPayload: 'hello', insertId: 'x1' })).toEqual({ ok: true, id: 'x1', hints: [], time: undefined });
  });

  it('the project id from the monitored resource, even when resourceName uses the project number', () => {
    const mig = entry({
      method: 'v1.compute.instances.insert',
      resourceName: 'projects/628324858917/zones/europe-west2-b/instances/web-mig-2t8s',
      resource: { type: 'gce_instance', labels: { project_id: 'shop-prod-123', instance_id: '1', zone: 'europe-west2-b' } },
    });
    expect(hintsOf(parseEvent(mig))[0]).toMatchObject({ account: 'shop-prod-123', region: 'europe-west2' });

    // Neither the labels nor the log name: the resource name's project, unless it is a number.
    const bare = { protoPayload: { '@type': 'type.googleapis.com/google.cloud.audit.AuditLog', serviceName: 'compute.googleapis.com', methodName: 'v1.compute.addresses.insert', resourceName: 'projects/other-proj-9/regions/us-west1/addresses/a' } };
    expect(hintsOf(parseEvent(bare))[0]).toMatchObject({ account: 'other-proj-9', region: 'us-west1' });
    const numeric = structuredClone(bare);
    numeric.protoPayload.resourceName = 'projects/628324858917/regions/us-west1/addresses/a';
    const hint = hintsOf(parseEvent(numeric))[0];
    expect(hint?.account).toBeUndefined(); // widens to every GCP project rather than naming one that matches nothing
    expect(hint?.region).toBe('us-west1');
  });

  it('region from the monitored resource labels when the resource name has none', () => {
    const e = entry({
      method: 'v1.compute.instances.bulkInsert',
      resourceName: 'projects/shop-prod-123/zones/us-central1-a/instances',
    });
    expect(hintsOf(parseEvent(e))[0]?.region).toBe('us-central1');
    const noPath = entry({
      method: 'v1.compute.addresses.insert',
      resourceName: 'addresses/web-ip',
      resource: { type: 'gce_reserved_address', labels: { project_id: 'shop-prod-123', reserved_address_id: '1', location: 'southamerica-east1' } },
    });
    expect(hintsOf(parseEvent(noPath))[0]?.region).toBe('southamerica-east1');
  });

  it('accepts JSON text and Buffers as the Pub/Sub message data carries them', () => {
    const e = entry({ method: 'v1.compute.addresses.insert', resourceName: 'projects/shop-prod-123/regions/us-central1/addresses/web-ip' });
    expect(hintsOf(parseEvent(JSON.stringify(e)))).toHaveLength(1);
    expect(hintsOf(parseEvent(Buffer.from(JSON.stringify(e))))).toHaveLength(1);
  });

  it('Eventarc: an audit-log CloudEvent carries the entry as data; a topic CloudEvent carries it base64', () => {
    const e = entry({ method: 'v1.compute.addresses.insert', resourceName: 'projects/shop-prod-123/regions/us-central1/addresses/web-ip' });
    const audit = {
      specversion: '1.0',
      id: 'projects/shop-prod-123/logs/cloudaudit.googleapis.com%2Factivity-k3x9p2e1abcd1727514764113',
      source: '//cloudaudit.googleapis.com/projects/shop-prod-123/logs/activity',
      type: 'google.cloud.audit.log.v1.written',
      subject: 'compute.googleapis.com/projects/shop-prod-123/regions/us-central1/addresses/web-ip',
      datacontenttype: 'application/json; charset=utf-8',
      data: e,
    };
    expect(hintsOf(parseEvent(audit))[0]).toMatchObject({ account: 'shop-prod-123', region: 'us-central1' });
    expect(hintsOf(parseEvent({ ...audit, data: JSON.stringify(e) }))).toHaveLength(1);
    const { data: _drop, ...noData } = audit;
    expect(hintsOf(parseEvent({ ...noData, data_base64: Buffer.from(JSON.stringify(e)).toString('base64') }))).toHaveLength(1);

    const topic = {
      specversion: '1.0',
      id: '123456789',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: '//pubsub.googleapis.com/projects/shop-prod-123/topics/ors-events',
      data: { message: { data: Buffer.from(JSON.stringify(e)).toString('base64'), messageId: '123456789', publishTime: '2026-09-28T09:12:45.2Z' }, subscription: 'projects/shop-prod-123/subscriptions/eventarc-x' },
    };
    expect(hintsOf(parseEvent(topic))[0]).toMatchObject({ account: 'shop-prod-123', region: 'us-central1' });
    expect(parseEvent({ ...audit, type: 'google.cloud.storage.object.v1.finalized' })).toMatchObject({ ok: false });
  });

  it('malformed input: a reason, never a throw', () => {
    const cases: unknown[] = [
      'not json {',
      '[1,2]',
      null,
      42,
      { hello: 'world' },
      { protoPayload: { '@type': 'type.googleapis.com/google.cloud.audit.AuditLog', serviceName: 'compute.googleapis.com' } },
      { specversion: '1.0', type: 'google.cloud.audit.log.v1.written', data: 'nope{' },
      { specversion: '1.0', type: 'google.cloud.pubsub.topic.v1.messagePublished', data: { message: {} } },
    ];
    for (const c of cases) {
      const parsed = parseEvent(c);
      expect(parsed.ok, JSON.stringify(c)).toBe(false);
      if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(0);
    }
  });

  it('odd field types do not throw and do not leak into hints', () => {
    const e = entry({ method: 'v1.compute.addresses.insert', resourceName: 'projects/shop-prod-123/regions/us-central1/addresses/web-ip' });
    e.resource = { type: 'gce_reserved_address', labels: { project_id: 42 } };
    e.timestamp = 'yesterday';
    e.operation = 'op';
    const parsed = parseEvent(e);
    expect(parsed).toMatchObject({ ok: true, time: undefined });
    expect(hintsOf(parsed)[0]).toMatchObject({ account: 'shop-prod-123', region: 'us-central1' }); // from logName, resourceName

    const huge = entry({ method: 'v1.compute.addresses.insert', resourceName: `projects/shop-prod-123/regions/us-central1/addresses/${'a'.repeat(5000)}` });
    expect(hintsOf(parseEvent(huge))[0]?.resource?.length).toBeLessThanOrEqual(301);
  });

  it('entries without insertId still get distinct ids for first and last', () => {
    const first = entry({ method: 'v1.compute.addresses.insert', operation: { first: true } });
    const last = entry({ method: 'v1.compute.addresses.insert', operation: { last: true } });
    delete first.insertId;
    delete last.insertId;
    const a = parseEvent(first);
    const b = parseEvent(last);
    expect(a.ok && b.ok && a.id !== b.id).toBe(true);
  });
});
