import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tls from 'node:tls';
import mqtt, { type MqttClient } from 'mqtt';
import { rawConnect } from '../../helpers/raw-mqtt.js';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { createSasToken } from '../../../runtime/hub/index.js';

let t: TestHub;
const open: MqttClient[] = [];

beforeAll(async () => {
  t = await startTestHub();
  for (const d of ['dev1', 'dev2', 'probe']) t.createDevice(d);
});
afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.endAsync(true)));
  await t?.close();
});

const refOf = (clientId: string) => {
  const [deviceId, moduleId] = clientId.split('/') as [string, string | undefined];
  return moduleId ? { deviceId, moduleId } : { deviceId };
};
const keyOf = (clientId: string) => t.hub.store.identities.get(refOf(clientId))!.primaryKey;
const resourceOf = (clientId: string) => {
  const { deviceId, moduleId } = refOf(clientId) as { deviceId: string; moduleId?: string };
  return `localhost:${t.hub.mqttsPort}/devices/${deviceId}${moduleId ? `/modules/${moduleId}` : ''}`;
};
const future = () => Math.floor(Date.now() / 1000) + 3600;

function connect(clientId: string, o: { password?: string; username?: string; clean?: boolean } = {}): Promise<MqttClient> {
  return rawConnect(t.hub, clientId, { ...o, password: o.password ?? createSasToken(resourceOf(clientId), keyOf(clientId), future()) }, open);
}

const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));

/** A fresh device connects and gets its twin: the hub still serves others. */
async function assertServes(): Promise<void> {
  const probe = await connect('probe');
  const rid = `r${Math.random()}`;
  const res = new Promise<string>((resolve) => probe.on('message', (topic, payload) => topic.includes(rid) && resolve(payload.toString())));
  await probe.subscribeAsync('$iothub/twin/res/#');
  await probe.publishAsync(`$iothub/twin/GET/?$rid=${rid}`, ' ');
  expect(JSON.parse(await res)).toMatchObject({ desired: { $version: 1 } });
  await probe.endAsync();
}

const returnCode = (e: unknown) => (e as { code?: number }).code;

