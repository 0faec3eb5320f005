import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHook } from 'node:async_hooks';
import net from 'node:net';
import tls from 'node:tls';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import mqtt, { type MqttClient } from 'mqtt';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { publishQos0, rawDeviceConnect } from '../../helpers/raw-mqtt.js';
import { countCallsPerRun } from '../../helpers/calls-per-run.js';
import { createSasToken } from '../../../runtime/hub/index.js';
import { PACKETS_PER_TURN } from '../../../runtime/hub/mqtt/broker.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let t: TestHub;
const open: MqttClient[] = [];
const closers: Array<() => Promise<void>> = [];
const WRITE_LIMIT = 256 * 1024;

beforeAll(async () => {
  t = await startTestHub({ limits: { handshakeTimeoutMs: 500, writeBufferBytes: WRITE_LIMIT, twinGetsPerSecond: 1_000_000 } });
  for (const d of ['stalled', 'stalled-mem', 'answers', 'burst']) t.createDevice(d);
  // A ~28 KB twin: every GET answer is that big.
  for (const d of ['stalled', 'stalled-mem']) t.hub.store.twins.patchDesired({ deviceId: d }, Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`blob${i}`, 'x'.repeat(4000)])));
});
afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.endAsync(true)));
  await Promise.allSettled(closers.map((c) => c()));
  await t?.close();
});

const keyOf = (deviceId: string) => t.hub.store.identities.get({ deviceId })!.primaryKey;

