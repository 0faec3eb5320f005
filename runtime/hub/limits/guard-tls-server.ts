import type { Socket } from 'node:net';
import type tls from 'node:tls';
import type { Logger } from '../../log/create-logger.js';

/** The limits `guardTlsServer` applies to one TLS listener. */
export interface TlsServerLimits {
  /** A TLS handshake not finished within this many ms is destroyed (IoT Hub-like default: 10 s). */
  handshakeTimeoutMs: number;
  /** Most connections the server holds at once, handshaking and idle ones included. */
  maxConnections: number;
  /**
   * Connections kept for trusted peers (those `trust` was called for): untrusted ones may hold
   * at most `maxConnections - reservedConnections` (default 0).
   */
  reservedConnections?: number;
}

/** What a guarded server tells its protocol. */
export interface TlsServerGuard {
  /** The peer on `socket` (the TLS socket or its TCP socket) authenticated: it is never evicted for a newcomer. */
  trust(socket: Socket): void;
  /** Connections held now (trusted, untrusted). */
  counts(): { trusted: number; untrusted: number };
}

interface Held {
  socket: Socket;
  trusted: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * TLS handshakes started per event-loop turn. A server handshake's key exchange and signature
 * run synchronously when the ClientHello is read (about 1–2 ms of CPU each here): a burst of
 * connections (a fleet reconnecting) is started a few per turn, and between turns the loop serves
 * the connected clients' traffic — as the MQTT head authenticates CONNECTs a few per turn.
 */
const HANDSHAKES_PER_TURN = 4;

const keyOf = (s: Socket) => `${s.remoteAddress ?? ''}|${s.remotePort ?? ''}`;

/**
 * Guards any `tls.Server` (the MQTT listener, the HTTPS service API, an AMQP listener) against
 * peers that hold connections without using them:
 * - a TLS handshake that does not finish within `handshakeTimeoutMs` is destroyed (Node's own
 *   handshake timeout only emits `tlsClientError` and leaves the socket open; every
 *   `tlsClientError` now destroys its socket);
 * - at most `maxConnections` are held. A newcomer beyond the cap, or beyond the untrusted share,
 *   evicts the oldest untrusted connection — so idle or half-open sockets can never lock out a
 *   peer that authenticates; when every held connection is trusted, the newcomer is refused
 *   (its TCP connection is closed at accept).
 * - TLS handshakes start at most `HANDSHAKES_PER_TURN` per event-loop turn;
 * - a connection gets its TLS state (Node's `TLSSocket`, OpenSSL's `SSL` and buffers, ~10 KB
 *   of C heap each) only once its first byte arrives: a peer that connects and never speaks
 *   (slowloris, idle sockets) costs the hub a TCP socket and a timer, and the C allocator —
 *   which keeps freed memory resident — never holds thousands of unused TLS states
 *   (docs/hub.md "Limits").
 * Do not set `server.maxConnections` as well: Node would drop newcomers before this sees them.
 */
export function guardTlsServer(server: tls.Server, limits: TlsServerLimits, logger: Logger): TlsServerGuard {
  const held = new Map<string, Held>();
  const wrapTls = takeTlsWrap(server, logger);
  const waiting: Socket[] = [];
  const startSome = () => {
    for (let i = 0; i < HANDSHAKES_PER_TURN && waiting.length > 0; i++) wrapTls!(waiting.shift()!);
    if (waiting.length > 0) setImmediate(startSome);
  };
  let trustedCount = 0;
  const untrustedCap = Math.max(1, limits.maxConnections - (limits.reservedConnections ?? 0));

  const evictOldestUntrusted = (): boolean => {
    for (const h of held.values()) {
      if (h.trusted) continue;
      logger.debug({ peer: keyOf(h.socket) }, 'connection cap reached; closing the oldest unauthenticated connection');
      h.socket.destroy();
      return true;
    }
    return false;
  };

  server.on('connection', (socket: Socket) => {
    socket.on('error', () => {});
    if (held.size >= limits.maxConnections && !evictOldestUntrusted()) {
      logger.info({ maxConnections: limits.maxConnections }, 'connection cap reached by authenticated connections; refusing a new one');
      socket.destroy();
      return;
    }
    if (held.size - trustedCount >= untrustedCap) evictOldestUntrusted();
    const key = keyOf(socket);
    const entry: Held = { socket, trusted: false, timer: undefined };
    if (limits.handshakeTimeoutMs > 0) {
      entry.timer = setTimeout(() => {
        logger.debug({ peer: key }, 'TLS handshake not finished in time; closing the connection');
        socket.destroy();
      }, limits.handshakeTimeoutMs);
      entry.timer.unref();
    }
    held.set(key, entry);
    socket.once('close', () => {
      if (entry.timer) clearTimeout(entry.timer);
      if (held.get(key) !== entry) return;
      held.delete(key);
      if (entry.trusted) trustedCount--;
    });
    if (wrapTls) {
      // The first bytes (a ClientHello) go back into the socket; Node's TLS socket reads what
      // its TCP socket already buffered when it starts.
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        if (waiting.push(socket) === 1) setImmediate(startSome);
      });
    }
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    const entry = held.get(keyOf(socket));
    if (entry?.timer) clearTimeout(entry.timer);
    if (entry) entry.timer = undefined;
  });
  server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
    logger.debug({ err: error.message }, 'TLS handshake failed; closing the connection');
    socket.destroy();
  });

  return {
    trust(socket) {
      const entry = held.get(keyOf(socket));
      if (!entry || entry.trusted) return;
      entry.trusted = true;
      trustedCount++;
    },
    counts: () => ({ trusted: trustedCount, untrusted: held.size - trustedCount }),
  };
}

/**
 * Takes Node's own `connection` listener of a TLS server (`tlsConnectionListener`, added by
 * `tls.Server`'s constructor: it wraps the TCP socket in a `TLSSocket`) so the guard can call it
 * once the peer sends its first byte. Undefined (and the server left as it is) when the server
 * does not have exactly that listener.
 */
function takeTlsWrap(server: tls.Server, logger: Logger): ((socket: Socket) => void) | undefined {
  const listeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  const wrap = listeners.find((l) => l.name === 'tlsConnectionListener');
  if (!wrap || listeners.length !== 1) {
    logger.debug({ listeners: listeners.length }, 'TLS server without Node\'s own connection listener only; TLS state is set up at accept');
    return undefined;
  }
  server.removeListener('connection', wrap);
  return (socket) => {
    if (!socket.destroyed) wrap.call(server, socket);
  };
}
