/**
 * Hand-encoded MQTT 3.1.1 packets (§3.1 CONNECT, §3.3 PUBLISH) for clients that misbehave on
 * purpose — a well-behaved SDK never stops reading its socket, so stalled readers and
 * slowloris peers are written with these and a raw TLS socket.
 */
import tls from 'node:tls';
import { createSasToken } from '../../runtime/hub/index.js';

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

function packet(header: number, body: Buffer): Buffer {
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
