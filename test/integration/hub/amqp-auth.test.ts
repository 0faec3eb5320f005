import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tls from 'node:tls';
import rhea, { type Connection, type EventContext, type Sender } from 'rhea';
import deviceSdk, { Message, type Client } from 'azure-iot-device';
import deviceAmqp from 'azure-iot-device-amqp';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { amqpConnectionString, amqpDeviceClient } from '../../helpers/amqp.js';
import { createSasToken } from '../../../runtime/hub/sas.js';

/*
 * CBS authentication on the AMQP listener as IoT Hub does it (learn.microsoft.com/azure/iot-hub/iot-hub-amqp-support
 * "Claims-based security"): a token that does not authorize is answered 401 on `$cbs` and the
 * connection stays for a better one; a token that expires detaches the links it authorized with
 * amqp:unauthorized-access and closes a connection left with no valid claim; a connection that
 * never authenticates is closed after authTimeoutMs; an authenticated one is trusted by the
 * listener's connection cap. With the real azure-iot-device-amqp client and with rhea directly.
 */
const AUTH_TIMEOUT_MS = 1500;
let t: TestHub;
let device: Client;

beforeAll(async () => {
  t = await startTestHub({ amqpsPort: 0, limits: { authTimeoutMs: AUTH_TIMEOUT_MS, maxConnections: 4 } });
  device = await amqpDeviceClient(t, 'good-dev');
  await device.open();
});
afterAll(async () => {
  await device?.close();
  await t?.close();
});

const stillServes = async () => {
  await device.sendEvent(new Message('still served'));
  expect(t.hub.messages.read({ deviceId: 'good-dev' }).at(-1)!.body.toString()).toBe('still served');
};

/** A TLS socket to the AMQP port (handshake done); resolves once connected. */
function tlsSocket(): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: t.hub.amqpsPort!, ca: t.hub.caCert, servername: 'localhost' }, () => resolve(socket));
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

const closed = (socket: tls.TLSSocket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

/** A rhea connection with a `$cbs` pair; `put` sends a token and resolves with the answer. */
function cbsConnection() {
  const connection: Connection = rhea.create_container().connect({ host: '127.0.0.1', port: t.hub.amqpsPort!, transport: 'tls', ca: t.hub.caCert, servername: 'localhost', reconnect: false } as never);
  connection.on('connection_error', () => {});
  connection.on('disconnected', () => {});
  const answers = new Map<string, (a: { status: number; description: string }) => void>();
  connection.open_receiver('$cbs').on('message', (c: EventContext) => {
    const props = c.message!.application_properties!;
    answers.get(String(c.message!.correlation_id))?.({ status: props['status-code'] as number, description: props['status-description'] as string });
  });
  const cbs = connection.open_sender('$cbs');
  let n = 0;
  const put = (audience: string, token: string) =>
    new Promise<{ status: number; description: string }>((resolve) => {
      const id = `put-${++n}`;
      answers.set(id, resolve);
      const send = () => cbs.send({ message_id: id, reply_to: 'cbs', application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience }, body: token });
      if (cbs.sendable()) send();
      else cbs.once('sendable', send);
    });
  const closedWith = new Promise<string | undefined>((resolve) => {
    connection.on('connection_error', (c: EventContext) => resolve((c.connection.error as { condition?: string } | undefined)?.condition));
    connection.on('connection_close', () => resolve('closed without an error'));
    connection.on('disconnected', () => resolve('disconnected'));
  });
  return { connection, put, closedWith };
}

const deviceToken = (deviceId: string, seconds: number, key?: string) =>
  createSasToken(`localhost/devices/${deviceId}`, key ?? t.hub.store.identities.get({ deviceId })!.primaryKey, Math.floor(Date.now() / 1000) + seconds);

/** Opens a telemetry sender and resolves once the hub attached it. */
function eventsSender(connection: Connection, deviceId: string): Promise<Sender> {
  return new Promise((resolve, reject) => {
    const sender = connection.open_sender(`/devices/${deviceId}/messages/events`);
    sender.once('sendable', () => resolve(sender));
    sender.once('sender_error', (c: EventContext) => reject(new Error(String((c.sender!.error as { condition?: string } | undefined)?.condition))));
  });
}

