import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import tls from 'node:tls';
import { startStoreApi, type StoreApiFixture } from './store-api-fixture.js';
import { rawRequest, serviceToken } from './raw-request.js';

const V = 'api-version=2021-04-12';

/** Resolves with how long after `started` the socket closed, or Infinity after `waitMs`. */
const closedWithin = (socket: net.Socket, started: number, waitMs: number) =>
  new Promise<number>((resolve) => {
    socket.once('close', () => resolve(Date.now() - started));
    setTimeout(() => resolve(Number.POSITIVE_INFINITY), waitMs).unref();
  });

describe('the service API under slow and stalled clients', () => {
  let f: StoreApiFixture;
  let auth: Record<string, string>;

  beforeAll(async () => {
    f = await startStoreApi({ limits: { maxBodyBytes: 64 * 1024, handshakeTimeoutMs: 500, headersTimeoutMs: 1000, maxConnections: 40, reservedConnections: 8 } });
    f.store.identities.createDevice('dev1');
    auth = { authorization: serviceToken(f.policyKey) };
  });
  afterAll(async () => {
    await f?.close();
  });

  it('closes a TLS handshake that never finishes within the handshake timeout', async () => {
    const started = Date.now();
    const socket = net.connect(f.port, '127.0.0.1');
    socket.on('error', () => {});
    const after = await closedWithin(socket, started, 4000);
    socket.destroy();
    expect(after).toBeLessThan(2500);
  });

  it('closes a connection that sends no request within the header timeout', async () => {
    const started = Date.now();
    const socket = tls.connect({ host: '127.0.0.1', port: f.port, ca: f.ca, servername: 'localhost' });
    socket.on('error', () => {});
    const after = await closedWithin(socket, started, 5000);
    socket.destroy();
    expect(after).toBeLessThan(3500);
  });

  it('delivers the 413 for an oversized declared Content-Length every time', async () => {
    // The whole body is written before the answer is read, as a simple client does.
    const body = Buffer.alloc(4 * 1024 * 1024, 'a');
    const head = `PATCH /twins/dev1?${V} HTTP/1.1\r\nhost: localhost\r\nauthorization: ${auth.authorization}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) {
      answers.push(
        await new Promise<string>((resolve) => {
          const chunks: Buffer[] = [];
          const socket = tls.connect({ host: '127.0.0.1', port: f.port, ca: f.ca, servername: 'localhost' }, () => {
            socket.pause();
            socket.end(Buffer.concat([Buffer.from(head), body]), () => socket.on('data', (c: Buffer) => chunks.push(c)).resume());
          });
          socket.on('error', (e) => resolve(`${Buffer.concat(chunks).toString('latin1').split('\r\n')[0] ?? ''} (${e.message})`));
          socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1').split('\r\n')[0] ?? ''));
        }),
      );
    }
    expect(answers).toEqual(Array(5).fill('HTTP/1.1 413 Payload Too Large'));
    expect((await rawRequest(f.port, f.ca, 'GET', `/twins/dev1?${V}`, { headers: auth })).status).toBe(200);
  });

  it('serves fresh requests while more idle sockets than the connection cap are held', async () => {
    const idle: net.Socket[] = [];
    try {
      for (let i = 0; i < 30; i++) idle.push(net.connect(f.port, '127.0.0.1').on('error', () => {}));
      await Promise.all(
        Array.from({ length: 30 }, () => {
          const s = tls.connect({ host: '127.0.0.1', port: f.port, ca: f.ca, servername: 'localhost' }).on('error', () => {});
          idle.push(s);
          return new Promise<void>((resolve) => s.once('secureConnect', () => resolve()).once('close', () => resolve()));
        }),
      );
      for (let i = 0; i < 5; i++) {
        const r = await rawRequest(f.port, f.ca, 'GET', `/twins/dev1?${V}`, { headers: auth });
        expect(r.status).toBe(200);
      }
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});
