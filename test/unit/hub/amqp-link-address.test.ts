import { describe, expect, it } from 'vitest';
import { decideLink, parseLinkAddress, type ConnectionClaims } from '../../../runtime/hub/amqp/link-address.js';

describe('parseLinkAddress reads IoT Hub AMQP addresses', () => {
  it.each([
    ['$cbs', { kind: 'cbs' }],
    ['/devices/d1/messages/events', { kind: 'events', identity: { deviceId: 'd1' } }],
    ['amqps://hub.local:5671/devices/d1/messages/events', { kind: 'events', identity: { deviceId: 'd1' } }],
    ['/devices/d1/modules/m1/messages/events', { kind: 'events', identity: { deviceId: 'd1', moduleId: 'm1' } }],
    ['/devices/d%241/modules/%24edgeAgent/twin', { kind: 'twin', identity: { deviceId: 'd$1', moduleId: '$edgeAgent' } }],
    ['/devices/d1/messages/devicebound', { kind: 'devicebound', identity: { deviceId: 'd1' } }],
    ['/devices/d1/methods/devicebound', { kind: 'methods', identity: { deviceId: 'd1' } }],
    ['/messages/devicebound', { kind: 'service-c2d' }],
    ['/messages/serviceBound/feedback', { kind: 'service-feedback' }],
    ['/messages/serviceBound/filenotifications', { kind: 'file-notifications' }],
    ['$management', { kind: 'management' }],
    ['hub/ConsumerGroups/$Default/Partitions/0', { kind: 'event-hub-partition', entity: 'hub', consumerGroup: '$Default', partitionId: '0' }],
    ['hub', { kind: 'event-hub', entity: 'hub' }],
  ])('%s', (address, expected) => {
    expect(parseLinkAddress(address)).toEqual(expected);
  });

  it.each([undefined, '', '/devices//messages/events', '/devices/a b/messages/events', '/devices/d1/modules/m1/messages/devicebound', '/devices/d1/other', '/devices/%E0%A4%A/twin', '$other'])(
    '%s is unknown',
    (address) => {
      expect(parseLinkAddress(address).kind).toBe('unknown');
    },
  );
});

describe('decideLink applies the per-identity link rules', () => {
  const claims = (ids: string[], service = false): ConnectionClaims => ({ hasIdentity: (r) => ids.includes(r.moduleId ? `${r.deviceId}/${r.moduleId}` : r.deviceId), service });
  const decide = (address: string, direction: 'in' | 'out', c: ConnectionClaims) => decideLink(parseLinkAddress(address), direction, c);

  it('lets anyone attach $cbs', () => {
    expect(decide('$cbs', 'in', claims([])).ok).toBe(true);
    expect(decide('$cbs', 'out', claims([])).ok).toBe(true);
  });

  it('lets a device attach only its own links after a put-token for it', () => {
    expect(decide('/devices/d1/messages/events', 'in', claims(['d1'])).ok).toBe(true);
    expect(decide('/devices/d2/messages/events', 'in', claims(['d1']))).toMatchObject({ ok: false, condition: 'amqp:unauthorized-access' });
    expect(decide('/devices/d1/modules/m1/messages/events', 'in', claims(['d1']))).toMatchObject({ ok: false, condition: 'amqp:unauthorized-access' });
    expect(decide('/devices/d1/messages/devicebound', 'out', claims(['d1'])).ok).toBe(true);
  });

  it('refuses links the wrong way round', () => {
    expect(decide('/devices/d1/messages/devicebound', 'in', claims(['d1']))).toMatchObject({ ok: false, condition: 'amqp:not-allowed' });
    expect(decide('/devices/d1/messages/events', 'out', claims(['d1']))).toMatchObject({ ok: false, condition: 'amqp:not-allowed' });
    expect(decide('/devices/d1/modules/m1/messages/events', 'out', claims(['d1/m1'])).ok).toBe(true);
  });

  it('needs a service token for the service links and the Event Hubs-compatible endpoint, which is read-only', () => {
    expect(decide('/messages/devicebound', 'in', claims(['d1']))).toMatchObject({ ok: false, condition: 'amqp:unauthorized-access' });
    expect(decide('/messages/devicebound', 'in', claims([], true)).ok).toBe(true);
    expect(decide('/messages/serviceBound/feedback', 'out', claims([], true)).ok).toBe(true);
    expect(decide('hub/ConsumerGroups/$Default/Partitions/0', 'out', claims([], true)).ok).toBe(true);
    expect(decide('hub/ConsumerGroups/$Default/Partitions/0', 'out', claims([]))).toMatchObject({ ok: false, condition: 'amqp:unauthorized-access' });
    expect(decide('hub', 'in', claims([], true))).toMatchObject({ ok: false, condition: 'amqp:not-allowed' });
    expect(decide('/messages/serviceBound/filenotifications', 'out', claims([], true))).toMatchObject({ ok: false, condition: 'amqp:not-implemented' });
    expect(decide('/a/b/c/d', 'in', claims([], true))).toMatchObject({ ok: false, condition: 'amqp:not-found' });
  });
});
