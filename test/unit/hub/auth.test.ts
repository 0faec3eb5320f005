import { describe, expect, it } from 'vitest';
import { authenticateConnect, CONNACK, parseResourceUri, type AuthContext } from '../../../runtime/hub/auth.js';
import { createSasToken } from '../../../runtime/hub/sas.js';

const key = Buffer.from('device-key-device-key-device-key').toString('base64');
const key2 = Buffer.from('secondary-key-secondary-key-2222').toString('base64');
const modKey = Buffer.from('module-key-module-key-module-key').toString('base64');
const now = 1_800_000_000_000;
const exp = now / 1000 + 3600;
const ctx: AuthContext = {
  keysOf: (ref) =>
    ref.deviceId === 'dev1' && !ref.moduleId
      ? { primaryKey: key, secondaryKey: key2 }
      : ref.deviceId === 'dev1' && ref.moduleId === 'modA'
        ? { primaryKey: modKey, secondaryKey: modKey }
        : undefined,
  acceptedHosts: ['myhub.local', 'localhost', '127.0.0.1'],
  nowMs: now,
};
const ua = '?api-version=2021-04-12&DeviceClientType=azure-iot-device%2F1.18.4';

describe('authenticateConnect', () => {
  const accepted: Array<[string, string, string, string]> = [
    ['a device token for host:port', 'dev1', `localhost:36069/dev1/${ua}`, createSasToken('localhost:36069/devices/dev1', key, exp)],
    ['a device token for the bare host name', 'dev1', `localhost/dev1/${ua}`, createSasToken('localhost/devices/dev1', key, exp)],
    ['the secondary key', 'dev1', `localhost/dev1/${ua}`, createSasToken('localhost/devices/dev1', key2, exp)],
    ['a module token for the hub host behind a gateway', 'dev1/modA', `myhub.local/dev1/modA/${ua}`, createSasToken('myhub.local/devices/dev1/modules/modA', modKey, exp)],
    ['ids in another case (edgeHub compares case-insensitively)', 'dev1', `localhost/dev1/${ua}`, createSasToken('LOCALHOST/devices/DEV1', key, exp)],
    ['the old username form without ?', 'dev1', 'localhost/dev1/api-version=2016-11-14', createSasToken('localhost/devices/dev1', key, exp)],
  ];
  it.each(accepted)('accepts %s', (_name, clientId, username, password) => {
    const r = authenticateConnect({ clientId, username, password: Buffer.from(password) }, ctx);
    expect(r).toMatchObject({ ok: true, expiresAtMs: exp * 1000 });
  });

  const refused: Array<[string, string, string | undefined, string | undefined, number]> = [
    ['a malformed client id', 'a/b/c', `localhost/a/b/c/${ua}`, createSasToken('localhost/devices/a', key, exp), CONNACK.IDENTIFIER_REJECTED],
    ['no username', 'dev1', undefined, createSasToken('localhost/devices/dev1', key, exp), CONNACK.BAD_USERNAME_OR_PASSWORD],
    ['a username without api-version', 'dev1', 'localhost/dev1/', createSasToken('localhost/devices/dev1', key, exp), CONNACK.BAD_USERNAME_OR_PASSWORD],
    ['a username naming another client', 'dev1', `localhost/dev2/${ua}`, createSasToken('localhost/devices/dev1', key, exp), CONNACK.NOT_AUTHORIZED],
    ['no password', 'dev1', `localhost/dev1/${ua}`, undefined, CONNACK.BAD_USERNAME_OR_PASSWORD],
    ['a password that is not a SAS token', 'dev1', `localhost/dev1/${ua}`, 'hunter2', CONNACK.BAD_USERNAME_OR_PASSWORD],
    ['a wrong key', 'dev1', `localhost/dev1/${ua}`, createSasToken('localhost/devices/dev1', modKey, exp), CONNACK.NOT_AUTHORIZED],
    ['an expired token', 'dev1', `localhost/dev1/${ua}`, createSasToken('localhost/devices/dev1', key, now / 1000 - 1), CONNACK.NOT_AUTHORIZED],
    ['a token for another device', 'dev1', `localhost/dev1/${ua}`, createSasToken('localhost/devices/dev2', key, exp), CONNACK.NOT_AUTHORIZED],
    ['a module token used by its device', 'dev1', `localhost/dev1/${ua}`, createSasToken('localhost/devices/dev1/modules/modA', key, exp), CONNACK.NOT_AUTHORIZED],
    ['a device token used by a module', 'dev1/modA', `localhost/dev1/modA/${ua}`, createSasToken('localhost/devices/dev1', modKey, exp), CONNACK.NOT_AUTHORIZED],
    ['a token for another hub', 'dev1', `localhost/dev1/${ua}`, createSasToken('evil.example/devices/dev1', key, exp), CONNACK.NOT_AUTHORIZED],
    ['a hub policy token', 'dev1', `localhost/dev1/${ua}`, createSasToken('localhost/devices/dev1', key, exp, 'iothubowner'), CONNACK.NOT_AUTHORIZED],
    ['an unknown identity', 'ghost', `localhost/ghost/${ua}`, createSasToken('localhost/devices/ghost', key, exp), CONNACK.NOT_AUTHORIZED],
  ];
  it.each(refused)('refuses %s', (_name, clientId, username, password, returnCode) => {
    const r = authenticateConnect({ clientId, username, password: password === undefined ? undefined : Buffer.from(password) }, ctx);
    expect(r).toMatchObject({ ok: false, returnCode });
  });
});

describe('parseResourceUri', () => {
  it('reads device and module audiences and rejects others', () => {
    expect(parseResourceUri('h:1/devices/d')).toEqual({ host: 'h:1', deviceId: 'd' });
    expect(parseResourceUri('h/devices/d/modules/m')).toEqual({ host: 'h', deviceId: 'd', moduleId: 'm' });
    expect(parseResourceUri('h/devices')).toBeUndefined();
    expect(parseResourceUri('h')).toBeUndefined();
  });
});
