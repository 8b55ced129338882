// OCI Events envelopes → hints: the pure parser, on the documented shapes and on what a stream can carry
// besides (other services' events, other JSON, truncated or hostile input).
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../connectors/oci/envelope.ts';

/** The shape of the documented example (Events envelope reference), with a public IP's fields. */
function envelope(eventType: string, data: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    eventType,
    cloudEventsVersion: '0.1',
    eventTypeVersion: '2.0',
    source: 'virtualNetwork',
    eventTime: '2024-05-01T10:00:00.123Z',
    contentType: 'application/json',
    eventID: 'b6a3c5d0-7c1e-4c1e-9d7e-0123456789ab',
    extensions: { compartmentId: 'ocid1.compartment.oc1..aaaaaaaaprod' },
    data: {
      compartmentId: 'ocid1.compartment.oc1..aaaaaaaaprod',
      compartmentName: 'prod',
      resourceName: 'web-ip',
      resourceId: 'ocid1.publicip.oc1.iad.aaaaaaaaweb1',
      availabilityDomain: null,
      freeformTags: {},
      definedTags: {},
      additionalDetails: {},
      ...data,
    },
    ...extra,
  };
}

describe('OCI envelope: public IP, NAT gateway and instance events', () => {
  it.each([
    'com.oraclecloud.virtualnetwork.createpublicip',
    'com.oraclecloud.virtualnetwork.updatepublicip',
    'com.oraclecloud.virtualnetwork.deletepublicip',
    'com.oraclecloud.virtualnetwork.changepublicipcompartment',
  ])('%s names the region of the public IP OCID and no tenancy', (type) => {
    const parsed = parseEvent(envelope(type));
    expect(parsed).toEqual({
      ok: true,
      id: 'b6a3c5d0-7c1e-4c1e-9d7e-0123456789ab',
      time: Date.parse('2024-05-01T10:00:00.123Z'),
      hints: [{ vendor: 'oci', region: 'us-ashburn-1', resource: 'ocid1.publicip.oc1.iad.aaaaaaaaweb1', action: type.slice('com.oraclecloud.'.length) }],
    });
    expect(parsed.ok && parsed.hints[0]).not.toHaveProperty('account');
  });

  it('reads region keys of every realm and region names written out in newer OCIDs', () => {
    const region = (resourceId: string) => {
      const p = parseEvent(envelope('com.oraclecloud.virtualnetwork.deletepublicip', { resourceId }));
      return p.ok ? p.hints[0]?.region : 'malformed';
    };
    expect(region('ocid1.publicip.oc1.phx.aaaa')).toBe('us-phoenix-1');
    expect(region('ocid1.publicip.oc1.FRA.aaaa')).toBe('eu-frankfurt-1');
    expect(region('ocid1.publicip.oc1.eu-frankfurt-1.aaaa')).toBe('eu-frankfurt-1');
    expect(region('ocid1.publicip.oc3.ric.aaaa')).toBe('us-gov-ashburn-1');
    expect(region('ocid1.publicip.oc1.ap-kulai-2.aaaa')).toBe('ap-kulai-2');
    // A region newer than the catalogue keeps its name; a key it does not know widens to every region.
    expect(region('ocid1.publicip.oc1.xx-newcity-1.aaaa')).toBe('xx-newcity-1');
    expect(region('ocid1.publicip.oc1.zzq.aaaa')).toBeUndefined();
    expect(region('ocid1.publicip.oc1..aaaa')).toBeUndefined();
  });

  it('falls back to the availability domain when the OCID has no region', () => {
    const region = (availabilityDomain: string) => {
      const p = parseEvent(envelope('com.oraclecloud.computeapi.launchinstance.end', { resourceId: 'not-an-ocid', availabilityDomain }));
      return p.ok ? p.hints[0]?.region : 'malformed';
    };
    expect(region('Uocm:PHX-AD-1')).toBe('us-phoenix-1');
    expect(region('Uocm:US-ASHBURN-AD-2')).toBe('us-ashburn-1');
    expect(region('kIdk:EU-FRANKFURT-1-AD-3')).toBe('eu-frankfurt-1');
    expect(region('something else')).toBeUndefined();
  });

  it('NAT gateway and instance lifecycle ends are hints; their begins and unrelated services are ignored', () => {
    const nat = parseEvent(envelope('com.oraclecloud.natgateway.createnatgateway', { resourceId: 'ocid1.natgateway.oc1.iad.aaaanat' }));
    expect(nat).toMatchObject({ ok: true, hints: [{ vendor: 'oci', region: 'us-ashburn-1', resource: 'ocid1.natgateway.oc1.iad.aaaanat', action: 'natgateway.createnatgateway' }] });
    const gone = parseEvent(envelope('com.oraclecloud.computeapi.terminateinstance.end', { resourceId: 'ocid1.instance.oc1.ap-tokyo-1.aaaa' }));
    expect(gone).toMatchObject({ ok: true, hints: [{ region: 'ap-tokyo-1', action: 'computeapi.terminateinstance.end' }] });
    for (const type of ['com.oraclecloud.computeapi.terminateinstance.begin', 'com.oraclecloud.objectstorage.createobject', 'com.example.custom']) {
      expect(parseEvent(envelope(type))).toEqual({ ok: true, id: 'b6a3c5d0-7c1e-4c1e-9d7e-0123456789ab', time: expect.any(Number), hints: [] });
    }
  });

  it('takes a networking address type it does not list by name (an IPv6 one) as a hint', () => {
    const p = parseEvent(envelope('com.oraclecloud.virtualnetwork.createipv6', { resourceId: 'ocid1.ipv6.oc1.iad.aaaa' }));
    expect(p).toMatchObject({ ok: true, hints: [{ region: 'us-ashburn-1', action: 'virtualnetwork.createipv6' }] });
    expect(parseEvent(envelope('com.oraclecloud.virtualnetwork.createvcn'))).toMatchObject({ ok: true, hints: [] });
  });

  it('a relevant event without data still asks for a rescan, of every OCI region', () => {
    const e: Record<string, unknown> = envelope('com.oraclecloud.virtualnetwork.deletepublicip');
    delete e['data'];
    expect(parseEvent(e)).toMatchObject({ ok: true, hints: [{ vendor: 'oci', action: 'virtualnetwork.deletepublicip' }] });
    const p = parseEvent(e);
    expect(p.ok && p.hints[0]).not.toHaveProperty('region');
  });

  it('reads the CloudEvents 1.0 form of the same event', () => {
    const p = parseEvent({
      specversion: '1.0',
      type: 'com.oraclecloud.virtualnetwork.createpublicip',
      source: 'virtualNetwork',
      id: 'id-1',
      time: '2024-05-01T10:00:00Z',
      datacontenttype: 'application/json',
      compartmentid: 'ocid1.compartment.oc1..aaaa',
      data: { resourceId: 'ocid1.publicip.oc1.lhr.aaaa' },
    });
    expect(p).toEqual({ ok: true, id: 'id-1', time: Date.parse('2024-05-01T10:00:00Z'), hints: [{ vendor: 'oci', region: 'uk-london-1', resource: 'ocid1.publicip.oc1.lhr.aaaa', action: 'virtualnetwork.createpublicip' }] });
  });

  it('an event time it cannot read is left out, not guessed', () => {
    const p = parseEvent(envelope('com.oraclecloud.virtualnetwork.createpublicip', {}, { eventTime: 'yesterday' }));
    expect(p.ok).toBe(true);
    expect(p).not.toHaveProperty('time');
  });
});

