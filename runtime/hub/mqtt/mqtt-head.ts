import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';
import { authenticateConnect } from '../auth.js';
import { dispatch } from '../handlers/dispatch.js';
import { deliverC2d } from '../handlers/c2d-delivery.js';
import type { ClientRequest, HandlerContext } from '../handlers/handler-context.js';
import { parsePropertyBag } from '../property-bag.js';
import { classifyClientPublish, isHubToClientTopic, isInputsFilter, isSubscriptionAllowed } from '../topics.js';
import { corkForThisTick, createBroker, MAX_MESSAGE_BYTES, type Broker, type ClientPublish } from './broker.js';
import { MqttSession } from './mqtt-session.js';

/** The MQTT head: IoT Hub's MQTT dialect in front of the protocol-neutral handlers. */
export interface MqttHead {
  accept(stream: Duplex): void;
  close(): Promise<void>;
}

/**
 * IoT Hub's MQTT support (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub) on
 * aedes: CONNECT authentication, the per-identity topic ACL, persistent-session subscriptions,
 * and the decoding of each client PUBLISH into a `ClientRequest` for `dispatch`.
 */
export interface MqttHeadOptions {
  acceptedHosts: readonly string[];
  /** Unread bytes one connection may leave in its write buffer before it is disconnected. */
  writeBufferBytes: number;
  /** Longest keep-alive honoured (seconds; 0 = whatever the client asks). */
  maxKeepAliveSecs: number;
  /** A client's CONNECT was accepted on `stream` (the transport stops counting it as untrusted). */
  authenticated?(stream: Duplex): void;
}

