import { describe, expect, it } from 'vitest';
import { parseMethodCall } from '../../../runtime/service-api/method-handlers.js';
import { parseTwinWrite } from '../../../runtime/service-api/twin-handlers.js';
import { parseC2dRequest } from '../../../runtime/service-api/c2d-handlers.js';
import { parseTelemetryQuery } from '../../../runtime/service-api/telemetry-handlers.js';
import { etagMatches, isValidSymmetricKey, parseIdentityRequest } from '../../../runtime/service-api/identity-json.js';

const dev = { deviceId: 'dev1' };
const status = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return (error as { status?: number }).status;
  }
};

describe('parseMethodCall', () => {
  it('reads what the azure-iothub DeviceMethod sends, defaulting the timeout to 30 s', () => {
    expect(parseMethodCall({ methodName: 'reboot', payload: { a: 1 }, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 0 }, dev)).toEqual({
      deviceId: 'dev1',
      moduleId: undefined,
      methodName: 'reboot',
      payload: { a: 1 },
      timeoutMs: 10_000,
      connectTimeoutMs: 0,
    });
    expect(parseMethodCall({ methodName: 'x' }, { deviceId: 'd', moduleId: 'm' })).toMatchObject({ moduleId: 'm', payload: null, timeoutMs: 30_000 });
    expect(parseMethodCall({ methodName: 'x', connectTimeoutInSeconds: 2.5 }, dev).connectTimeoutMs).toBe(2500);
  });

  it.each([
    ['not an object', [1], 400],
    ['no name', { payload: 1 }, 400],
    ['an empty name', { methodName: '' }, 400],
    ['a name with a slash', { methodName: 'a/b' }, 400],
    ['a wildcard name', { methodName: '#' }, 400],
    ['a control character', { methodName: 'a\u0000' }, 400],
    ['a name over 100 characters', { methodName: 'x'.repeat(101) }, 400],
    ['a timeout of 0', { methodName: 'x', responseTimeoutInSeconds: 0 }, 400],
    ['a timeout over 300 s', { methodName: 'x', responseTimeoutInSeconds: 301 }, 400],
    ['a string timeout', { methodName: 'x', responseTimeoutInSeconds: '5' }, 400],
    ['a negative connect timeout', { methodName: 'x', connectTimeoutInSeconds: -1 }, 400],
    ['a payload over 128 KB', { methodName: 'x', payload: 'y'.repeat(128 * 1024) }, 413],
  ])('refuses %s', (_what, body, expected) => {
    expect(status(() => parseMethodCall(body, dev))).toBe(expected);
  });
});

describe('parseTwinWrite', () => {
  it('keeps tags and desired and drops read-only members a GET returns', () => {
    const body = {
      deviceId: 'dev1',
      etag: 'AAAAAAAAAAE=',
      version: 3,
      tags: { site: 'lab' },
      properties: { desired: { a: 1, $metadata: {}, $version: 4 }, reported: { b: 2 } },
    };
    expect(parseTwinWrite(body, dev)).toEqual({ tags: { site: 'lab' }, desired: { a: 1 } });
  });

  it.each([
    ['a non-object', 'x'],
    ['an array', []],
    ['another device id', { deviceId: 'dev2' }],
    ['a module id on a device twin', { moduleId: 'm' }],
    ['tags that are not an object', { tags: [1] }],
    ['properties that are not an object', { properties: 1 }],
    ['desired that is not an object', { properties: { desired: 'x' } }],
  ])('refuses %s with 400', (_what, body) => {
    expect(status(() => parseTwinWrite(body, dev))).toBe(400);
  });
});