describe('the real azure-iot-device-amqp client with a token that does not authorize', () => {
  it('fails to open with UnauthorizedError for a wrong key, and the hub keeps serving', async () => {
    t.createDevice('wrong-key-dev');
    const client = await amqpDeviceClient(t, 'wrong-key-dev', Buffer.from('not the key').toString('base64'));
    const error = await client.open().then(
      () => undefined,
      (e: Error) => e,
    );
    await client.close().catch(() => {});
    expect(error?.constructor.name).toBe('UnauthorizedError');
    expect(t.hub.isConnected({ deviceId: 'wrong-key-dev' })).toBe(false);
    await stillServes();
  });

  it('fails to open with UnauthorizedError for an expired shared access signature', async () => {
    t.createDevice('expired-dev');
    const sas = createSasToken('localhost/devices/expired-dev', t.hub.store.identities.get({ deviceId: 'expired-dev' })!.primaryKey, Math.floor(Date.now() / 1000) - 60);
    // A token-only client, as a user holding just a SAS token writes it; the host carries the test port.
    const provider = new deviceSdk.SharedAccessSignatureAuthenticationProvider({ host: `localhost:${t.hub.amqpsPort!}`, deviceId: 'expired-dev', sharedAccessSignature: sas });
    const client = deviceSdk.Client.fromAuthenticationProvider(provider, deviceAmqp.Amqp);
    await client.setOptions({ ca: t.hub.caCert });
    const error = await client.open().then(
      () => undefined,
      (e: Error) => e,
    );
    await client.close().catch(() => {});
    expect(error?.constructor.name).toBe('UnauthorizedError');
    await stillServes();
  });

  it('keeps its connection past the first token when the SDK renews it in time', async () => {
    t.createDevice('renewing-dev');
    const provider = deviceSdk.SharedAccessKeyAuthenticationProvider.fromConnectionString(amqpConnectionString(t, { deviceId: 'renewing-dev' }), 3, 2);
    const client = deviceSdk.Client.fromAuthenticationProvider(provider, deviceAmqp.Amqp);
    await client.setOptions({ ca: t.hub.caCert });
    let disconnects = 0;
    client.on('disconnect', () => disconnects++);
    await client.open();
    try {
      await new Promise((r) => setTimeout(r, 4500));
      await client.sendEvent(new Message('after renewal'));
      expect(t.hub.messages.read({ deviceId: 'renewing-dev' }).at(-1)!.body.toString()).toBe('after renewal');
      expect(disconnects).toBe(0);
      expect(t.hub.isConnected({ deviceId: 'renewing-dev' })).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('CBS put-token on a raw AMQP connection', () => {
  it('answers 401 with a reason for a wrong key, keeps the connection, and accepts a valid token on it afterwards', async () => {
    t.createDevice('raw-dev');
    const { connection, put } = cbsConnection();
    const refused = await put('localhost/devices/raw-dev', deviceToken('raw-dev', 3600, Buffer.from('wrong').toString('base64')));
    expect(refused.status).toBe(401);
    expect(refused.description).toMatch(/signature|key/i);
    await expect(eventsSender(connection, 'raw-dev')).rejects.toThrow('amqp:unauthorized-access');
    expect(await put('localhost/devices/raw-dev', deviceToken('raw-dev', 3600))).toEqual({ status: 200, description: 'OK' });
    const sender = await eventsSender(connection, 'raw-dev');
    const outcome = await new Promise<string>((resolve) => {
      sender.send({ body: 'after a good token' });
      sender.once('accepted', () => resolve('accepted'));
      sender.once('rejected', () => resolve('rejected'));
    });
    expect(outcome).toBe('accepted');
    connection.close();
  });

  it('answers 401 for an expired token', async () => {
    const { connection, put } = cbsConnection();
    const answer = await put('localhost/devices/raw-dev', deviceToken('raw-dev', -10));
    expect(answer.status).toBe(401);
    expect(answer.description).toMatch(/expired/i);
    connection.close();
  });

  it('detaches the links with amqp:unauthorized-access when the token expires, then closes the connection', async () => {
    const { connection, put, closedWith } = cbsConnection();
    expect((await put('localhost/devices/raw-dev', deviceToken('raw-dev', 2))).status).toBe(200);
    const sender = await eventsSender(connection, 'raw-dev');
    await waitFor(() => t.hub.isConnected({ deviceId: 'raw-dev' }));
    const detached = new Promise<string | undefined>((resolve) => sender.on('sender_error', (c: EventContext) => resolve((c.sender!.error as { condition?: string } | undefined)?.condition)));
    expect(await detached).toBe('amqp:unauthorized-access');
    expect(await closedWith).toBe('amqp:unauthorized-access');
    expect(t.hub.isConnected({ deviceId: 'raw-dev' })).toBe(false);
    await stillServes();
  }, 15_000);

  it('keeps a connection whose token is renewed by a later put-token', async () => {
    const { connection, put } = cbsConnection();
    expect((await put('localhost/devices/raw-dev', deviceToken('raw-dev', 2))).status).toBe(200);
    const sender = await eventsSender(connection, 'raw-dev');
    expect((await put('localhost/devices/raw-dev', deviceToken('raw-dev', 3600))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3000));
    const outcome = await new Promise<string>((resolve) => {
      sender.send({ body: 'renewed' });
      sender.once('accepted', () => resolve('accepted'));
      sender.once('sender_error', () => resolve('detached'));
    });
    expect(outcome).toBe('accepted');
    expect(t.hub.isConnected({ deviceId: 'raw-dev' })).toBe(true);
    connection.close();
  }, 15_000);
});

describe('connections that never authenticate', () => {
  it('closes a TLS peer that never sends an AMQP header after authTimeoutMs', async () => {
    const socket = await tlsSocket();
    const started = Date.now();
    await closed(socket);
    expect(Date.now() - started).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS - 200);
    await stillServes();
  });

  it('closes an opened AMQP connection that puts no valid token with amqp:unauthorized-access', async () => {
    const { put, closedWith } = cbsConnection();
    expect((await put('localhost/devices/raw-dev', 'SharedAccessSignature sr=x&sig=y&se=1')).status).toBe(401);
    expect(await closedWith).toBe('amqp:unauthorized-access');
    await stillServes();
  });

  it('never evicts an authenticated connection for idle newcomers past the connection cap', async () => {
    // maxConnections is 4: the authenticated device holds one; six idle peers evict each other, not it.
    const changes: string[] = [];
    const unsubscribe = t.hub.onConnectionChanged((e) => e.clientId === 'good-dev' && changes.push(e.status));
    const idle = [];
    for (let i = 0; i < 6; i++) idle.push(await tlsSocket().catch(() => undefined));
    await new Promise((r) => setTimeout(r, 200));
    await stillServes();
    unsubscribe();
    expect(changes).toEqual([]);
    expect(idle.filter((s) => s && !s.destroyed).length).toBeLessThanOrEqual(3);
    for (const s of idle) s?.destroy();
  });
});