export async function createMqttHead(ctx: HandlerContext, options: MqttHeadOptions): Promise<MqttHead> {
  const { store, connections, clock, logger } = ctx;
  const overflow = (s: MqttSession, buffered: number) =>
    logger.info({ clientId: s.clientId, buffered, limit: options.writeBufferBytes }, 'client does not read its messages; write limit reached, disconnecting');
  const sessions = new WeakMap<Client, MqttSession>();
  const isLive = (s: MqttSession) => connections.isLive(s);
  // The hooks run only once clients connect, after `broker` is assigned.
  const broker: Broker = await createBroker(
    {
      authenticate(client, username, password) {
        const result = authenticateConnect({ clientId: client.id, username, password }, { keysOf: (ref) => store.identities.get(ref), acceptedHosts: options.acceptedHosts, nowMs: clock.now() });
        if (!result.ok) {
          logger.info({ clientId: client.id, returnCode: result.returnCode, reason: result.reason }, 'connection refused');
          return result;
        }
        // A reconnect storm of one identity is refused with "server unavailable" (MQTT 3.1.1 §3.2.2.3); the SDKs back off and retry.
        if (!ctx.throttles.connects.allow(client.id)) {
          logger.info({ clientId: client.id }, 'connection refused: too many CONNECTs for this identity');
          return { ok: false, returnCode: 3, reason: 'too many connection attempts; back off and retry' };
        }
        sessions.set(client, new MqttSession(client, result.identity, result.expiresAtMs, broker, isLive, options.writeBufferBytes, overflow));
        return { ok: true };
      },

      clientReady(client) {
        const session = sessions.get(client);
        if (!session) return;
        // A clean session forgets the filters of the previous one (MQTT 3.1.1 §3.1.2.4); otherwise
        // they are restored — the SDKs never re-subscribe twin topics after a reconnect.
        if (client.clean) store.sessions.clear(session.clientId);
        else for (const f of store.sessions.filters(session.clientId)) session.filters.add(f);
        connections.add(session);
        options.authenticated?.(client.conn);
        // A persisted session that already holds the inputs subscription: the SDK may not
        // subscribe again, so the module listens from now on.
        if (session.listens('inputs')) connections.inputsReady(session);
        deliverC2d(ctx, session);
      },

      clientDisconnected(client) {
        const session = sessions.get(client);
        if (!session) return;
        session.lost();
        connections.remove(session);
      },

      authorizeSubscribe(client, filter) {
        const session = sessions.get(client);
        return session !== undefined && isSubscriptionAllowed(session.identity, filter);
      },

      // A restored filter comes back through `subscriptionGranted` (INSERT OR IGNORE: no second row).
      storedFilters: (clientId) => store.sessions.filters(clientId),

      subscriptionGranted(client, filter) {
        const session = sessions.get(client)!;
        session.filters.add(filter);
        if (!client.clean) store.sessions.add(session.clientId, filter);
      },

      subscribed(client, granted) {
        const session = sessions.get(client);
        if (!session || !connections.isLive(session)) return;
        if (granted.some((t) => t.includes('/messages/devicebound/'))) deliverC2d(ctx, session);
        if (session.identity.moduleId && granted.some((t) => isInputsFilter(session.identity, t))) connections.inputsReady(session);
      },

      unsubscribed(client, filters) {
        const session = sessions.get(client);
        if (!session) return;
        for (const t of filters) {
          session.filters.delete(t);
          store.sessions.remove(session.clientId, t);
        }
      },

      mayReceive(client, topic) {
        const session = sessions.get(client);
        return session !== undefined && isHubToClientTopic(session.identity, topic);
      },

      puback(client, messageId) {
        sessions.get(client)?.packetIds.acknowledge(messageId);
      },

      publish(client, packet, done) {
        const session = sessions.get(client);
        if (!session) return done(new Error('not authenticated'));
        const request = decodePublish(session, packet);
        if (request instanceof Error) return done(request);
        const outcome = dispatch(ctx, session, request);
        if (!outcome) return done(null);
        // Messages of one group commit share its promise: one reaction per batch, not per message.
        if (outcome !== waiting.outcome) waiting = awaitOutcome(outcome);
        waiting.sessions.push(session);
        waiting.dones.push(done);
      },
    },
    logger,
    { maxKeepAliveSecs: options.maxKeepAliveSecs },
  );

  /** The clients' acknowledgements waiting on one outcome (the latest one seen). */
  interface Waiting {
    outcome: Promise<unknown> | undefined;
    sessions: MqttSession[];
    dones: Array<(error?: Error | null) => void>;
  }
  let waiting: Waiting = { outcome: undefined, sessions: [], dones: [] };
  function awaitOutcome(outcome: Promise<unknown>): Waiting {
    const w: Waiting = { outcome, sessions: [], dones: [] };
    const settle = (error: Error | undefined) => {
      // Messages handled from now on wait on a fresh reaction (the same settled promise, e.g. a shared "no route", may come again).
      if (waiting === w) waiting = { outcome: undefined, sessions: [], dones: [] };
      for (let i = 0; i < w.dones.length; i++) {
        const session = w.sessions[i]!;
        if (error === undefined) {
          corkForThisTick(session.client.conn);
          w.dones[i]!(null);
          continue;
        }
        // A full store-and-forward queue (storeLimits.maxSizeBytes) is a refusal, not a fault: the client retries later.
        if ((error as { code?: unknown }).code === 'STORE_FULL') logger.warn({ clientId: session.clientId, reason: error.message }, 'message refused: store full; not acknowledged, closing the connection');
        else logger.error({ clientId: session.clientId, err: error }, 'message could not be stored; not acknowledged');
        w.dones[i]!(error);
      }
    };
    outcome.then(
      () => settle(undefined),
      (error: unknown) => settle(error as Error),
    );
    return w;
  }

  // Not a closure inside decodePublish: that would be a new function per message.
  function refuseFor(session: MqttSession, reason: string, log: Record<string, unknown>, message: string): Error {
    logger.info({ clientId: session.clientId, ...log }, message);
    return new Error(reason);
  }

  function decodePublish(session: MqttSession, packet: ClientPublish): ClientRequest | Error {
    // IoT Hub closes the connection on a QoS 2 PUBLISH (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub).
    if (packet.qos === 2) return refuseFor(session, 'QoS 2 is not supported', { topic: packet.topic }, 'QoS 2 publish refused; closing the connection');
    if (packet.payload.length > MAX_MESSAGE_BYTES) return refuseFor(session, 'message too large', { bytes: packet.payload.length }, 'message larger than 256 KB refused; closing the connection');
    const kind = classifyClientPublish(session.identity, packet.topic);
    switch (kind.kind) {
      case 'forbidden':
        return refuseFor(session, kind.reason, { topic: packet.topic, reason: kind.reason }, 'publish refused; closing the connection');
      case 'twin-get':
        return { op: 'twin-get', rid: kind.rid };
      case 'twin-patch-reported':
        return { op: 'reported-patch', rid: kind.rid, body: packet.payload };
      case 'method-response':
        return { op: 'method-response', rid: kind.rid, status: kind.status, body: packet.payload };
      case 'telemetry': {
        const bag = parsePropertyBag(kind.propertyBag);
        if (!bag) return refuseFor(session, 'malformed property bag', { topic: packet.topic }, 'malformed property bag; closing the connection');
        // RETAIN travels as the application property `mqtt-retain`; a will message (connection
        // lost without DISCONNECT) arrives as telemetry marked `iothub-MessageType: Will`
        // (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub).
        if (packet.retained) bag.app['mqtt-retain'] = 'true';
        if (packet.isWill) bag.app['iothub-MessageType'] = 'Will';
        return { op: 'telemetry', body: packet.payload, systemProperties: bag.system, properties: bag.app };
      }
    }
  }

  return {
    accept: (stream) => void broker.handle(stream),
    close: () => broker.close(),
  };
}
