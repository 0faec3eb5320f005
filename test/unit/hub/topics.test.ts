import { describe, expect, it } from 'vitest';
import { classifyClientPublish, hubTopics, isSubscriptionAllowed } from '../../../runtime/hub/topics.js';
import { parsePropertyBag, encodePropertyBag } from '../../../runtime/hub/property-bag.js';

const device = { deviceId: 'dev1' };
const module = { deviceId: 'dev1', moduleId: 'modA' };

describe('classifyClientPublish', () => {
  const cases: Array<[string, { deviceId: string; moduleId?: string }, string, unknown]> = [
    ['twin GET', device, '$iothub/twin/GET/?$rid=17110e30', { kind: 'twin-get', rid: '17110e30' }],
    ['reported PATCH', module, '$iothub/twin/PATCH/properties/reported/?$rid=84&$version=3', { kind: 'twin-patch-reported', rid: '84' }],
    ['method response', device, '$iothub/methods/res/200/?$rid=1', { kind: 'method-response', rid: '1', status: 200 }],
    ['device telemetry without properties', device, 'devices/dev1/messages/events/', { kind: 'telemetry', propertyBag: '' }],
    ['device telemetry without trailing slash', device, 'devices/dev1/messages/events', { kind: 'telemetry', propertyBag: '' }],
    ['device telemetry with properties', device, 'devices/dev1/messages/events/%24.mid=m1&a=b', { kind: 'telemetry', propertyBag: '%24.mid=m1&a=b' }],
    ['module output', module, 'devices/dev1/modules/modA/messages/events/%24.on=out1&p1=v1/', { kind: 'telemetry', propertyBag: '%24.on=out1&p1=v1/' }],
  ];
  it.each(cases)('recognizes %s', (_name, identity, topic, expected) => {
    expect(classifyClientPublish(identity, topic)).toEqual(expected);
  });

  const forbidden: Array<[string, { deviceId: string; moduleId?: string }, string]> = [
    ['another device’s events', device, 'devices/dev2/messages/events/'],
    ['a module publishing as its device', module, 'devices/dev1/messages/events/'],
    ['a device publishing as a module', device, 'devices/dev1/modules/modA/messages/events/'],
    ['C2D topic', device, 'devices/dev1/messages/devicebound/x'],
    ['twin GET without $rid', device, '$iothub/twin/GET/'],
    ['an unknown $iothub topic', device, '$iothub/other'],
    ['an arbitrary topic', device, 'hello/world'],
  ];
  it.each(forbidden)('forbids %s', (_name, identity, topic) => {
    expect(classifyClientPublish(identity, topic).kind).toBe('forbidden');
  });
});

describe('isSubscriptionAllowed', () => {
  const cases: Array<[{ deviceId: string; moduleId?: string }, string, boolean]> = [
    [device, '$iothub/twin/res/#', true],
    [device, '$iothub/twin/PATCH/properties/desired/#', true],
    [device, '$iothub/methods/POST/#', true],
    [device, 'devices/dev1/messages/devicebound/#', true],
    [device, 'devices/dev2/messages/devicebound/#', false],
    [device, 'devices/#', false],
    [device, '#', false],
    [device, 'devices/+/messages/devicebound/#', false],
    [module, 'devices/dev1/modules/modA/inputs/#', true],
    [module, 'devices/dev1/modules/modA/#', true],
    [module, 'devices/dev1/modules/modB/inputs/#', false],
    [module, 'devices/dev1/messages/devicebound/#', false],
  ];
  it.each(cases)('%o subscribing to %s → %s', (identity, filter, allowed) => {
    expect(isSubscriptionAllowed(identity, filter)).toBe(allowed);
  });
});

describe('hub→client topics', () => {
  it('end input and C2D topics with a separator even without properties (the SDK drops them otherwise)', () => {
    expect(hubTopics.moduleInput('d', 'm', 'in1', '')).toBe('devices/d/modules/m/inputs/in1/');
    expect(hubTopics.c2d('d', '')).toBe('devices/d/messages/devicebound/');
    expect(hubTopics.twinResponse(204, 'r1', 5)).toBe('$iothub/twin/res/204/?$rid=r1&$version=5');
    expect(hubTopics.desiredPatch(3)).toBe('$iothub/twin/PATCH/properties/desired/?$version=3');
  });
});

describe('property bags', () => {
  it('parses the SDK’s encoding into system and application properties', () => {
    const bag = parsePropertyBag(
      '%24.mid=mid-1&%24.cid=corr-1&%24.uid=user1&%24.to=%2Fdevices%2Fdev1%2Fmessages%2Fevents&%24.ct=application%2Fjson&%24.ce=utf-8&%24.exp=2030-01-01T00%3A00%3A00.000Z&alert=high%20temp&k%2F2=v%26%3D3',
    );
    expect(bag).toEqual({
      system: { mid: 'mid-1', cid: 'corr-1', uid: 'user1', to: '/devices/dev1/messages/events', ct: 'application/json', ce: 'utf-8', exp: '2030-01-01T00:00:00.000Z' },
      app: { alert: 'high temp', 'k/2': 'v&=3' },
    });
  });

  it('strips the trailing slash of output events and reads value-less keys as empty', () => {
    expect(parsePropertyBag('%24.on=out1&p1=v1/')).toEqual({ system: { on: 'out1' }, app: { p1: 'v1' } });
    expect(parsePropertyBag('?flag&e=')).toEqual({ system: {}, app: { flag: '', e: '' } });
    expect(parsePropertyBag('')).toEqual({ system: {}, app: {} });
  });

  it('keeps unknown $.-prefixed names as application properties and round-trips special characters and empty values', () => {
    const bag = parsePropertyBag('%24.mid=m1&%24.custom=x&%24.toString=y&%24.ifid=urn%3Ax&k%20%26%3D=%2B%25%2F%3F&empty=');
    expect(bag).toEqual({
      system: { mid: 'm1', ifid: 'urn:x' },
      app: { '$.custom': 'x', '$.toString': 'y', 'k &=': '+%/?', empty: '' },
    });
    expect(parsePropertyBag(encodePropertyBag(bag!))).toEqual(bag);
    expect(encodePropertyBag(bag!)).toContain('%24.custom=x');
  });

  it('refuses broken percent-encoding', () => {
    expect(parsePropertyBag('a=%E0%A4%A')).toBeUndefined();
  });

  it.each([
    ['plain', 'value-1_ok.(yes)!~*\''],
    ['spaces and reserved', 'a b&c=d/e?f#g+h%i'],
    ['non-ASCII', 'température 25 °C ✓'],
    ['empty', ''],
  ])('encodes names and values exactly as encodeURIComponent does: %s', (_what, text) => {
    const bag = { system: { mid: text, cdid: 'dev1' }, app: { [text || 'k']: text } };
    const byEncodeUriComponent = [
      ...Object.entries(bag.system).map(([k, v]) => `${encodeURIComponent(`$.${k}`)}=${encodeURIComponent(v)}`),
      ...Object.entries(bag.app).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
    ].join('&');
    expect(encodePropertyBag(bag)).toBe(byEncodeUriComponent);
    expect(parsePropertyBag(encodePropertyBag(bag))).toEqual(bag);
  });

  it('encodes what it parses back to an equivalent bag', () => {
    const bag = { system: { mid: 'm 1', cdid: 'dev1' }, app: { 'k/2': 'v&=3' } };
    expect(parsePropertyBag(encodePropertyBag(bag))).toEqual(bag);
  });
});