function connect(deviceId: string, on: TestHub = t): Promise<MqttClient> {
  on.createDevice(deviceId);
  const port = on.hub.mqttsPort;
  const client = mqtt.connect(`mqtts://localhost:${port}`, {
    ca: on.hub.caCert,
    clientId: deviceId,
    username: `localhost:${port}/${deviceId}/?api-version=2021-04-12`,
    password: createSasToken(`localhost:${port}/devices/${deviceId}`, on.hub.store.identities.get({ deviceId })!.primaryKey, Math.floor(Date.now() / 1000) + 3600),
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
  });
  open.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/** Connects `deviceId` on a raw socket, stops reading it, and sends `n` twin GETs. */
async function stallTwinReader(deviceId: string, n: number) {
  const { socket, returnCode } = await rawDeviceConnect({ port: t.hub.mqttsPort, ca: t.hub.caCert, deviceId, key: keyOf(deviceId) });
  expect(returnCode).toBe(0);
  socket.pause();
  socket.on('error', () => {});
  const gets = Buffer.concat(Array.from({ length: n }, (_, i) => publishQos0(`$iothub/twin/GET/?$rid=${i}`)));
  socket.write(gets);
  return socket;
}

describe('slow and stalled MQTT clients', () => {
  it('closes a TLS handshake that never finishes within the handshake timeout', async () => {
    const started = Date.now();
    const socket = net.connect(t.hub.mqttsPort, '127.0.0.1');
    socket.on('error', () => {});
    const closedAfter = await new Promise<number>((resolve) => {
      socket.once('close', () => resolve(Date.now() - started));
      setTimeout(() => resolve(Number.POSITIVE_INFINITY), 4000).unref();
    });
    socket.destroy();
    expect(closedAfter).toBeLessThan(2500);
  });

  it('sets up no TLS state for a connection until its peer sends a first byte', async () => {
    // Node creates one TLSWRAP resource (its TLS socket with OpenSSL's state) per wrapped connection.
    let tlsStates = 0;
    const hook = createHook({ init: (_id, type) => void (type === 'TLSWRAP' && tlsStates++) }).enable();
    try {
      const silent = Array.from({ length: 20 }, () => net.connect(t.hub.mqttsPort, '127.0.0.1').on('error', () => {}));
      await Promise.all(silent.map((s) => new Promise((resolve) => s.once('connect', resolve))));
      await new Promise((r) => setTimeout(r, 200));
      expect(tlsStates).toBe(0);
      const client = tls.connect({ host: '127.0.0.1', port: t.hub.mqttsPort, ca: t.hub.caCert, servername: 'localhost' });
      await new Promise<void>((resolve, reject) => client.once('secureConnect', resolve).once('error', reject));
      // The client's TLS socket and the hub's one for it.
      expect(tlsStates).toBe(2);
      client.destroy();
      for (const s of silent) s.destroy();
    } finally {
      hook.disable();
    }
  });

  it('completes every handshake of a burst of clients connecting at once', async () => {
    const clients = Array.from({ length: 40 }, () => tls.connect({ host: '127.0.0.1', port: t.hub.mqttsPort, ca: t.hub.caCert, servername: 'localhost' }));
    const done = await Promise.allSettled(clients.map((c) => new Promise<void>((resolve, reject) => c.once('secureConnect', resolve).once('error', reject))));
    for (const c of clients) c.destroy();
    expect(done.filter((d) => d.status === 'fulfilled')).toHaveLength(40);
  });

  it('disconnects a client that never reads its twin answers once they exceed the write limit', async () => {
    await waitFor(() => !t.hub.isConnected({ deviceId: 'stalled' }));
    // CONNACK 0 (checked in stallTwinReader) says the hub took the connection; it may cut it off
    // before a poll could see it connected, so only the cut-off is waited for.
    const socket = await stallTwinReader('stalled', 2000);
    // 2,000 answers of ~28 KB are ~56 MB; the hub must not buffer them for a peer that never reads.
    await waitFor(() => !t.hub.isConnected({ deviceId: 'stalled' }), 8000, 'stalled reader cut off');
    socket.destroy();
  });

  it('handles a burst of twin GETs sent in one write a few per loop turn, and answers every one in order', async () => {
    const gets = countCallsPerRun(t.hub.store.twins, 'getDeviceViewJson');
    try {
      const { socket, returnCode } = await rawDeviceConnect({ port: t.hub.mqttsPort, ca: t.hub.caCert, deviceId: 'burst', key: keyOf('burst') });
      expect(returnCode).toBe(0);
      let answered = '';
      socket.on('data', (d: Buffer) => (answered += d.toString('latin1')));
      // 1,000 GETs are ~35 KB: two full TLS records and part of a third, each read whole by the hub.
      socket.write(Buffer.concat(Array.from({ length: 1000 }, (_, i) => publishQos0(`$iothub/twin/GET/?$rid=${i}`))));
      const rids = () => [...answered.matchAll(/\$iothub\/twin\/res\/200\/\?\$rid=(\d+)/g)].map((m) => Number(m[1]));
      await waitFor(() => rids().length === 1000, 8000, '1,000 twin answers');
      socket.destroy();
      expect(rids()).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(gets.calls).toBe(1000);
      // Not hundreds in one go (one TLS record's worth): at most PACKETS_PER_TURN between two loop turns.
      expect(gets.most).toBeLessThanOrEqual(PACKETS_PER_TURN);
    } finally {
      gets.restore();
    }
  });

  it('gives back the memory a stalled reader held once it is cut off', async () => {
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const socket = await stallTwinReader('stalled-mem', 2000);
    await new Promise((r) => setTimeout(r, 3000));
    gc();
    const held = process.memoryUsage().arrayBuffers - before;
    socket.destroy();
    expect(held).toBeLessThan(16 * 1024 * 1024);
  });

  it('answers twin GETs beyond the per-identity rate with 429 and keeps the connection', async () => {
    const throttled = await startTestHub({ limits: { twinGetsPerSecond: 20 } });
    closers.push(() => throttled.close());
    const client = await connect('eager', throttled);
    const statuses: number[] = [];
    client.on('message', (topic) => statuses.push(Number(/^\$iothub\/twin\/res\/(\d+)\//.exec(topic)?.[1])));
    await client.subscribeAsync('$iothub/twin/res/#');
    for (let i = 0; i < 100; i++) client.publish(`$iothub/twin/GET/?$rid=${i}`, '');
    await waitFor(() => statuses.length === 100, 5000, '100 twin answers');
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(20);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(50);
    expect(client.connected).toBe(true);
  });

  it('matches a method answer to the connection that was asked, not to a later one of the same identity', async () => {
    const first = await connect('answers');
    const asked = new Promise<string>((resolve) => first.on('message', (topic) => resolve(/\$rid=([^&]+)/.exec(topic)![1]!)));
    await first.subscribeAsync('$iothub/methods/POST/#');
    const call = t.hub.invokeMethod({ deviceId: 'answers', methodName: 'm', payload: {}, timeoutMs: 1500 });
    const rid = await asked;
    // A second connection of the same identity replaces the first and answers its request.
    const second = await connect('answers');
    await second.publishAsync(`$iothub/methods/res/200/?$rid=${rid}`, JSON.stringify({ forged: true }));
    const result = await call;
    expect(result.status).toBe(504);
  });
});
