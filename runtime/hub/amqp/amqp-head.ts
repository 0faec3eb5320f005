import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import rhea from 'rhea';
import type { HandlerContext } from '../handlers/handler-context.js';
import { AmqpConnection } from './amqp-connection.js';
import type { EventHubEndpoint } from './event-hub-endpoint.js';
import { createFrameGuard } from './frame-guard.js';
import { limitFramesPerTurn, type RheaInput } from './frames-per-turn.js';
import { batchFrameWrites } from './frame-writer.js';
import { missingRheaInternals, RHEA_VERSION } from './rhea-internals.js';

/** The AMQP head: IoT Hub's AMQP dialect in front of the protocol-neutral handlers. */
export interface AmqpHead {
  /** Speaks AMQP with one client over `stream` (a TLS socket after its handshake). */
  accept(stream: Duplex): void;
  close(): Promise<void>;
}

export interface AmqpHeadOptions {
  /** Host names device tokens may name (as for MQTT). */
  acceptedHosts: readonly string[];
  /** The hub's name (user id of feedback messages). */
  hubName: string;
  /** The service policy keys by policy name. */
  policyKey(name: string): readonly string[] | undefined;
  /** The Event Hubs-compatible endpoint, when served. */
  eventHubs?: EventHubEndpoint | undefined;
  /** A connection with no valid put-token on `$cbs` after this many ms is closed (default 30 s; 0: never). */
  authTimeoutMs?: number;
  /** The client on `stream` put its first valid token (the transport stops counting it as untrusted). */
  authenticated?(stream: Duplex): void;
}

/**
 * SASL `MSSBCBS`, the mechanism uamqp (the Python service SDK's and Event Hubs' AMQP library)
 * insists on: it only says "authentication follows on `$cbs`" (Azure Service Bus AMQP:
 * learn.microsoft.com/azure/service-bus-messaging/service-bus-amqp-protocol-guide "Claims-based
 * authorization"), so the exchange succeeds at once, as ANONYMOUS does.
 */
export const CBS_SASL_MECHANISM = 'MSSBCBS';

function enableCbsMechanism(mechanisms: object): void {
  (mechanisms as Record<string, () => unknown>)[CBS_SASL_MECHANISM] = () => {
    const mechanism = { outcome: undefined as boolean | undefined, start: () => void (mechanism.outcome = true) };
    return mechanism;
  };
}

/** How long a connection may stay without a valid put-token by default (MQTT waits as long for CONNECT). */
export const AMQP_AUTH_TIMEOUT_MS = 30_000;

/** The largest frame the hub accepts and announces in its `open` (AMQP 1.0 §2.7.1 max-frame-size). */
export const AMQP_MAX_FRAME_BYTES = 64 * 1024;

/**
 * IoT Hub's AMQP support (learn.microsoft.com/azure/iot-hub/iot-hub-amqp-support) on rhea:
 * SASL ANONYMOUS (or none) and PLAIN, whose credentials are not used for authorization (the
 * SDKs authenticate with CBS put-token on `$cbs`), per-identity link rules, and each link's
 * messages decoded into the same requests as MQTT for the protocol-neutral handlers.
 */
export function createAmqpHead(ctx: HandlerContext, options: AmqpHeadOptions): AmqpHead {
  const container = rhea.create_container({ id: `edgemu-${options.hubName}` });
  // ANONYMOUS, PLAIN and MSSBCBS are offered; a client that skips SASL is accepted as well.
  // PLAIN credentials only open the connection: every link needs a token put on `$cbs`.
  container.sasl_server_mechanisms.enable_anonymous();
  container.sasl_server_mechanisms.enable_plain(() => true);
  enableCbsMechanism(container.sasl_server_mechanisms);
  const connections = new Set<AmqpConnection>();
  const streams = new Set<Duplex>();
  let warned = false;
  const identities = () => ({ keysOf: (ref: Parameters<typeof ctx.store.identities.get>[0]) => ctx.store.identities.get(ref), acceptedHosts: options.acceptedHosts, nowMs: ctx.clock.now() });
  const policies = () => ({ hostNames: options.acceptedHosts, policyKey: (name: string) => options.policyKey(name), now: ctx.clock.now() });

  return {
    accept(stream) {
      // Small frames (dispositions, flow, responses) leave at once rather than wait for the
      // peer's ACK of the previous segment (Nagle); batchFrameWrites keeps them few.
      (stream as Partial<Pick<Socket, 'setNoDelay'>>).setNoDelay?.(true);
      streams.add(stream);
      stream.on('close', () => streams.delete(stream));
      stream.on('error', () => {});
      // Registered before rhea's own reader: a hostile frame closes the socket before rhea buffers it.
      const guard = createFrameGuard(AMQP_MAX_FRAME_BYTES);
      stream.on('data', (chunk: Buffer) => {
        const reason = guard(chunk);
        if (reason) {
          ctx.logger.info({ reason }, 'AMQP peer sent a malformed or oversized frame; closing');
          stream.destroy();
        }
      });
      const connection = container.create_connection({
        container_id: `edgemu-${options.hubName}`,
        max_frame_size: AMQP_MAX_FRAME_BYTES,
        channel_max: 15,
        idle_time_out: 240_000,
        autoaccept: false,
        // Credit is the hub's own: granted back as deliveries are settled (incoming-credit.ts).
        credit_window: 0,
      } as unknown as Parameters<typeof container.create_connection>[0]);
      if (!batchFrameWrites(connection) && !warned) {
        warned = true;
        ctx.logger.warn({ missing: missingRheaInternals(connection), expected: `rhea ${RHEA_VERSION}` }, 'rhea internals changed: AMQP frames are written one by one (slower); see runtime/hub/amqp/rhea-internals.ts');
      }
      const amqp = new AmqpConnection(
        {
          ctx,
          identities,
          policies,
          hubName: options.hubName,
          eventHubs: options.eventHubs,
          authTimeoutMs: options.authTimeoutMs ?? AMQP_AUTH_TIMEOUT_MS,
          authenticated: () => options.authenticated?.(stream),
          hangUp: () => {
            // Let the close frame go out first; a peer that reads nothing is cut off anyway.
            setImmediate(() => stream.end());
            setTimeout(() => stream.destroy(), 1000).unref();
          },
        },
        connection,
      );
      connections.add(amqp);
      let disconnected = false;
      connection.on('disconnected', () => {
        disconnected = true;
        connections.delete(amqp);
      });
      limitFramesPerTurn(connection as unknown as RheaInput, stream, AMQP_MAX_FRAME_BYTES);
      (connection as unknown as { accept(socket: Duplex): void }).accept(stream);
      // rhea learns of a gone socket from 'end' and 'error' only; a socket destroyed here (hub
      // shutdown, a hostile frame, a peer hung up on) emits just 'close', which would leave the
      // connection's heartbeat timers armed — keeping the process alive for up to twice the idle
      // timeout — and its links' readers subscribed. Tell rhea the way its own 'end' does.
      stream.once('close', () => {
        if (!disconnected) (connection as unknown as { eof(): void }).eof();
      });
    },
    close() {
      for (const c of connections) c.close('amqp:connection:forced', 'the hub is shutting down');
      for (const s of streams) s.destroy();
      return Promise.resolve();
    },
  };
}
