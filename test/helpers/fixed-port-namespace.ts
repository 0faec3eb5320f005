/**
 * Runs a program that always dials a fixed port (the Java device SDK dials 8883 whatever the
 * connection string says and refuses a proxy for plain MQTT; docs/hub.md "Which SDK works how")
 * in a network namespace of its own (`unshare --net`, as root or with a user namespace), where
 * 127.0.0.1:<fixed port> is free: sdk-programs/port-bridge.mjs listens there and copies each
 * connection through a Unix socket to the test's real port on 127.0.0.1. The program's bytes
 * (TLS, MQTT) reach the hub unchanged; nothing listens on the host's fixed port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BRIDGE = fileURLToPath(new URL('./sdk-programs/port-bridge.mjs', import.meta.url));

export interface FixedPortNamespace {
  /** The command and arguments that run `command args` in the namespace. */
  command: string;
  args: string[];
  close(): Promise<void>;
}

export async function fixedPortNamespace(fixedPort: number, targetPort: number, command: string, args: readonly string[]): Promise<FixedPortNamespace> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-netns-'));
  const socketPath = path.join(dir, 'bridge.sock');
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  const asRoot = process.getuid?.() === 0;
  return {
    command: 'unshare',
    args: [...(asRoot ? [] : ['--user', '--map-root-user']), '--net', '--', process.execPath, BRIDGE, socketPath, String(fixedPort), '--', command, ...args],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