describe('the hub at the MQTT protocol level (MQTT.js)', () => {
  it('refuses a wrong key with CONNACK 5 (not authorized)', async () => {
    const wrong = createSasToken(`localhost/devices/dev1`, keyOf('dev2'), future());
    await expect(connect('dev1', { password: wrong })).rejects.toSatisfy((e) => returnCode(e) === 5);
    await assertServes();
  });

  it('refuses an expired token with CONNACK 5', async () => {
    const expired = createSasToken(`localhost/devices/dev1`, keyOf('dev1'), Math.floor(Date.now() / 1000) - 10);
    await expect(connect('dev1', { password: expired })).rejects.toSatisfy((e) => returnCode(e) === 5);
    await assertServes();
  });

  it('refuses a valid token of another identity with CONNACK 5', async () => {
    const other = createSasToken(`localhost/devices/dev2`, keyOf('dev2'), future());
    await expect(connect('dev1', { password: other, username: 'localhost/dev1/?api-version=2021-04-12' })).rejects.toSatisfy((e) => returnCode(e) === 5);
    await assertServes();
  });

  it('refuses a username that does not follow IoT Hub’s format with CONNACK 4', async () => {
    await expect(connect('dev1', { username: 'dev1' })).rejects.toSatisfy((e) => returnCode(e) === 4);
    await assertServes();
  });

  it('refuses subscriptions to another identity’s topics (SUBACK 0x80) and keeps the connection', async () => {
    const c = await connect('dev1');
    const granted = await new Promise<number[]>((resolve) =>
      c.subscribe(['devices/dev2/messages/devicebound/#', '#', 'devices/dev1/messages/devicebound/#'], { qos: 1 }, (error, g) =>
        // MQTT.js reports the requested QoS in `g`; the SUBACK's codes are on the error's packet
        resolve(error ? (error as unknown as { packet: { granted: number[] } }).packet.granted : (g ?? []).map((x) => x.qos)),
      ),
    );
    expect(granted).toEqual([128, 128, 1]);
    // nothing sent to dev2 reaches dev1
    let leaked = false;
    c.on('message', (topic) => (leaked ||= topic.startsWith('devices/dev2')));
    t.hub.sendC2d('dev2', { body: 'for dev2 only' });
    await c.publishAsync('devices/dev1/messages/events/', 'still connected', { qos: 1 });
    expect(c.connected).toBe(true);
    expect(leaked).toBe(false);
    await c.endAsync();
    await assertServes();
  });

  it('grants QoS 1 for a QoS 2 subscription and closes the connection on a QoS 2 publish', async () => {
    const c = await connect('dev1');
    const [g] = await c.subscribeAsync('devices/dev1/messages/devicebound/#', { qos: 2 });
    expect(g!.qos).toBe(1);
    const before = t.hub.messages.count();
    const gone = closed(c);
    c.publish('devices/dev1/messages/events/', 'qos2', { qos: 2 });
    await gone;
    expect(t.hub.messages.count()).toBe(before);
    await assertServes();
  });

  it('closes the connection of a client publishing on another device’s topic and stores nothing', async () => {
    const c = await connect('dev1');
    const before = t.hub.messages.count();
    const gone = closed(c);
    c.publish('devices/dev2/messages/events/', 'spoofed', { qos: 1 });
    await gone;
    expect(t.hub.messages.count()).toBe(before);
    await assertServes();
  });

  it('refuses a payload over 256 KB without affecting others', async () => {
    const c = await connect('dev1');
    const before = t.hub.messages.count();
    const gone = closed(c);
    c.publish('devices/dev1/messages/events/', Buffer.alloc(256 * 1024 + 1, 1), { qos: 1 });
    await gone;
    expect(t.hub.messages.count()).toBe(before);
    const ok = await connect('dev2');
    await ok.publishAsync('devices/dev2/messages/events/', Buffer.alloc(256 * 1024, 2), { qos: 1 });
    expect(t.hub.messages.read({ deviceId: 'dev2' }).at(-1)!.body.length).toBe(256 * 1024);
    await ok.endAsync();
  });

  it('answers malformed JSON in a reported patch with 400 and keeps the connection', async () => {
    const c = await connect('dev1');
    const res = new Promise<{ topic: string; body: string }>((resolve) => c.on('message', (topic, p) => resolve({ topic, body: p.toString() })));
    await c.subscribeAsync('$iothub/twin/res/#');
    await c.publishAsync('$iothub/twin/PATCH/properties/reported/?$rid=bad1', '{not json');
    const r = await res;
    expect(r.topic).toBe('$iothub/twin/res/400/?$rid=bad1');
    expect(JSON.parse(r.body)).toMatchObject({ errorCode: 400004 });
    expect(c.connected).toBe(true);
    await c.endAsync();
    await assertServes();
  });

  it('sends twin replies only to the connection that asked', async () => {
    const a = await connect('dev1');
    const b = await connect('dev2');
    const seenByB: string[] = [];
    b.on('message', (topic) => seenByB.push(topic));
    await b.subscribeAsync('$iothub/twin/res/#');
    const gotA = new Promise<string>((resolve) => a.on('message', (topic) => resolve(topic)));
    await a.subscribeAsync('$iothub/twin/res/#');
    await a.publishAsync('$iothub/twin/GET/?$rid=onlyA', ' ');
    expect(await gotA).toBe('$iothub/twin/res/200/?$rid=onlyA');
    await new Promise((r) => setTimeout(r, 100));
    expect(seenByB).toEqual([]);
    await Promise.all([a.endAsync(), b.endAsync()]);
  });

  it('does not store retained messages but marks them with mqtt-retain', async () => {
    const c = await connect('dev1');
    await c.publishAsync('devices/dev1/messages/events/', 'retained?', { qos: 1, retain: true });
    expect(t.hub.messages.read({ deviceId: 'dev1' }).at(-1)!.properties).toEqual({ 'mqtt-retain': 'true' });
    await c.endAsync();
    // a new subscriber to the same identity's topics gets nothing retained
    const again = await connect('dev1');
    const got: string[] = [];
    again.on('message', (topic) => got.push(topic));
    await again.subscribeAsync('devices/dev1/messages/devicebound/#');
    await new Promise((r) => setTimeout(r, 100));
    expect(got.filter((x) => x.includes('events'))).toEqual([]);
    await again.endAsync();
  });

  it('survives random bytes, on a TLS session and as plain TCP, and packets announcing huge sizes', async () => {
    const sendRaw = (bytes: Buffer, useTls: boolean) =>
      new Promise<void>((resolve) => {
        if (useTls) {
          const s = tls.connect({ host: '127.0.0.1', port: t.hub.mqttsPort, ca: t.hub.caCert, servername: 'localhost' }, () => s.write(bytes));
          s.on('close', () => resolve());
          s.on('error', () => resolve());
        } else {
          void import('node:net').then(({ connect: netConnect }) => {
            const s = netConnect(t.hub.mqttsPort, '127.0.0.1', () => s.write(bytes));
            s.on('close', () => resolve());
            s.on('error', () => resolve());
          });
        }
      });
    await sendRaw(Buffer.from([0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef]), true);
    await sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), false);
    // CONNECT announcing a 200 MB remaining length: closed before the body is buffered
    await sendRaw(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x5f, 0x00]), true);
    await assertServes();
  });

  it('keeps one live connection per identity: a second connection replaces the first', async () => {
    const first = await connect('dev2');
    const gone = closed(first);
    const second = await connect('dev2');
    await gone;
    expect(second.connected).toBe(true);
    expect(t.hub.connections().filter((c) => c.clientId === 'dev2')).toHaveLength(1);
    await second.endAsync();
  });

  it('closes the connection of an identity deleted while connected', async () => {
    t.createDevice('doomed');
    const password = createSasToken('localhost/devices/doomed', keyOf('doomed'), future());
    const c = await connect('doomed', { password });
    const gone = closed(c);
    t.hub.store.identities.delete({ deviceId: 'doomed' });
    await gone;
    await expect(connect('doomed', { password })).rejects.toSatisfy((e) => returnCode(e) === 5);
  });

  it('delivers a will message as telemetry marked iothub-MessageType=Will when the connection drops', async () => {
    const deviceId = 'dev2';
    const client = mqtt.connect(`mqtts://localhost:${t.hub.mqttsPort}`, {
      ca: t.hub.caCert,
      clientId: deviceId,
      username: `localhost/${deviceId}/?api-version=2021-04-12`,
      password: createSasToken(`localhost/devices/${deviceId}`, keyOf(deviceId), future()),
      protocolVersion: 4,
      reconnectPeriod: 0,
      will: { topic: `devices/${deviceId}/messages/events/`, payload: Buffer.from('gone'), qos: 1, retain: false },
    });
    await new Promise((resolve) => client.once('connect', resolve));
    const before = t.hub.messages.lastSeq();
    (client.stream as unknown as { destroy(): void }).destroy(); // no DISCONNECT
    await waitFor(() => t.hub.messages.lastSeq() > before, 5000, 'will stored');
    const will = t.hub.messages.read({ afterSeq: before, deviceId })[0]!;
    expect(will.body.toString()).toBe('gone');
    expect(will.properties['iothub-MessageType']).toBe('Will');
    client.end(true);
  });

  it('signals inputs-subscribed after a granted inputs SUBSCRIBE and when a persisted session reconnects, never for a refused one', async () => {
    t.createModule('dev1', 'm1');
    const log: string[] = [];
    const offConn = t.hub.onConnectionChanged((e) => e.clientId === 'dev1/m1' && log.push(e.status));
    const offInputs = t.hub.onInputsSubscribed((e) => log.push(`inputs ${e.deviceId}/${e.moduleId}`));
    const listens = () => t.hub.connections().find((c) => c.clientId === 'dev1/m1')?.listensForInputs;
    try {
      const first = await connect('dev1/m1');
      const refused = await first.subscribeAsync('devices/dev1/modules/other/inputs/#', { qos: 1 }).catch((e: { packet: { granted: number[] } }) => e.packet.granted);
      expect(refused).toEqual([128]);
      await first.subscribeAsync('$iothub/methods/POST/#');
      expect(log).toEqual(['Connected']);
      expect(listens()).toBe(false);
      await first.subscribeAsync('devices/dev1/modules/m1/inputs/#', { qos: 1 });
      await waitFor(() => log.length === 2, 2000, 'inputs-subscribed event');
      expect(log).toEqual(['Connected', 'inputs dev1/m1']);
      expect(listens()).toBe(true);
      await first.endAsync();
      await waitFor(() => log.length === 3, 2000, 'disconnect');

      // Clean session off: the kept subscription makes the module listen again at once.
      const again = await connect('dev1/m1');
      await waitFor(() => log.length === 5, 2000, 'reconnect events');
      expect(log.slice(3)).toEqual(['Connected', 'inputs dev1/m1']);
      await again.endAsync();
      await waitFor(() => log.length === 6, 2000, 'disconnect');

      // Clean session on: the session is dropped, nothing listens until a new SUBSCRIBE.
      await connect('dev1/m1', { clean: true });
      await waitFor(() => log.length === 7, 2000, 'clean connect');
      expect(log.slice(6)).toEqual(['Connected']);
      expect(listens()).toBe(false);
    } finally {
      offConn();
      offInputs();
    }
  });

  it('answers 404 for a method on a connected client that does not listen for methods', async () => {
    const c = await connect('dev1');
    expect((await t.hub.invokeMethod({ deviceId: 'dev1', methodName: 'm', timeoutMs: 1000 })).status).toBe(404);
    await c.subscribeAsync('$iothub/methods/POST/#');
    const answered = new Promise<void>((resolve) =>
      c.on('message', (topic) => {
        const rid = /\$rid=(.+)$/.exec(topic)![1];
        void c.publishAsync(`$iothub/methods/res/200/?$rid=${rid}`, '{"ok":1}').then(() => resolve());
      }),
    );
    expect(await t.hub.invokeMethod({ deviceId: 'dev1', methodName: 'm', timeoutMs: 5000 })).toEqual({ status: 200, payload: { ok: 1 } });
    await answered;
    await c.endAsync();
  });

  it('keeps a C2D message queued until the device acknowledges it, and delivers it again on the next connection', async () => {
    t.createDevice('c2dev');
    const opts = (clientId: string) => ({
      ca: t.hub.caCert,
      clientId,
      username: `localhost/${clientId}/?api-version=2021-04-12`,
      password: createSasToken(`localhost/devices/${clientId}`, keyOf(clientId), future()),
      protocolVersion: 4 as const,
      clean: false,
      reconnectPeriod: 0,
    });
    // a device that receives but never sends PUBACK
    const silent = await mqtt.connectAsync(`mqtts://localhost:${t.hub.mqttsPort}`, opts('c2dev'));
    open.push(silent);
    // MQTT.js sends the PUBACK once handleMessage calls back; this one never does
    (silent as unknown as { handleMessage: (packet: unknown, done: () => void) => void }).handleMessage = () => {};
    const seen = new Promise<string>((resolve) => silent.on('packetreceive', (p) => p.cmd === 'publish' && resolve(p.topic)));
    await silent.subscribeAsync('devices/c2dev/messages/devicebound/#', { qos: 1 });
    t.hub.sendC2d('c2dev', { body: 'at least once', messageId: 'c2d-unacked' });
    expect(await seen).toContain('devices/c2dev/messages/devicebound/');
    expect(t.hub.store.c2d.pending('c2dev')).toHaveLength(1);
    await silent.endAsync(true);
    // the next connection (same persistent session) gets it again and acknowledges it
    const good = mqtt.connect(`mqtts://localhost:${t.hub.mqttsPort}`, opts('c2dev'));
    open.push(good);
    const body = await new Promise<string>((resolve) => good.on('message', (_t, p) => resolve(p.toString())));
    expect(body).toBe('at least once');
    await waitFor(() => t.hub.store.c2d.pending('c2dev').length === 0, 5000, 'C2D completed by PUBACK');
    expect(t.hub.store.c2d.pending('c2dev')).toEqual([]);
    await good.endAsync();
  });

  it('closes the connection of an identity deleted while connected, and delivers C2D queued in the store at once', async () => {
    // What the service API does (DELETE /devices/{id}, POST …/messages/devicebound) goes through the hub's store.
    t.createDevice('ext1');
    t.createDevice('ext2');
    const c1 = await connect('ext1');
    const gone = closed(c1);
    const c2 = await connect('ext2');
    const got = new Promise<string>((resolve) => c2.on('message', (_t, p) => resolve(p.toString())));
    await c2.subscribeAsync('devices/ext2/messages/devicebound/#', { qos: 1 });
    t.hub.store.identities.delete({ deviceId: 'ext1' });
    t.hub.store.c2d.enqueue('ext2', { body: 'from the service API' });
    await gone;
    expect(await got).toBe('from the service API');
    await c2.endAsync();
  });

  it('closes an authenticated connection that sends garbage or invalid packets, and serves others', async () => {
    const garbage: Array<[string, Buffer]> = [
      ['random bytes', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256))],
      ['a PUBLISH with a wildcard topic', Buffer.concat([Buffer.from([0x30, 0x05, 0x00, 0x03]), Buffer.from('a/#')])],
      ['a SUBSCRIBE with an invalid filter', Buffer.concat([Buffer.from([0x82, 0x0a, 0x00, 0x01, 0x00, 0x05]), Buffer.from('a/#/b'), Buffer.from([0x01])])],
      ['a second CONNECT', Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00])],
      ['a PUBLISH whose topic is not UTF-8', Buffer.from([0x30, 0x04, 0x00, 0x02, 0xc3, 0x28])],
    ];
    for (const [, bytes] of garbage) {
      const c = await connect('dev1');
      const gone = closed(c);
      (c.stream as unknown as { write(b: Buffer): void }).write(bytes);
      await gone;
    }
    await assertServes();
  });

  it('closes a connection whose SAS token expires', async () => {
    const soon = createSasToken(`localhost/devices/dev1`, keyOf('dev1'), Math.floor(Date.now() / 1000) + 2);
    const c = await connect('dev1', { password: soon });
    await waitFor(() => !c.connected, 4000, 'connection closed at token expiry');
  });
});
