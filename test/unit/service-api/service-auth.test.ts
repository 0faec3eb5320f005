import { describe, expect, it } from 'vitest';
import { authorizeServiceRequest, resourceCovers } from '../../../runtime/service-api/service-auth.js';
import { createSasToken } from '../../../runtime/hub/sas.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const OTHER_KEY = Buffer.alloc(32, 9).toString('base64');
const NOW = 1_800_000_000_000;
const options = {
  hostNames: ['localhost', 'edgemu.local'],
  policyKey: (name: string) => (name === 'iothubowner' || name === 'registryRead' ? KEY : undefined),
  now: NOW,
};
const inAnHour = NOW / 1000 + 3600;

describe('authorizeServiceRequest', () => {
  it('accepts the token the azure-iothub SDK sends (sr=<host>, skn=iothubowner)', () => {
    const token = createSasToken('localhost', KEY, inAnHour, 'iothubowner');
    expect(authorizeServiceRequest(token, 'ServiceConnect', '/twins/dev1', options)).toBe('iothubowner');
  });

  it.each([
    ['no header', undefined, 'missing'],
    ['not a SAS', 'Bearer abc', 'not a valid SharedAccessSignature'],
    ['a device token without skn', createSasToken('localhost/devices/dev1', KEY, inAnHour), 'no skn'],
    ['an unknown policy', createSasToken('localhost', KEY, inAnHour, 'nobody'), "'nobody' does not exist"],
    ['a wrong key', createSasToken('localhost', OTHER_KEY, inAnHour, 'iothubowner'), 'signature is not valid'],
    ['an expired token', createSasToken('localhost', KEY, NOW / 1000 - 1, 'iothubowner'), 'expired'],
    ['a token expiring right now', createSasToken('localhost', KEY, NOW / 1000, 'iothubowner'), 'expired'],
    ['another hub', createSasToken('otherhub.azure-devices.net', KEY, inAnHour, 'iothubowner'), 'does not name this hub'],
    ['a policy without the permission', createSasToken('localhost', KEY, inAnHour, 'registryRead'), 'does not grant ServiceConnect'],
  ])('refuses %s with 401 IotHubUnauthorizedAccess', (_what, header, why) => {
    expect(() => authorizeServiceRequest(header, 'ServiceConnect', '/twins/dev1', options)).toThrow(
      expect.objectContaining({ status: 401, errorCode: 'IotHubUnauthorizedAccess', message: expect.stringContaining(why) }),
    );
  });

  it('accepts a token signed with the policy secondary key', () => {
    const both = { ...options, policyKey: (name: string) => (name === 'iothubowner' ? [KEY, OTHER_KEY] : undefined) };
    const token = createSasToken('localhost', OTHER_KEY, inAnHour, 'iothubowner');
    expect(authorizeServiceRequest(token, 'RegistryWrite', '/devices/x', both)).toBe('iothubowner');
  });

  it('accepts the service SDK signature over an unencoded host:port resource, and only that', async () => {
    const { createHmac } = await import('node:crypto');
    const sr = 'localhost:8443';
    const sig = createHmac('sha256', Buffer.from(KEY, 'base64')).update(`${sr}\n${inAnHour}`).digest('base64');
    const token = `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&skn=iothubowner&se=${inAnHour}`;
    expect(authorizeServiceRequest(token, 'ServiceConnect', '/twins/d', options)).toBe('iothubowner');
    const forged = token.replace(`se=${inAnHour}`, `se=${inAnHour + 1}`);
    expect(() => authorizeServiceRequest(forged, 'ServiceConnect', '/twins/d', options)).toThrow(/signature is not valid/);
  });

  it('refuses a token whose signature was made for a different expiry', () => {
    const token = createSasToken('localhost', KEY, inAnHour, 'iothubowner').replace(`se=${inAnHour}`, `se=${inAnHour + 10}`);
    expect(() => authorizeServiceRequest(token, 'RegistryRead', '/devices', options)).toThrow(/signature is not valid/);
  });
});

describe('resourceCovers', () => {
  it.each([
    ['localhost', '/twins/d', true],
    ['LOCALHOST', '/twins/d', true],
    ['localhost:8443', '/twins/d', true],
    ['https://localhost/', '/twins/d', true],
    ['localhost/devices', '/devices/d/modules', true],
    ['localhost/devices/d', '/devices/d', true],
    ['localhost/devices/d', '/devices/e', false],
    ['localhost/twins', '/devices/d', false],
    ['evil.example', '/twins/d', false],
    ['localhost.evil.example', '/twins/d', false],
  ])('sr=%s covering %s is %s', (sr, path, expected) => {
    expect(resourceCovers(sr, ['localhost', 'edgemu.local'], path)).toBe(expected);
  });
});
