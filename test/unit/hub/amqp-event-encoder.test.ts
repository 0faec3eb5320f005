import { describe, expect, it } from 'vitest';
import rhea from 'rhea';
import { encodeEventHubMessage } from '../../../runtime/hub/amqp/event-encoder.js';
import { AUTH_METHOD, MESSAGE_SOURCE } from '../../../runtime/hub/amqp/event-encoder.js';
import { fromHubProperties } from '../../../runtime/hub/amqp/amqp-message.js';
import type { StoredMessage } from '../../../runtime/hub/store/message-store.js';
import type { EventRow } from '../../../runtime/hub/store/event-partition-index.js';

/**
 * The oracle: the Event Hubs message spelled out as rhea message fields (message annotations
 * per learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-read-builtin, the rest as
 * `fromHubProperties` maps a stored message), for rhea's own encoder.
 */
function toEventHubMessage(m: StoredMessage, partitionKey: string): object {
  return fromHubProperties(
    { body: m.body, systemProperties: m.systemProperties, properties: m.properties },
    {
      annotations: {
        'x-opt-sequence-number': rhea.types.wrap_long(m.seq),
        'x-opt-offset': String(m.seq),
        'x-opt-enqueued-time': new Date(m.enqueuedTimeUtc),
        'x-opt-partition-key': partitionKey,
        'iothub-connection-device-id': m.deviceId,
        ...(m.moduleId ? { 'iothub-connection-module-id': m.moduleId } : {}),
        'iothub-connection-auth-method': AUTH_METHOD,
        'iothub-enqueuedtime': new Date(m.enqueuedTimeUtc),
        'iothub-message-source': MESSAGE_SOURCE,
      },
    },
  );
}

const base: StoredMessage = {
  seq: 42,
  endpoint: '$upstream',
  deviceId: 'dev1',
  body: Buffer.from('{"t":21.5}'),
  systemProperties: {},
  properties: {},
  enqueuedTimeUtc: '2026-12-02T10:00:00.123Z',
};

/** The message as the partition index returns it (properties as the store writes them: JSON text). */
const rowOf = (m: StoredMessage): EventRow => [m.seq, m.deviceId, m.moduleId ?? null, m.outputName ?? null, m.enqueuedTimeUtc, JSON.stringify(m.systemProperties), JSON.stringify(m.properties), m.body];

/** What rhea's own encoder makes of `toEventHubMessage`, decoded by rhea. */
const viaRhea = (m: StoredMessage, key: string) => rhea.message.decode(rhea.message.encode(toEventHubMessage(m, key) as never));
const direct = (m: StoredMessage, key: string) => rhea.message.decode(encodeEventHubMessage(rowOf(m), key));

describe('the Event Hubs message encoder', () => {
  it.each<[string, StoredMessage]>([
    ['a bare message', base],
    ['a module output with every system property', { ...base, moduleId: 'mod1', outputName: 'out1', systemProperties: { mid: 'm-1', cid: 'c-1', uid: 'user', to: '/devices/dev1/messages/events', ct: 'application/json', ce: 'utf-8', exp: '2026-12-03T00:00:00.000Z', ctime: '2026-12-02T09:59:59.000Z', ifid: 'dtmi:x;1', sub: 'temp', on: 'out1' } }],
    ['application properties, non-ASCII text and long values', { ...base, properties: { alert: 'hoch', 'ü-key': 'wert ✓', long: 'x'.repeat(300) }, systemProperties: { mid: 'é'.repeat(200) } }],
    ['a body above 255 bytes and a sequence number above 2^32', { ...base, seq: 2 ** 33 + 7, body: Buffer.alloc(70_000, 7) }],
    ['only a creation time (properties padded with nulls)', { ...base, systemProperties: { ctime: '2026-12-02T09:59:59.000Z' } }],
    ['an unparseable expiry before a valid creation time', { ...base, systemProperties: { exp: 'soon', ctime: '2026-12-02T09:59:59.000Z' } }],
    ['an empty body and empty strings', { ...base, body: Buffer.alloc(0), properties: { empty: '' } }],
    ['quotes, backslashes and control characters in keys and values (escaped in the stored JSON)', { ...base, properties: { 'a"b': 'c\\d', 'new\nline': '"', '': '\u0001' }, systemProperties: { mid: 'say "hi"', ct: 'text/plain' } }],
    ['values that look like JSON syntax', { ...base, properties: { ':': ',', '{': '}', 'x":"y': 'z' } }],
  ])('encodes %s as rhea encodes toEventHubMessage', (_, m) => {
    expect(direct(m, m.deviceId)).toEqual(viaRhea(m, m.deviceId));
  });

  it('returns a buffer of its own each time (the scratch buffer is reused)', () => {
    const a = encodeEventHubMessage(rowOf(base), 'dev1');
    const copy = Buffer.from(a);
    encodeEventHubMessage(rowOf({ ...base, seq: 7, body: Buffer.from('other') }), 'dev1');
    expect(a.equals(copy)).toBe(true);
  });
});