describe('parseC2dRequest', () => {
  it('reads text and base64 bodies, properties, ids and TTL', () => {
    expect(parseC2dRequest({ body: 'hi', properties: { Kind: 'x' }, messageId: 'm1', correlationId: 'c1', ttlSeconds: 60 })).toEqual({
      body: Buffer.from('hi'),
      properties: { Kind: 'x' },
      messageId: 'm1',
      correlationId: 'c1',
      ttlMs: 60_000,
    });
    expect(parseC2dRequest({ body: '//4=', bodyEncoding: 'base64' }).body).toEqual(Buffer.from([0xff, 0xfe]));
  });

  it.each([
    ['no body', {}, 400],
    ['a numeric body', { body: 1 }, 400],
    ['an unknown encoding', { body: 'x', bodyEncoding: 'hex' }, 400],
    ['a body over 64 KB', { body: 'x'.repeat(64 * 1024 + 1) }, 413],
    ['a non-string property', { body: 'x', properties: { a: 1 } }, 400],
    ['a system property name', { body: 'x', properties: { '$.mid': 'y' } }, 400],
    ['a TTL over two days', { body: 'x', ttlSeconds: 172801 }, 400],
    ['an empty message id', { body: 'x', messageId: '' }, 400],
  ])('refuses %s', (_what, body, expected) => {
    expect(status(() => parseC2dRequest(body))).toBe(expected);
  });
});

describe('parseTelemetryQuery', () => {
  it.each([
    ['', undefined, { filter: {}, limit: 100, hasAfter: false }],
    ['deviceId=d&moduleId=m&limit=5', undefined, { filter: { deviceId: 'd', moduleId: 'm' }, limit: 5, hasAfter: false }],
    ['after=12', undefined, { filter: { afterSeq: 12 }, limit: 100, hasAfter: true }],
    ['', '40', { filter: { afterSeq: 40 }, limit: 100, hasAfter: true }],
    ['after=3', '40', { filter: { afterSeq: 3 }, limit: 100, hasAfter: true }],
  ])('reads ?%s (Last-Event-ID %s)', (q, last, expected) => {
    expect(parseTelemetryQuery(new URLSearchParams(q), last)).toEqual(expected);
  });

  it.each([['limit=0'], ['limit=1001'], ['limit=abc'], ['after=-1'], ['after=1e3'], ['deviceId=']])('refuses ?%s', (q) => {
    expect(status(() => parseTelemetryQuery(new URLSearchParams(q)))).toBe(400);
  });
});

describe('identity requests', () => {
  const key = Buffer.alloc(32, 3).toString('base64');

  it('reads keys and the IoT Edge capability of a device PUT, and managedBy of a module PUT', () => {
    expect(parseIdentityRequest({ deviceId: 'dev1', authentication: { type: 'sas', symmetricKey: { primaryKey: key, secondaryKey: key } }, capabilities: { iotEdge: true } }, dev)).toEqual({
      primaryKey: key,
      secondaryKey: key,
      edge: true,
    });
    expect(parseIdentityRequest({ managedBy: 'iotEdge' }, { deviceId: 'd', moduleId: 'm' })).toEqual({ managedBy: 'iotEdge' });
    expect(parseIdentityRequest({ authentication: { symmetricKey: { primaryKey: null, secondaryKey: '' } } }, dev)).toEqual({});
  });

  it.each([
    ['another device id', { deviceId: 'x' }],
    ['X.509 authentication', { authentication: { type: 'selfSigned' } }],
    ['a key that is not base64', { authentication: { symmetricKey: { primaryKey: 'not base64!' } } }],
    ['a key that is too short', { authentication: { symmetricKey: { primaryKey: Buffer.alloc(8).toString('base64') } } }],
    ['a non-boolean iotEdge', { capabilities: { iotEdge: 'yes' } }],
    ['a disabled status', { status: 'disabled' }],
  ])('refuses %s with 400', (_what, body) => {
    expect(status(() => parseIdentityRequest(body, dev))).toBe(400);
  });

  it.each([
    [key, true],
    [Buffer.alloc(16).toString('base64'), true],
    [Buffer.alloc(65).toString('base64'), false],
    ['abc', false],
  ])('isValidSymmetricKey(%s) is %s', (k, ok) => {
    expect(isValidSymmetricKey(k)).toBe(ok);
  });

  it.each([
    [undefined, true],
    ['*', true],
    ['"*"', true],
    ['"abc"', true],
    ['abc', true],
    ['W/"abc"', true],
    ['"abd"', false],
  ])('If-Match %s against abc matches: %s', (ifMatch, ok) => {
    expect(etagMatches(ifMatch, 'abc')).toBe(ok);
  });
});