describe('OCI envelope: malformed input', () => {
  it.each([
    ['null', null, 'not a JSON object'],
    ['an array', [envelope('com.oraclecloud.virtualnetwork.createpublicip')], 'not a JSON object'],
    ['a string', 'com.oraclecloud.virtualnetwork.createpublicip', 'not a JSON object'],
    ['an EventBridge event', { version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ec2', detail: {} }, 'not an OCI event envelope'],
    ['no eventID', { cloudEventsVersion: '0.1', eventType: 'com.oraclecloud.virtualnetwork.createpublicip' }, 'without eventType or eventID'],
    ['a numeric eventType', { cloudEventsVersion: '0.1', eventType: 7, eventID: 'x' }, 'without eventType or eventID'],
    ['a huge eventType', { cloudEventsVersion: '0.1', eventType: 'x'.repeat(10_000), eventID: 'x' }, 'without eventType or eventID'],
    ['CloudEvents 2.0', { specversion: '2.0', type: 't', id: 'i' }, 'unsupported CloudEvents specversion'],
    ['data as a string', { ...envelope('com.oraclecloud.virtualnetwork.createpublicip'), data: 'ocid1.publicip.oc1.iad.x' }, 'data is not an object'],
  ])('%s', (_name, input, reason) => {
    const p = parseEvent(input);
    expect(p.ok).toBe(false);
    expect(!p.ok && p.reason).toContain(reason);
  });

  it('never throws on hostile shapes', () => {
    const hostile: unknown[] = [
      Object.create(null),
      { cloudEventsVersion: '0.1', eventType: 'com.oraclecloud.virtualnetwork.createpublicip', eventID: 'x', data: { resourceId: { toString: 1 } } },
      { cloudEventsVersion: '0.1', eventType: 'com.oraclecloud.virtualnetwork.createpublicip', eventID: 'x', data: { resourceId: 'ocid1....', availabilityDomain: 5 } },
      JSON.parse('{"__proto__":{"polluted":true},"cloudEventsVersion":"0.1","eventType":"com.oraclecloud.virtualnetwork.createpublicip","eventID":"x"}'),
    ];
    for (const h of hostile) expect(() => parseEvent(h)).not.toThrow();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
