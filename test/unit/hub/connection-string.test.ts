import { describe, expect, it } from 'vitest';
import { formatDeviceConnectionString, formatServiceConnectionString, hostWithPort, parseConnectionString } from '../../../runtime/hub/connection-string.js';
import { clientIdOf, parseClientId } from '../../../runtime/hub/identity-id.js';

describe('connection strings', () => {
  it('formats device, module and service strings as the SDKs expect', () => {
    expect(formatDeviceConnectionString({ hostName: 'localhost:40123', deviceId: 'd1', key: 'k==' })).toBe('HostName=localhost:40123;DeviceId=d1;SharedAccessKey=k==');
    expect(formatDeviceConnectionString({ hostName: 'hub', deviceId: 'd1', moduleId: 'm', key: 'k=', gatewayHostName: 'localhost:1' })).toBe(
      'HostName=hub;DeviceId=d1;ModuleId=m;SharedAccessKey=k=;GatewayHostName=localhost:1',
    );
    expect(formatServiceConnectionString({ hostName: 'localhost:8443', policyName: 'iothubowner', key: 'x' })).toBe('HostName=localhost:8443;SharedAccessKeyName=iothubowner;SharedAccessKey=x');
  });

  it('leaves the default port out of host names', () => {
    expect(hostWithPort('localhost', 8883, 8883)).toBe('localhost');
    expect(hostWithPort('localhost', 1234, 8883)).toBe('localhost:1234');
  });

  it('parses what it formats, keeping "=" inside base64 keys', () => {
    expect(parseConnectionString('HostName=h:1;DeviceId=d;ModuleId=m;SharedAccessKey=ab+/c==;')).toEqual({ HostName: 'h:1', DeviceId: 'd', ModuleId: 'm', SharedAccessKey: 'ab+/c==' });
  });

  const bad: Array<[string, string]> = [
    ['no HostName', 'DeviceId=d;SharedAccessKey=k'],
    ['no key', 'HostName=h;DeviceId=d'],
    ['a part without =', 'HostName=h;oops;SharedAccessKey=k'],
    ['an empty string', ''],
  ];
  it.each(bad)('refuses %s with HUB_INVALID_CONNECTION_STRING', (_name, text) => {
    expect(() => parseConnectionString(text)).toThrow(expect.objectContaining({ code: 'HUB_INVALID_CONNECTION_STRING' }));
  });
});

describe('client ids', () => {
  const cases: Array<[string, unknown]> = [
    ['dev1', { deviceId: 'dev1' }],
    ['gw1/$edgeAgent', { deviceId: 'gw1', moduleId: '$edgeAgent' }],
    ['a/b/c', undefined],
    ['', undefined],
    ['dev 1', undefined],
    ['dev1/', undefined],
  ];
  it.each(cases)('%j → %o', (clientId, expected) => {
    expect(parseClientId(clientId)).toEqual(expected);
  });

  it('round-trips with clientIdOf', () => {
    expect(clientIdOf({ deviceId: 'gw1', moduleId: 'm' })).toBe('gw1/m');
    expect(clientIdOf({ deviceId: 'gw1' })).toBe('gw1');
  });
});
