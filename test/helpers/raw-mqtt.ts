/**
 * MQTT without the Azure SDK, for tests that probe the protocol itself: `rawConnect` is an MQTT.js
 * connection in IoT Hub's username form (raw topics, hand-made SAS tokens); the hand-encoded MQTT
 * 3.1.1 packets (§3.1 CONNECT, §3.3 PUBLISH) below are for clients that misbehave on purpose — a
 * well-behaved SDK never stops reading its socket, so stalled readers and slowloris peers are
 * written with these and a raw TLS socket.
 */
import tls from 'node:tls';
import mqtt, { type MqttClient } from 'mqtt';
import { createSasToken } from '../../runtime/hub/index.js';

export interface RawConnectOptions {
  /** The SAS token. */
  password: string;
  /** Default `localhost:<port>/<clientId>/?api-version=2021-04-12`. */
  username?: string;
  /** Default false (a persistent session, as the SDKs ask for). */
  clean?: boolean;
}

/** Connects `clientId`; resolves on CONNACK 0, rejects with MQTT.js's error (its `code` is the CONNACK code). `track` collects the client for cleanup. */
export function rawConnect(hub: { mqttsPort: number; caCert: string }, clientId: string, o: RawConnectOptions, track?: MqttClient[]): Promise<MqttClient> {
  const client = mqtt.connect(`mqtts://localhost:${hub.mqttsPort}`, {
    ca: hub.caCert,
    clientId,
    username: o.username ?? `localhost:${hub.mqttsPort}/${clientId}/?api-version=2021-04-12`,
    password: o.password,
    protocolVersion: 4,
    clean: o.clean ?? false,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  track?.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (e) => reject(e));
  });
}

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

function utf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** An MQTT packet: fixed-header byte `header`, the remaining length (§2.2.3), `body`. */
export function packet(header: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([header]), remainingLength(body.length), body]);
}

/** CONNECT with clean session, user name and password, keep-alive `keepAliveSecs`. */
export function connectPacket(clientId: string, username: string, password: string, keepAliveSecs = 60): Buffer {
  const keepAlive = Buffer.alloc(2);
  keepAlive.writeUInt16BE(keepAliveSecs);
  const variable = Buffer.concat([utf8('MQTT'), Buffer.from([4, 0xc2]), keepAlive]);
  return packet(0x10, Buffer.concat([variable, utf8(clientId), utf8(username), utf8(password)]));
}

/** PUBLISH at QoS 0. */
export function publishQos0(topic: string, payload: Buffer | string = ''): Buffer {
  return packet(0x30, Buffer.concat([utf8(topic), Buffer.from(payload)]));
}

/** Connects `deviceId` over TLS with a SAS token and resolves after the CONNACK (byte 3 = return code). */
export function rawDeviceConnect(o: { port: number; ca: string; deviceId: string; key: string; keepAliveSecs?: number }): Promise<{ socket: tls.TLSSocket; returnCode: number }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: o.port, servername: 'localhost', ca: o.ca });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const resource = `localhost:${o.port}/devices/${o.deviceId}`;
      const token = createSasToken(resource, o.key, Math.floor(Date.now() / 1000) + 3600);
      socket.write(connectPacket(o.deviceId, `localhost:${o.port}/${o.deviceId}/?api-version=2021-04-12`, token, o.keepAliveSecs));
    });
    socket.once('data', (d: Buffer) => {
      socket.off('error', reject);
      resolve({ socket, returnCode: d[3] ?? -1 });
    });
  });
}
