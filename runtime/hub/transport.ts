import type { Server as NetServer, Socket } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log/create-logger.js';
import { HubError } from './errors.js';
import type { TlsMaterial } from './tls-material.js';
import { guardTlsServer, type TlsServerGuard, type TlsServerLimits } from './limits/guard-tls-server.js';

/**
 * Connections handed to a hub by the servers it serves, so `close` can end them. A TLS server
 * is guarded (`guardTlsServer`): handshake timeout and connection cap, with connections whose
 * client authenticated (`trust`) never evicted for a newcomer.
 */
export class Transport {
  private readonly servers = new Set<NetServer>();
  private readonly sockets = new Set<Socket>();
  private readonly guards = new Map<Duplex, TlsServerGuard>();

  constructor(
    private readonly accept: (stream: Duplex) => void,
    private readonly logger: Logger,
    private readonly limits: TlsServerLimits,
  ) {}

  /** The client on `stream` authenticated (MQTT: its CONNECT was accepted). */
  trust(stream: Duplex): void {
    const guard = this.guards.get(stream);
    if (guard) guard.trust(stream as Socket);
  }

  /** Every connection `server` accepts goes to the hub (a TLS server's after its handshake). */
  serve(server: NetServer): void {
    this.servers.add(server);
    const guard = server instanceof tls.Server ? guardTlsServer(server, this.limits, this.logger) : undefined;
    const take = (socket: Socket) => {
      this.sockets.add(socket);
      if (guard) this.guards.set(socket, guard);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.guards.delete(socket);
      });
      socket.on('error', () => {});
      this.accept(socket);
    };
    if (server instanceof tls.Server) {
      server.on('secureConnection', take);
    } else {
      server.on('connection', take);
    }
  }

  /** Stops the served servers and ends their connections. */
  async close(): Promise<void> {
    const closed = [...this.servers].map(
      (server) =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
        }),
    );
    for (const s of this.sockets) s.destroy();
    await Promise.all(closed);
  }
}

/** An MQTT-over-TLS server with the hub's certificate (TLS 1.2 and later, as IoT Hub requires). */
export function createTlsListener(material: TlsMaterial): tls.Server {
  return tls.createServer({ key: material.serverKey, cert: material.serverCert, minVersion: 'TLSv1.2' });
}

/**
 * Listens with one server per address, all on the same port (port 0: the port the first one
 * got). Resolves with the port; on failure closes what already listens and throws HUB_LISTEN
 * naming the fix.
 */
export async function listenAll(create: () => NetServer, port: number, hosts: readonly string[]): Promise<{ port: number; servers: NetServer[] }> {
  const servers: NetServer[] = [];
  let actual = port;
  try {
    for (const host of hosts) {
      const server = create();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(actual, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      if (typeof address === 'object' && address) actual = address.port;
    }
  } catch (e) {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
    const error = e as NodeJS.ErrnoException;
    const hint = error.code === 'EADDRINUSE' ? ' (the port is in use; choose another with --mqtts-port, 0 = any free port)' : '';
    throw new HubError('HUB_LISTEN', `cannot listen on MQTT port ${port}: ${error.code ?? error.message}${hint}`, { cause: error });
  }
  return { port: actual, servers };
}
