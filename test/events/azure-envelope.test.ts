import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../connectors/azure/envelope.ts';

// Shapes from https://learn.microsoft.com/azure/event-grid/event-schema-subscriptions (EventGridSchema)
// and https://learn.microsoft.com/azure/event-grid/cloud-event-schema (CloudEvents 1.0).

const SUB = '6B1F3C2E-8D4A-4B7E-9F10-2A3B4C5D6E7F';
const sub = SUB.toLowerCase();
const PIP = `/subscriptions/${SUB}/resourceGroups/web-eastus/providers/Microsoft.Network/publicIPAddresses/web-pip`;

function armEvent(over: { eventType?: string; operationName?: string; resourceUri?: string; status?: string; data?: Record<string, unknown> } = {}) {
  const resourceUri = over.resourceUri ?? PIP;
  const operationName = over.operationName ?? 'Microsoft.Network/publicIPAddresses/write';
  return {
    subject: resourceUri,
    eventType: over.eventType ?? 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: '2026-12-06T18:38:04.6117357Z',
    id: '4db48cba-50a2-455a-93b4-de41a3b5b7f6',
    data: over.data ?? {
      authorization: { scope: resourceUri, action: operationName, evidence: { role: 'Contributor' } },
      claims: { ipaddr: '198.51.100.7', name: 'Jane Doe', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'jane@example.com' },
      correlationId: 'c0ffee00-0000-4000-8000-000000000001',
      httpRequest: { clientRequestId: 'x', clientIpAddress: '198.51.100.7', method: 'PUT', url: `https://management.azure.com${resourceUri}?api-version=2024-05-01` },
      resourceProvider: 'Microsoft.Network',
      resourceUri,
      operationName,
      status: over.status ?? 'Succeeded',
      subscriptionId: SUB,
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    },
    dataVersion: '2',
    metadataVersion: '1',
    topic: `/subscriptions/${SUB}`,
  };
}

function asCloudEvent(e: ReturnType<typeof armEvent>): Record<string, unknown> {
  return { specversion: '1.0', id: e.id, source: e.topic, subject: e.subject, type: e.eventType, time: e.eventTime, data: e.data };
}

const hintsOf = (json: unknown) => {
  const p = parseEvent(json);
  if (!p.ok) throw new Error(`expected ok, got ${p.reason}`);
  return p.hints;
};

