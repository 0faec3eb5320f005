import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStoreApi, type StoreApiFixture } from './store-api-fixture.js';
import { rawRequest, serviceToken } from './raw-request.js';
import { createSasToken } from '../../../runtime/hub/index.js';
import { parseErrorBody } from '../../../runtime/service-api/service-api-error.js';
import type { Agent } from 'node:https';

const V = 'api-version=2021-04-12';

describe('the service API HTTP layer', () => {
  let f: StoreApiFixture;
  let auth: Record<string, string>;

  beforeAll(async () => {
    f = await startStoreApi({ limits: { maxBodyBytes: 64 * 1024 } });
    f.store.identities.createDevice('dev1');
    auth = { authorization: serviceToken(f.policyKey) };
  });
  afterAll(async () => {
    await f?.close();
  });

  const codeOf = (text: string) => parseErrorBody(text)?.code;

  it.each([
    ['no Authorization header', () => ({})],
    ['a token signed with the wrong key', () => ({ authorization: serviceToken(Buffer.alloc(32, 1).toString('base64')) })],
    ['an expired token', () => ({ authorization: serviceToken(f.policyKey, { expiry: Math.floor(Date.now() / 1000) - 60 }) })],
    ['a token for another hub', () => ({ authorization: serviceToken(f.policyKey, { host: 'other.azure-devices.net' }) })],
    ['a device token', () => ({ authorization: createSasToken('localhost/devices/dev1', f.store.identities.get({ deviceId: 'dev1' })!.primaryKey, Math.floor(Date.now() / 1000) + 60) })],
    ['garbage', () => ({ authorization: 'SharedAccessSignature %%%' })],
  ])('answers 401 IotHubUnauthorizedAccess to %s', async (_what, headers) => {
    const r = await rawRequest(f.port, f.ca, 'GET', `/twins/dev1?${V}`, { headers: headers() });
    expect(r.status).toBe(401);
    expect(codeOf(r.text)).toBe('IotHubUnauthorizedAccess');
  });

  it('does not apply a patch sent with a bad signature', async () => {
    const r = await rawRequest(f.port, f.ca, 'PATCH', `/twins/dev1?${V}`, {
      headers: { authorization: serviceToken(Buffer.alloc(32, 1).toString('base64')), 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { desired: { hacked: true } } }),
    });
    expect(r.status).toBe(401);
    expect(f.store.twins.get({ deviceId: 'dev1' })!.properties.desired).not.toHaveProperty('hacked');
  });

  it.each([
    ['/twins/dev1', 400, 'InvalidProtocolVersion'],
    ['/twins/dev1?api-version=1999-01-01', 400, 'InvalidProtocolVersion'],
    [`/nowhere?${V}`, 404, 'NotFound'],
    [`/devices/%E0%A4%A?${V}`, 400, 'ArgumentInvalid'],
  ])('answers GET %s with %i %s', async (path, status, code) => {
    const r = await rawRequest(f.port, f.ca, 'GET', path, { headers: auth });
    expect(r.status).toBe(status);
    expect(codeOf(r.text)).toBe(code);
  });

  it('answers a method the resource does not have with 405 and an Allow header', async () => {
    const r = await rawRequest(f.port, f.ca, 'DELETE', `/twins/dev1?${V}`, { headers: auth });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, PATCH, PUT');
  });

  it.each([
    ['not JSON', 'application/json', '{"properties":', 400],
    ['JSON of the wrong shape', 'application/json', '{"properties":{"desired":[1,2]}}', 400],
    ['a wrong content type', 'text/plain', '{}', 415],
    ['an invalid twin key', 'application/json', '{"properties":{"desired":{"a.b":1}}}', 400],
    ['a prototype-polluting key', 'application/json', '{"properties":{"desired":{"__proto__":{"x":1}}}}', 400],
  ])('refuses a twin patch with %s and leaves the twin untouched', async (_what, contentType, body, status) => {
    const before = f.store.twins.get({ deviceId: 'dev1' })!;
    const r = await rawRequest(f.port, f.ca, 'PATCH', `/twins/dev1?${V}`, { headers: { ...auth, 'content-type': contentType }, body });
    expect(r.status).toBe(status);
    expect(f.store.twins.get({ deviceId: 'dev1' })!.etag).toBe(before.etag);
  });

  it('refuses an oversized body with 413 MessageTooLarge and keeps serving', async () => {
    const big = JSON.stringify({ properties: { desired: { blob: 'x'.repeat(200 * 1024) } } });
    const r = await rawRequest(f.port, f.ca, 'PATCH', `/twins/dev1?${V}`, { headers: { ...auth, 'content-type': 'application/json' }, body: big });
    expect(r.status).toBe(413);
    expect(codeOf(r.text)).toBe('MessageTooLarge');
    expect(f.store.twins.get({ deviceId: 'dev1' })!.properties.desired).not.toHaveProperty('blob');
    const ok = await rawRequest(f.port, f.ca, 'GET', `/twins/dev1?${V}`, { headers: auth });
    expect(ok.status).toBe(200);
  });

  it('refuses a chunked body that grows past the limit', async () => {
    const big = Buffer.alloc(300 * 1024, 'a');
    const r = await rawRequest(f.port, f.ca, 'POST', `/twins/dev1/methods?${V}`, {
      headers: { ...auth, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: big,
    });
    expect(r.status).toBe(413);
  });

  it('survives random bytes on the socket and keeps serving', async () => {
    const tls = await import('node:tls');
    await new Promise<void>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: f.port, ca: f.ca, servername: 'localhost' }, () => {
        socket.write(Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]));
      });
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    const ok = await rawRequest(f.port, f.ca, 'GET', `/twins/dev1?${V}`, { headers: auth });
    expect(ok.status).toBe(200);
  });

  it('returns the twin ETag in the ETag header and honours it in If-Match', async () => {
    const got = await rawRequest(f.port, f.ca, 'GET', `/twins/dev1?${V}`, { headers: auth });
    const etag = got.headers.etag as string;
    expect(etag).toBe(`"${(got.json as { etag: string }).etag}"`);
    const put = await rawRequest(f.port, f.ca, 'PUT', `/twins/dev1?${V}`, {
      headers: { ...auth, 'content-type': 'application/json', 'if-match': etag },
      body: JSON.stringify({ tags: { replaced: true }, properties: { desired: { only: 1 } } }),
    });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ tags: { replaced: true }, properties: { desired: { only: 1 } } });
    const stale = await rawRequest(f.port, f.ca, 'PUT', `/twins/dev1?${V}`, {
      headers: { ...auth, 'content-type': 'application/json', 'if-match': etag },
      body: JSON.stringify({ properties: { desired: {} } }),
    });
    expect(stale.status).toBe(412);
    expect(codeOf(stale.text)).toBe('PreconditionFailed');
  });

  it('lists every manifest problem in a 400 body with the status IoT Edge would report', async () => {
    f.store.identities.createDevice('gw-bad', { edge: true });
    const r = await rawRequest(f.port, f.ca, 'POST', `/devices/gw-bad/applyConfigurationContent?${V}`, {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ modulesContent: { $edgeAgent: { 'properties.desired': {} }, $edgeHub: { 'properties.desired': {} } } }),
    });
    expect(r.status).toBe(400);
    const body = r.json as { Message: string; deploymentStatus: number; errors: Array<{ path: string; message: string }> };
    expect(body.Message).toMatch(/^ErrorCode:ArgumentInvalid;/);
    expect(body.deploymentStatus).toBe(417);
    expect(body.errors.length).toBeGreaterThan(0);
    expect(f.store.identities.listDevice('gw-bad').map((i) => i.moduleId)).toEqual([undefined, '$edgeAgent', '$edgeHub']);
    expect(f.store.twins.get({ deviceId: 'gw-bad', moduleId: '$edgeAgent' })!.properties.desired.$version).toBe(1);
  });

  it('refuses to apply a manifest to a device that is not an IoT Edge device', async () => {
    const r = await rawRequest(f.port, f.ca, 'POST', `/devices/dev1/applyConfigurationContent?${V}`, {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ modulesContent: {} }),
    });
    expect(r.status).toBe(400);
    expect(r.text).toContain('not an IoT Edge device');
  });

  it('queues a C2D message for a known device and refuses an unknown one', async () => {
    const sent = await rawRequest(f.port, f.ca, 'POST', `/devices/dev1/messages/deviceBound?${V}`, {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'hello', properties: { Kind: 'greeting' }, messageId: 'm-1' }),
    });
    expect(sent.status).toBe(202);
    expect(sent.json).toMatchObject({ messageId: 'm-1' });
    const pending = f.store.c2d.pending('dev1');
    expect(pending.map((m) => [m.body.toString(), m.properties.Kind])).toEqual([['hello', 'greeting']]);
    const unknown = await rawRequest(f.port, f.ca, 'POST', `/devices/ghost/messages/deviceBound?${V}`, {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'x' }),
    });
    expect(unknown.status).toBe(404);
    expect(codeOf(unknown.text)).toBe('DeviceNotFound');
  });

  it('returns recent telemetry, filtered by device, with properties and enqueued time', async () => {
    const at = new Date().toISOString();
    f.store.messages.appendMany([
      { endpoint: '$upstream', message: { deviceId: 'dev1', body: Buffer.from('{"t":1}'), systemProperties: { ct: 'application/json' }, properties: { a: '1' }, enqueuedTimeUtc: at } },
      { endpoint: '$upstream', message: { deviceId: 'other', body: Buffer.from([0xff, 0xfe]), systemProperties: {}, properties: {}, enqueuedTimeUtc: at } },
    ]);
    const r = await rawRequest(f.port, f.ca, 'GET', `/messages/events?${V}&deviceId=dev1`, { headers: auth });
    expect(r.status).toBe(200);
    expect(r.json).toEqual([
      expect.objectContaining({ deviceId: 'dev1', body: '{"t":1}', bodyEncoding: 'utf8', properties: { a: '1' }, systemProperties: { ct: 'application/json' }, enqueuedTime: at }),
    ]);
    const other = await rawRequest(f.port, f.ca, 'GET', `/messages/events?${V}&deviceId=other`, { headers: auth });
    expect(other.json).toEqual([expect.objectContaining({ body: '//4=', bodyEncoding: 'base64' })]);
    const bad = await rawRequest(f.port, f.ca, 'GET', `/messages/events?${V}&limit=0`, { headers: auth });
    expect(bad.status).toBe(400);
  });
});

