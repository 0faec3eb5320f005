/**
 * The hub reads QoS 1 PUBLISHes itself (runtime/hub/mqtt/broker.ts `readPublishes`) and hands
 * every other packet to mqtt-packet/aedes. These tests write hand-encoded MQTT 3.1.1 bytes on a
 * raw TLS socket, split and packed in ways a TCP stream may deliver them, and check what a
 * client sees: one PUBACK per PUBLISH in the order sent (MQTT 3.1.1 §4.6), each message stored
 * once with its topic's properties, other packets answered in between, and malformed or refused
 * PUBLISHes closing the connection without an acknowledgement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tls from 'node:tls';
import { connectPacket, packet, rawDeviceConnect } from '../../helpers/raw-mqtt.js';
import { createSasToken } from '../../../runtime/hub/index.js';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { countCallsPerRun } from '../../helpers/calls-per-run.js';
import { PACKETS_PER_TURN } from '../../../runtime/hub/mqtt/broker.js';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
  t.createDevice('reader1');
});
afterAll(async () => {
  await t?.close();
});

/** A PUBLISH with header byte `header` (0x32 = QoS 1; | 0x08 DUP, | 0x01 RETAIN) and packet id `id`. */
function publish(topic: string, id: number, payload: string, header = 0x32): Buffer {
  const t = Buffer.from(topic, 'utf8');
  return packet(header, Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from([id >> 8, id & 0xff]), Buffer.from(payload)]));
}
const PINGREQ = Buffer.from([0xc0, 0x00]);

/** Collects the packets the hub sends: `[type, packet id or -1]`, and whether the socket closed. */
function reader(socket: tls.TLSSocket): { packets: Array<[number, number]>; closed: () => boolean } {
  const packets: Array<[number, number]> = [];
  let pending = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 2 && pending.length >= 2 + pending[1]!) {
      const type = pending[0]! >> 4;
      packets.push([type, pending[1]! >= 2 ? pending.readUInt16BE(2) : -1]);
      pending = pending.subarray(2 + pending[1]!);
    }
  });
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  return { packets, closed: () => closed };
}

async function connected(deviceId: string): Promise<tls.TLSSocket> {
  const { socket, returnCode } = await rawDeviceConnect({ port: t.hub.mqttsPort, ca: t.hub.caCert, deviceId, key: t.hub.store.identities.get({ deviceId })!.primaryKey });
  expect(returnCode).toBe(0);
  socket.setNoDelay(true);
  return socket;
}

const stored = (deviceId: string) => t.hub.messages.read({ deviceId }, 100_000);
const topicOf = (deviceId: string, bag = '') => `devices/${deviceId}/messages/events/${bag}`;