describe('azure envelope: Event Grid ARM events', () => {
  it('a public IP write gives one hint for its subscription (lowercase, as scope ids are), with no region', () => {
    const p = parseEvent(armEvent());
    expect(p).toEqual({
      ok: true,
      id: '4db48cba-50a2-455a-93b4-de41a3b5b7f6',
      time: Date.parse('2026-12-06T18:38:04.6117357Z'),
      hints: [{ vendor: 'azure', account: sub, resource: PIP, action: 'Microsoft.Network/publicIPAddresses/write' }],
    });
  });

  it('never copies the caller (claims, httpRequest) into a hint', () => {
    expect(JSON.stringify(parseEvent(armEvent()))).not.toMatch(/198\.51\.100\.7|Jane|jane@/);
  });

  it('the same event in the CloudEvents 1.0 schema gives the same hint', () => {
    const e = armEvent({ eventType: 'Microsoft.Resources.ResourceDeleteSuccess', operationName: 'Microsoft.Network/publicIPAddresses/delete' });
    expect(parseEvent(asCloudEvent(e))).toEqual(parseEvent(e));
    expect(hintsOf(asCloudEvent(e))).toEqual([{ vendor: 'azure', account: sub, resource: PIP, action: 'Microsoft.Network/publicIPAddresses/delete' }]);
  });

  it('a CloudEvent whose data is a JSON string is read too', () => {
    const ce = asCloudEvent(armEvent());
    expect(hintsOf({ ...ce, data: JSON.stringify(ce['data']) })).toHaveLength(1);
  });

  it.each([
    ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Network/networkInterfaces/write', '/providers/Microsoft.Network/networkInterfaces/vm1-nic'],
    ['Microsoft.Resources.ResourceDeleteSuccess', 'Microsoft.Network/loadBalancers/delete', '/providers/Microsoft.Network/loadBalancers/lb'],
    ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Network/loadBalancers/frontendIPConfigurations/write', '/providers/Microsoft.Network/loadBalancers/lb/frontendIPConfigurations/fe'],
    ['Microsoft.Resources.ResourceActionSuccess', 'Microsoft.Compute/virtualMachines/deallocate/action', '/providers/Microsoft.Compute/virtualMachines/vm1'],
    ['Microsoft.Resources.ResourceActionSuccess', 'Microsoft.Compute/virtualMachines/start/action', '/providers/Microsoft.Compute/virtualMachines/vm1'],
    ['Microsoft.Resources.ResourceDeleteSuccess', 'Microsoft.Compute/virtualMachines/delete', '/providers/Microsoft.Compute/virtualMachines/vm1'],
    ['Microsoft.Resources.ResourceActionSuccess', 'Microsoft.Network/publicIPAddresses/disassociateCloudServiceReservedPublicIp/action', '/providers/Microsoft.Network/publicIPAddresses/p'],
  ])('%s %s is a hint', (eventType, operationName, tail) => {
    const resourceUri = `/subscriptions/${SUB}/resourceGroups/rg${tail}`;
    expect(hintsOf(armEvent({ eventType, operationName, resourceUri }))).toEqual([{ vendor: 'azure', account: sub, resource: resourceUri, action: operationName }]);
  });

  it('deleting a resource group is a hint: ARM reports one delete for everything in it', () => {
    const rg = `/subscriptions/${SUB}/resourcegroups/web-eastus`;
    expect(hintsOf(armEvent({ eventType: 'Microsoft.Resources.ResourceDeleteSuccess', operationName: 'Microsoft.Resources/subscriptions/resourceGroups/delete', resourceUri: rg }))).toHaveLength(1);
    expect(hintsOf(armEvent({ operationName: 'Microsoft.Resources/subscriptions/resourceGroups/write', resourceUri: rg }))).toEqual([]);
  });

  it.each([
    ['another resource type', armEvent({ operationName: 'Microsoft.Storage/storageAccounts/write', resourceUri: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st` })],
    ['a read-only action on a network resource', armEvent({ eventType: 'Microsoft.Resources.ResourceActionSuccess', operationName: 'Microsoft.Network/networkInterfaces/effectiveRouteTable/action' })],
    ['a VM action that moves no address', armEvent({ eventType: 'Microsoft.Resources.ResourceActionSuccess', operationName: 'Microsoft.Compute/virtualMachines/restart/action' })],
    ['a VM extension write', armEvent({ operationName: 'Microsoft.Compute/virtualMachines/extensions/write' })],
    ['a failed write', armEvent({ eventType: 'Microsoft.Resources.ResourceWriteFailure' })],
    ['a cancelled delete', armEvent({ eventType: 'Microsoft.Resources.ResourceDeleteCancel', operationName: 'Microsoft.Network/publicIPAddresses/delete' })],
    ['a success event whose status is not Succeeded', armEvent({ status: 'Failed' })],
    ['a storage event', { id: 'b1', eventType: 'Microsoft.Storage.BlobCreated', subject: '/blobServices/default/containers/c/blobs/x', eventTime: '2026-12-06T18:00:00Z', data: { api: 'PutBlob' }, dataVersion: '', metadataVersion: '1', topic: '/subscriptions/x' }],
    ['the subscription validation handshake', { id: 'v1', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', subject: '', eventTime: '2026-12-06T18:00:00Z', data: { validationCode: 'abc' }, dataVersion: '2', metadataVersion: '1', topic: '/x' }],
  ])('%s is well formed and changes nothing we discover', (_what, event) => {
    expect(hintsOf(event)).toEqual([]);
  });

  it('takes the subscription from the topic or the resource when data.subscriptionId is missing', () => {
    const { subscriptionId: _drop, ...data } = armEvent().data as Record<string, unknown>;
    expect(hintsOf({ ...armEvent(), data })[0]?.account).toBe(sub);
    const { topic: _t, ...noTopic } = armEvent();
    expect(hintsOf({ ...noTopic, data })[0]?.account).toBe(sub);
  });

  it('without operationName, the event type and the resource type decide', () => {
    const { operationName: _o, ...data } = armEvent().data as Record<string, unknown>;
    expect(hintsOf({ ...armEvent(), eventType: 'Microsoft.Resources.ResourceDeleteSuccess', data })).toEqual([{ vendor: 'azure', account: sub, resource: PIP, action: 'microsoft.network/publicipaddresses/delete' }]);
  });

  it.each([
    ['null', null, /not an event object/],
    ['a string', 'hello', /not an event object/],
    ['an array (a webhook batch)', [armEvent()], /array of 1 event/],
    ['no id', { ...armEvent(), id: undefined }, /no id/],
    ['no eventType', { ...armEvent(), eventType: undefined }, /no eventType/],
    ['a bad time', { ...armEvent(), eventTime: 'yesterday' }, /not a timestamp/],
    ['an ARM event without data', { ...armEvent(), data: 'x' }, /without a data object/],
    ['a CloudEvent of another version', { ...asCloudEvent(armEvent()), specversion: '0.3' }, /specversion "0.3"/],
    ['a CloudEvent with string data that is not JSON', { ...asCloudEvent(armEvent()), data: '{nope' }, /not JSON/],
    [
      'a relevant event that names no subscription',
      { ...armEvent({ resourceUri: '/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/p', data: { operationName: 'Microsoft.Network/publicIPAddresses/write', status: 'Succeeded' } }), topic: '/x' },
      /names no subscription/,
    ],
  ])('%s is malformed, with a reason', (_what, json, reason) => {
    const p = parseEvent(json);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.reason).toMatch(reason);
  });

  it('never throws, whatever the input', () => {
    const weird: unknown[] = [undefined, 0, true, {}, { id: 1 }, { id: 'a', eventType: 7 }, { specversion: '1.0' }, { id: 'a', eventType: 'Microsoft.Resources.ResourceWriteSuccess', data: { operationName: 42 } }, { id: 'a', eventType: 'Microsoft.Resources.ResourceWriteSuccess', data: { operationName: '/' } }];
    for (const w of weird) expect(() => parseEvent(w)).not.toThrow();
  });
});
