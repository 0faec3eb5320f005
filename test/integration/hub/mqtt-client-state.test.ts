/**
 * What aedes keeps per connection under the hub (runtime/hub/mqtt/broker.ts): the hub holds each
 * client's filters itself and writes every delivery itself, so aedes keeps no subscription
 * state — nothing in its persistence, nothing in its topic trie, nothing in
 * `client.subscriptions` — and a persistent session's filters come back from the hub's
 * `storedFilters` (CONNACK session present, MQTT 3.1.1 §3.2.2.2). The broker runs on a plain
 * TCP server on 127.0.0.1 with recording hooks; the client is hand-encoded MQTT 3.1.1.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'aedes';
import { createBroker, type Broker, type BrokerHooks } from '../../../runtime/hub/mqtt/broker.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { packet } from '../../helpers/raw-mqtt.js';
import { waitFor } from '../../helpers/hub.js';

const utf8 = (s: string): Buffer => Buffer.concat([Buffer.from([Buffer.byteLength(s) >> 8, Buffer.byteLength(s) & 0xff]), Buffer.from(s)]);
/** CONNECT (§3.1) without user name or password, clean session `clean`. */
const connect = (clientId: string, clean: boolean) => packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, clean ? 0x02 : 0x00, 0, 60]), utf8(clientId)]));
/** SUBSCRIBE (§3.8) of `filters` at QoS 1 with packet id 1. */
const subscribe = (filters: string[]) => packet(0x82, Buffer.concat([Buffer.from([0, 1]), ...filters.map((f) => Buffer.concat([utf8(f), Buffer.from([1])]))]));

const granted: string[] = [];
const disconnected: string[] = [];
const stored = new Map<string, string[]>();
const clients: Client[] = [];
const hooks: BrokerHooks = {
  authenticate: () => ({ ok: true }),
  clientReady: () => {},
  clientDisconnected: (client) => void disconnected.push(client.id),
  authorizeSubscribe: () => true,
  storedFilters: (clientId) => stored.get(clientId) ?? [],
  subscriptionGranted: (client, filter) => void granted.push(`${client.id} ${filter}`),
  subscribed: () => {},
  unsubscribed: () => {},
  mayReceive: () => true,
  publish: (_client, _packet, done) => done(),
  puback: () => {},
};

let broker: Broker;
let server: net.Server;
let port: number;
beforeAll(async () => {
  broker = await createBroker(hooks, silentLogger());
  server = net.createServer((socket) => void clients.push(broker.handle(socket)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await broker?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** A raw connection: every byte the broker sent, and whether the socket closed. */
async function open(clientId: string, clean: boolean): Promise<{ socket: net.Socket; received: () => Buffer }> {
  const socket = net.connect(port, '127.0.0.1');
  let received = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(connect(clientId, clean));
  await waitFor(() => received.length >= 4, 5000, `${clientId}'s CONNACK`);
  return { socket, received: () => received };
}
const clientOf = (id: string): Client => clients.find((c) => c.id === id)!;

describe('aedes under the hub', () => {
  it('keeps no subscription state of its own for a client that subscribes; the hub’s hooks get the filters', async () => {
    const { socket, received } = await open('sub1', false);
    socket.write(subscribe(['sub1/a/#', '$iothub/twin/res/#']));
    await waitFor(() => received().length >= 4 + 6, 5000, 'SUBACK');
    expect([...received().subarray(4, 10)]).toEqual([0x90, 4, 0, 1, 1, 1]);
    expect(granted).toEqual(expect.arrayContaining(['sub1 sub1/a/#', 'sub1 $iothub/twin/res/#']));

    const client = clientOf('sub1') as Client & { subscriptions: Record<string, unknown>; broker: unknown };
    const aedes = client.broker as unknown as { persistence: { subscriptionsByTopic(topic: string): Promise<unknown[]> }; publish(packet: object, done: () => void): void };
    expect(Object.keys(client.subscriptions)).toEqual([]);
    expect(await aedes.persistence.subscriptionsByTopic('sub1/a/b')).toEqual([]);
    // aedes' own fan-out finds no subscriber: nothing reaches the client but what the hub writes itself.
    await new Promise<void>((resolve) => aedes.publish({ cmd: 'publish', topic: 'sub1/a/b', payload: Buffer.from('x'), qos: 0, retain: false }, resolve));
    broker.sendQos0(client, 'sub1/a/hub', Buffer.from('y'));
    await waitFor(() => received().includes(Buffer.from('sub1/a/hub')), 5000, 'the hub’s own delivery');
    expect(received().includes(Buffer.from('sub1/a/b'))).toBe(false);
    socket.destroy();
  });

  it('restores a persistent session’s filters from storedFilters and answers session present (§3.2.2.2)', async () => {
    stored.set('back1', ['back1/x/#']);
    const { socket, received } = await open('back1', false);
    expect([...received().subarray(0, 4)]).toEqual([0x20, 2, 1, 0]);
    expect(granted).toContain('back1 back1/x/#');
    const clean = await open('fresh1', true);
    expect([...clean.received().subarray(0, 4)]).toEqual([0x20, 2, 0, 0]);
    socket.destroy();
    clean.socket.destroy();
  });

  it('keeps neither the CONNECT nor its password for the rest of the connection', async () => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    await new Promise((resolve) => socket.once('connect', resolve));
    // CONNECT with user name and password (flags 0xc0), persistent session
    socket.write(packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, 0xc0, 0, 60]), utf8('pw1'), utf8('hub/pw1/?api-version=2021-04-12'), utf8('SharedAccessSignature sr=secret')])));
    await waitFor(() => received.length >= 4, 5000, 'CONNACK');
    const parser = (clientOf('pw1') as unknown as { _parser: { settings: Record<string, unknown> } })._parser;
    expect(parser.settings).toEqual({ protocolVersion: 4, bridgeMode: false });
    socket.destroy();
  });

  it('closes the client when its socket closes, with or without a DISCONNECT', async () => {
    const { socket } = await open('gone1', false);
    socket.destroy();
    await waitFor(() => disconnected.includes('gone1'), 5000, 'gone1 disconnected');
    expect(clientOf('gone1').closed).toBe(true);
  });
});
