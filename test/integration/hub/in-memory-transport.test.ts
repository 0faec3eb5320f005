import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient } from 'mqtt';
import { createHub, createSasToken, openHubStore, type HubCore, type HubStore } from '../../../runtime/hub/index.js';
import { waitFor } from '../../helpers/hub.js';

/**
 * The hub driven over in-memory streams, no TLS and no port: `createHub(...).accept(stream)`
 * with MQTT.js on the other end speaks the same IoT Hub MQTT dialect as over TLS.
 */

/** Two connected in-memory duplex streams (what one writes, the other reads). */
function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const make = (other: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _encoding, done) {
        other().push(chunk);
        done();
      },
      final(done) {
        other().push(null);
        done();
      },
      destroy(error, done) {
        other().destroy(); // a closed connection closes both ends, as a socket does
        done(error);
      },
    });
  sides.push(make(() => sides[1]!), make(() => sides[0]!));
  return [sides[0]!, sides[1]!];
}

let dir: string;
let store: HubStore;
let hub: HubCore;
const clients: MqttClient[] = [];

function connect(deviceId: string): Promise<MqttClient> {
  const key = store.identities.get({ deviceId })!.primaryKey;
  const [ours, theirs] = duplexPair();
  hub.accept(theirs);
  const client = new MqttClient(() => ours, {
    clientId: deviceId,
    username: `localhost/${deviceId}/?api-version=2021-04-12`,
    password: createSasToken(`localhost/devices/${deviceId}`, key, Math.floor(Date.now() / 1000) + 3600),
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 0,
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgemu-duplex-'));
  store = openHubStore({ stateDir: dir });
  store.identities.createDevice('d1');
  hub = await createHub({ store });
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.endAsync(true)));
  await hub?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the hub over an in-memory duplex stream', () => {
  it('authenticates, answers a twin GET, stores QoS 1 telemetry before its PUBACK, and delivers C2D', async () => {
    const client = await connect('d1');
    await waitFor(() => hub.isConnected({ deviceId: 'd1' }), 5000, 'the session is live');

    const got: Array<{ topic: string; payload: string }> = [];
    client.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
    await client.subscribeAsync(['$iothub/twin/res/#', 'devices/d1/messages/devicebound/#'], { qos: 1 });
    await client.publishAsync('$iothub/twin/GET/?$rid=7', '');
    await waitFor(() => got.some((g) => g.topic.startsWith('$iothub/twin/res/200/?$rid=7')), 5000, 'twin response');
    expect(JSON.parse(got.find((g) => g.topic.includes('$rid=7'))!.payload)).toMatchObject({ desired: { $version: 1 }, reported: { $version: 1 } });

    await client.publishAsync('devices/d1/messages/events/%24.mid=m1&k=v', '{"t":1}', { qos: 1 });
    expect(hub.messages.read({ deviceId: 'd1' })).toMatchObject([{ body: Buffer.from('{"t":1}'), systemProperties: { mid: 'm1' }, properties: { k: 'v' } }]);

    hub.sendC2d('d1', { body: Buffer.from('hello'), properties: { a: '1' } });
    await waitFor(() => got.some((g) => g.topic.startsWith('devices/d1/messages/devicebound/')), 5000, 'C2D delivery');
    const c2d = got.find((g) => g.topic.startsWith('devices/d1/messages/devicebound/'))!;
    expect(c2d.payload).toBe('hello');
    expect(c2d.topic).toMatch(/[/&]a=1$/);
    await waitFor(() => store.c2d.pending('d1').length === 0, 5000, 'C2D completed after the PUBACK');
  });

  it('refuses a CONNECT with a wrong key (CONNACK 5) and a topic of another device (connection closed)', async () => {
    store.identities.createDevice('d2');
    const [ours, theirs] = duplexPair();
    hub.accept(theirs);
    const bad = new MqttClient(() => ours, {
      clientId: 'd2',
      username: 'localhost/d2/?api-version=2021-04-12',
      password: createSasToken('localhost/devices/d2', Buffer.from('wrong key').toString('base64'), Math.floor(Date.now() / 1000) + 3600),
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(bad);
    const refused = await new Promise<{ code?: number }>((resolve) => bad.once('error', (e) => resolve(e as { code?: number })));
    expect(refused.code).toBe(5);

    const client = await connect('d2');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('devices/d1/messages/events/', 'spoofed', { qos: 1 });
    await closed;
    expect(hub.messages.read({ deviceId: 'd1' }).map((m) => m.body.toString())).not.toContain('spoofed');
  });

  it('tells identity listeners of identities created and deleted through its store', async () => {
    let changes = 0;
    const off = hub.onIdentitiesChanged(() => void (changes += 1));
    try {
      store.identities.createDevice('here-1', { edge: true });
      expect(changes).toBe(1);
      store.identities.delete({ deviceId: 'here-1' });
      expect(changes).toBe(2);
    } finally {
      off();
    }
  });
});
