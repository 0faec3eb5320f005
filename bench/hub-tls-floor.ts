/**
 * The memory floor of any broker written on Node's TLS (bench/hub.bench.ts, "RSS per idle TLS
 * connection"): a Node TLS server with the benchmark's EC P-256 certificate that answers just
 * enough MQTT 3.1.1 for the load generator's idle clients — a CONNACK to a CONNECT (§3.2), a
 * SUBACK granting QoS 1 to a SUBSCRIBE (§3.9) — and keeps every socket. What it costs per idle
 * connection is Node's TLS socket alone, with no broker state.
 * It holds V8's young generation at its initial size (`--semi-space-growth-factor=1`), as the
 * hub does while its connections are idle (runtime/server/young-generation.ts), so the floor and
 * the hub differ only by the broker.
 * `node bin/run-ts.js bench/hub-tls-floor.ts CERT KEY` prints `{"port": N}` once listening.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import v8 from 'node:v8';

v8.setFlagsFromString('--semi-space-growth-factor=1');

const [cert, key] = process.argv.slice(2);
const sockets = new Set<tls.TLSSocket>();
const server = tls.createServer({ cert: readFileSync(cert!), key: readFileSync(key!) }, (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
  socket.on('data', (d: Buffer) => {
    // The idle clients send one packet per read (CONNECT, then after the CONNACK one SUBSCRIBE).
    if (d[0] === 0x10) socket.write(Buffer.from([0x20, 2, 0, 0]));
    else if (d[0] === 0x82) {
      let i = 1;
      while (d[i]! & 0x80) i++;
      socket.write(Buffer.from([0x90, 5, d[i + 1]!, d[i + 2]!, 1, 1, 1]));
    }
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
