/**
 * An HTTP CONNECT proxy on an ephemeral 127.0.0.1 port for SDKs that always dial a fixed port
 * (the Python and Java device SDKs dial 8883 whatever `HostName` says; docs/hub.md "Which SDK
 * works how"). Both SDKs support an HTTP proxy for MQTT (Python `ProxyOptions`, Java
 * `ProxySettings`), so a test can keep its hub on a free port: the proxy maps the port the SDK
 * asks for to the test's real port on 127.0.0.1. TLS and MQTT still run end to end between the SDK
 * and the hub; the proxy only copies bytes. Tunnels to ports outside the map get `403`.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface ConnectProxy {
  port: number;
  /** `host:port` of every CONNECT request, in order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

export async function startConnectProxy(portMap: Readonly<Record<number, number>>): Promise<ConnectProxy> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = req.url ?? '';
    requests.push(target);
    const wanted = Number(/:(\d+)$/.exec(target)?.[1]);
    const port = portMap[wanted];
    if (port === undefined) {
      client.end(`HTTP/1.1 403 Forbidden\r\n\r\n`);
      return;
    }
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('connect proxy: no port');
  return {
    port: address.port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
