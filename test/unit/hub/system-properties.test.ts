import { describe, expect, it } from 'vitest';
import { FORWARDED_SYSTEM_PROPERTIES, SYSTEM_PROPERTIES, parsePropertyBag, type HubMessage } from '../../../runtime/hub/index.js';
import { inputDeliveryProperties, toRoutingMessage } from '../../../runtime/routing/index.js';

const message = (systemProperties: Record<string, string>): HubMessage =>
  ({ deviceId: 'd1', moduleId: 'm1', outputName: 'out1', body: new Uint8Array(), properties: {}, systemProperties }) as unknown as HubMessage;

describe('the one system-property table', () => {
  const table: Array<[string, string, boolean]> = [
    ['mid', 'messageId', true],
    ['cid', 'correlationId', true],
    ['uid', 'userId', true],
    ['to', 'to', true],
    ['ct', 'contentType', true],
    ['ce', 'contentEncoding', true],
    ['exp', 'absolute-expiry-time', true],
    ['schema', 'messageSchema', true],
    ['ctime', 'creationTime', true],
    ['ifid', 'iothub-interface-id', true],
    ['sub', 'dt-subject', true],
    ['on', 'outputName', false],
    ['cdid', 'connectionDeviceId', false],
    ['cmid', 'connectionModuleId', false],
  ];

  it('holds exactly these wire names', () => {
    expect(Object.keys(SYSTEM_PROPERTIES).sort()).toEqual(table.map(([wire]) => wire).sort());
  });

  it.each(table)('$.%s is the system property %s (forwarded from the sender: %s)', (wire, name, fromSender) => {
    expect(SYSTEM_PROPERTIES[wire]).toEqual({ name, fromSender });
    // the hub parses it as a system property …
    expect(parsePropertyBag(`$.${wire}=v`)).toEqual({ system: { [wire]: 'v' }, app: {} });
    // … the router sees it under edgeHub's name (the connection and output names come from the hub, not the bag)
    const routed = toRoutingMessage(message({ [wire]: 'v' })).systemProperties;
    if (fromSender) expect(routed[name]).toBe('v');
    else expect(routed[name]).toBe({ on: 'out1', cdid: 'd1', cmid: 'm1' }[wire]);
    // … and a module input gets it from the sender only when the sender may set it
    const delivered = inputDeliveryProperties(message({ [wire]: 'v' })).systemProperties;
    expect(delivered[wire]).toBe(fromSender ? 'v' : { on: undefined, cdid: 'd1', cmid: 'm1' }[wire]);
    expect(FORWARDED_SYSTEM_PROPERTIES.includes(wire)).toBe(fromSender);
  });

  it.each(['custom', 'constructor', '__proto__', 'toString'])('keeps $.%s an application property', (wire) => {
    expect(parsePropertyBag(`$.${wire}=v`)?.system).toEqual({});
  });
});