describe('starting the service API', () => {
  it('fails with a clear SERVICE_API_LISTEN error when the port is taken, and leaves the first one serving', async () => {
    const first = await startStoreApi();
    try {
      await expect(startStoreApi({ port: first.port })).rejects.toMatchObject({ code: 'SERVICE_API_LISTEN', message: expect.stringContaining('--https-port') });
      const r = await rawRequest(first.port, first.ca, 'GET', '/devices?api-version=2021-04-12', { headers: { authorization: serviceToken(first.policyKey) } });
      expect(r.status).toBe(200);
    } finally {
      await first.close();
    }
  });
});

describe('connection limits', () => {
  it('lets a newcomer past maxConnections close the oldest unauthenticated connection, and refuses it when all are authenticated', async () => {
    const f = await startStoreApi({ limits: { maxConnections: 2, reservedConnections: 0 } });
    const tls = await import('node:tls');
    const https = await import('node:https');
    const get = (agent?: Agent) =>
      new Promise<number>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', servername: 'localhost', port: f.port, path: '/devices?api-version=2021-04-12', ca: f.ca, agent: agent ?? false, headers: { authorization: serviceToken(f.policyKey) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    const agent = new https.Agent({ keepAlive: true, maxSockets: 2 });
    try {
      const idle = tls.connect({ host: '127.0.0.1', port: f.port, ca: f.ca, servername: 'localhost' }).on('error', () => {});
      await new Promise((r) => idle.once('secureConnect', r));
      const idleClosed = new Promise((r) => idle.once('close', r));
      expect(await Promise.all([get(agent), get(agent)])).toEqual([200, 200]); // two authenticated keep-alive connections
      await idleClosed; // the idle one gave way
      await expect(get()).rejects.toThrow(); // both held connections are authenticated: refused at accept
      agent.destroy();
      await new Promise((r) => setTimeout(r, 50));
      expect(await get()).toBe(200);
    } finally {
      agent.destroy();
      await f.close();
    }
  });
});