describe('the hub’s own reader of QoS 1 PUBLISHes', () => {
  it('acknowledges PUBLISHes packed many per write and split at every byte, in order, storing each once', async () => {
    const socket = await connected('reader1');
    const got = reader(socket);
    const before = stored('reader1').length;
    const bytes = Buffer.concat([publish(topicOf('reader1', 'n=1'), 1, 'one'), publish(topicOf('reader1', 'n=2'), 2, 'two'), publish(topicOf('reader1', 'n=3'), 3, 'three')]);
    let id = 0;
    for (let split = 1; split < bytes.length; split++) {
      // the same three messages with fresh packet ids, the write cut at `split`
      const batch = Buffer.concat([publish(topicOf('reader1', 'n=1'), ++id, 'one'), publish(topicOf('reader1', 'n=2'), ++id, 'two'), publish(topicOf('reader1', 'n=3'), ++id, 'three')]);
      socket.write(batch.subarray(0, split));
      await new Promise((r) => setTimeout(r, 2));
      socket.write(batch.subarray(split));
      await waitFor(() => got.packets.length === id, 5000, `PUBACKs up to ${id}`);
    }
    expect(got.packets).toEqual(Array.from({ length: id }, (_, i) => [4, i + 1]));
    const messages = stored('reader1').slice(before);
    expect(messages).toHaveLength(id);
    expect(messages.map((m) => `${m.properties.n}:${m.body.toString()}`)).toEqual(Array.from({ length: id / 3 }, () => ['1:one', '2:two', '3:three']).flat());
    expect(got.closed()).toBe(false);
    socket.destroy();
  });

  it('answers other packets between PUBLISHes, acknowledges the PUBLISHes in order, and keeps DUP and RETAIN publishes', async () => {
    const socket = await connected('reader1');
    const got = reader(socket);
    const before = stored('reader1').length;
    socket.write(Buffer.concat([publish(topicOf('reader1'), 7, 'a'), PINGREQ, publish(topicOf('reader1'), 8, 'b', 0x3a), publish(topicOf('reader1'), 9, 'c', 0x33), PINGREQ]));
    await waitFor(() => got.packets.length === 5, 5000, 'five answers');
    // PINGRESPs need no store write and may overtake; the PUBACKs keep the PUBLISHes' order
    expect(got.packets.filter(([type]) => type === 4)).toEqual([
      [4, 7],
      [4, 8],
      [4, 9],
    ]);
    expect(got.packets.filter(([type]) => type === 13)).toHaveLength(2);
    const messages = stored('reader1').slice(before);
    expect(messages.map((m) => m.body.toString())).toEqual(['a', 'b', 'c']);
    // RETAIN travels as the application property mqtt-retain (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub)
    expect(messages.map((m) => m.properties['mqtt-retain'])).toEqual([undefined, undefined, 'true']);
    socket.destroy();
  });

  it('handles a burst of PUBLISHes sent in one write a few per loop turn, acknowledging each in order', async () => {
    const socket = await connected('reader1');
    const got = reader(socket);
    const persisted = countCallsPerRun(t.hub.store.messages, 'persist');
    try {
      // 1,000 PUBLISHes of ~45 B: about three TLS records, each read whole by the hub.
      socket.write(Buffer.concat(Array.from({ length: 1000 }, (_, i) => publish(topicOf('reader1'), i + 1, `m${i}`))));
      await waitFor(() => got.packets.length === 1000, 8000, '1,000 PUBACKs');
      expect(got.packets).toEqual(Array.from({ length: 1000 }, (_, i) => [4, i + 1]));
      expect(persisted.calls).toBe(1000);
      expect(persisted.most).toBeLessThanOrEqual(PACKETS_PER_TURN);
    } finally {
      persisted.restore();
      socket.destroy();
    }
  });

  it('answers a CONNECT sent in one write with more packets than the hub handles per loop turn', async () => {
    const port = t.hub.mqttsPort;
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: t.hub.caCert });
    const got = reader(socket);
    await new Promise<void>((resolve) => socket.once('secureConnect', resolve));
    const token = createSasToken(`localhost:${port}/devices/reader1`, t.hub.store.identities.get({ deviceId: 'reader1' })!.primaryKey, Math.floor(Date.now() / 1000) + 3600);
    // Fewer than aedes' 42 packets queued before the CONNACK, more than PACKETS_PER_TURN.
    const pings = 40;
    expect(pings).toBeGreaterThan(PACKETS_PER_TURN);
    socket.write(Buffer.concat([connectPacket('reader1', `localhost:${port}/reader1/?api-version=2021-04-12`, token), ...Array.from({ length: pings }, () => PINGREQ)]));
    await waitFor(() => got.packets.length === 1 + pings, 5000, 'CONNACK and PINGRESPs');
    expect(got.packets[0]).toEqual([2, 0]); // CONNACK, return code 0 (read where a packet id would be)
    expect(got.packets.slice(1).every(([type]) => type === 13)).toBe(true);
    socket.destroy();
  });

  it('acknowledges a PUBLISH larger than one read (a 200 KB body) once it is complete', async () => {
    const socket = await connected('reader1');
    const got = reader(socket);
    const body = 'x'.repeat(200 * 1024);
    const bytes = publish(topicOf('reader1'), 11, body);
    for (let off = 0; off < bytes.length; off += 7000) socket.write(bytes.subarray(off, off + 7000));
    await waitFor(() => got.packets.length === 1, 5000, 'PUBACK');
    expect(got.packets).toEqual([[4, 11]]);
    expect(stored('reader1').at(-1)!.body.length).toBe(body.length);
    socket.destroy();
  });

  const refused: Array<[string, (good: Buffer) => Buffer]> = [
    ['a wildcard topic', () => publish('devices/reader1/messages/events/#', 21, 'x')],
    ['packet id 0', () => publish(topicOf('reader1'), 0, 'x')],
    ['a topic longer than the packet', (good) => Buffer.concat([Buffer.from([0x32, 0x04, 0x00, 0x30]), good.subarray(0, 2)])],
    ['another device’s topic', () => publish(topicOf('someone-else'), 22, 'x')],
  ];
  for (const [what, bytes] of refused) {
    it(`closes the connection on a QoS 1 PUBLISH with ${what}, acknowledging only what came before`, async () => {
      const socket = await connected('reader1');
      const got = reader(socket);
      const before = stored('reader1').length;
      const good = publish(topicOf('reader1'), 20, 'good');
      socket.write(Buffer.concat([good, bytes(good)]));
      await waitFor(() => got.closed(), 5000, 'connection closed');
      expect(got.packets.filter(([, id]) => id !== 20)).toEqual([]);
      expect(stored('reader1').length - before).toBeLessThanOrEqual(1);
      // the hub serves the next connection
      const again = await connected('reader1');
      const next = reader(again);
      again.write(publish(topicOf('reader1'), 23, 'after'));
      await waitFor(() => next.packets.length === 1, 5000, 'PUBACK after reconnect');
      expect(next.packets).toEqual([[4, 23]]);
      again.destroy();
    });
  }
});
