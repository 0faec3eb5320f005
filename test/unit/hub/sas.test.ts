import { describe, expect, it } from 'vitest';
import { createSasToken, encodeUriComponentStrict, parseSasToken, signSas, signSasText, verifySasSignature } from '../../../runtime/hub/sas.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const now = 1_800_000_000_000;

describe('SAS tokens', () => {
  it('signs exactly like the Azure SDK (a CONNECT password the Node SDK produced)', () => {
    expect(signSas('localhost:36069/devices/dev1', key, 1795827663)).toBe('iYjKo3n+P2vkFP3wIJFmXF/JF+PdpCgeSWOKmW+tw4A=');
    expect(createSasToken('localhost:36069/devices/dev1', key, 1795827663)).toBe(
      'SharedAccessSignature sr=localhost%3A36069%2Fdevices%2Fdev1&sig=iYjKo3n%2BP2vkFP3wIJFmXF%2FJF%2BPdpCgeSWOKmW%2Btw4A%3D&se=1795827663',
    );
  });

  it('round-trips through create and parse, with and without a policy name', () => {
    const t = parseSasToken(createSasToken('hub/devices/d1', key, 1900000000))!;
    expect(t).toEqual({ resourceUri: 'hub/devices/d1', signature: signSas('hub/devices/d1', key, 1900000000), expiry: 1900000000, keyName: undefined, rawResourceUri: 'hub%2Fdevices%2Fd1' });
    expect(parseSasToken(createSasToken('hub', key, 1900000000, 'iothubowner'))!.keyName).toBe('iothubowner');
  });

  const malformed = ['', 'Bearer x', 'SharedAccessSignature sr=a&sig=b', 'SharedAccessSignature sr=a&sig=b&se=soon', 'SharedAccessSignature sr=%E0%A4%A&sig=b&se=1', 'SharedAccessSignature garbage'];
  it.each(malformed)('refuses to parse %j', (text) => {
    expect(parseSasToken(text)).toBeUndefined();
  });

  it('verifies a valid token and refuses a wrong key, a tampered resource and an expired token', () => {
    const token = parseSasToken(createSasToken('hub/devices/d1', key, now / 1000 + 60))!;
    expect(verifySasSignature(token, key, now)).toEqual({ ok: true });
    const otherKey = Buffer.from('another key of thirty-two bytes!').toString('base64');
    expect(verifySasSignature(token, otherKey, now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifySasSignature({ ...token, resourceUri: 'hub/devices/d2' }, key, now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifySasSignature(token, key, now + 61_000)).toEqual({ ok: false, reason: 'expired' });
  });

  /*
   * The Java device SDK writes `sr` unencoded and signs that raw text (Azure/azure-iot-sdk-java
   * iot-device-client auth/IotHubSasToken.java: `sr=<host>/devices/<id>`); IoT Hub accepts it, as it
   * accepts the URL-encoded form the Node, Python and .NET SDKs send
   * (learn.microsoft.com/azure/iot-hub/iot-hub-dev-guide-sas "Security token structure").
   */
  const javaToken = (resource: string, expiry: number, signingKey = key) =>
    `SharedAccessSignature sr=${resource}&sig=${encodeUriComponentStrict(signSasText(resource, signingKey, expiry))}&se=${expiry}`;
  const se = now / 1000 + 60;
  it.each<[string, string, { ok: true } | { ok: false; reason: string }]>([
    ['the URL-encoded form, signed encoded (Node, Python, .NET)', createSasToken('hub.local/devices/d1', key, se), { ok: true }],
    ['the raw form, signed raw (Java)', javaToken('hub.local/devices/d1', se), { ok: true }],
    ['the raw form of a module, signed raw', javaToken('hub.local/devices/d1/modules/m1', se), { ok: true }],
    ['the raw form with a port, signed raw', javaToken('hub.local:8883/devices/d1', se), { ok: true }],
    ['the raw form signed with another key', javaToken('hub.local/devices/d1', se, Buffer.from('another key of thirty-two bytes!').toString('base64')), { ok: false, reason: 'bad-signature' }],
    ['the raw form, expired', javaToken('hub.local/devices/d1', now / 1000 - 1), { ok: false, reason: 'expired' }],
    [
      'the encoded form signed over the raw text of another resource',
      `SharedAccessSignature sr=hub.local%2Fdevices%2Fd1&sig=${encodeUriComponentStrict(signSasText('hub.local/devices/d2', key, se))}&se=${se}`,
      { ok: false, reason: 'bad-signature' },
    ],
  ])('checks %s', (_name, text, expected) => {
    expect(verifySasSignature(parseSasToken(text)!, key, now)).toEqual(expected);
  });

  it('does not let a raw sr that names another resource stand in for the checked one', () => {
    const token = parseSasToken(javaToken('hub.local/devices/d1', se))!;
    expect(verifySasSignature({ ...token, resourceUri: 'hub.local/devices/d2' }, key, now)).toEqual({ ok: false, reason: 'bad-signature' });
  });
});
