import tls from 'node:tls';
import type { Socket } from 'node:net';
import type { Aedes, Client, AuthenticateError } from 'aedes';
import { silentLogger } from '../log/create-logger.js';
import { systemClock } from '../clock.js';
import { HubError } from './errors.js';
import { openHubStore } from './store/hub-store.js';
import type { HubMessage } from './store/message-store.js';
import { clientIdOf, type IdentityRef } from './identity-id.js';
import { MethodCalls } from './method-calls.js';
import { authenticateConnect } from './auth.js';
import { classifyClientPublish, hubTopics, isHubToClientTopic, isInputsFilter, isSubscriptionAllowed } from './topics.js';
import { encodePropertyBag, parsePropertyBag } from './property-bag.js';
import { ensureTlsMaterial } from './tls-material.js';
import { upstreamRouter, type MessageRouter } from './message-router.js';
import { Listeners } from './store/listeners.js';
import { DEFAULT_MQTTS_PORT } from './connection-string.js';
import { hardenParser, MAX_MESSAGE_BYTES } from './harden-parser.js';
import type { ConnectionEvent, Hub, InputsSubscribedEvent, StartHubOptions } from './hub-types.js';

export type { ConnectionEvent, ConnectionInfo, Hub, InputMessage, InputsSubscribedEvent, MethodInvocation, MethodResult, StartHubOptions } from './hub-types.js';
export { MAX_MESSAGE_BYTES } from './harden-parser.js';

const DESIRED_FILTER = '$iothub/twin/PATCH/properties/desired/#';
const HUB_BROKER_ID = 'edgemu-hub-deliveries';

interface Conn {
  client: Client;
  identity: IdentityRef;
  clientId: string;
  expiresAtMs: number;
  connectedTimeUtc?: string;
  expiryTimer?: NodeJS.Timeout;
  filters: Set<string>;
  nextMessageId: number;
  pendingAcks: Map<number, { resolve: () => void; reject: (e: Error) => void }>;
  c2dInflight: Set<number>;
}

/** Starts the hub; resolves once it listens. */
export async function startHub(options: StartHubOptions): Promise<Hub> {
  const logger = (options.logger ?? silentLogger()).child({ component: 'hub' });
  const clock = options.clock ?? systemClock;
  const hostNames = options.hostNames && options.hostNames.length > 0 ? [...options.hostNames] : ['localhost'];
  const hostName = hostNames[0]!;
  const material = await ensureTlsMaterial(options.stateDir, hostNames);
  const ownsStore = !options.store;
  const store = options.store ?? openHubStore({ stateDir: options.stateDir, clock, logger, ...(options.maxMessages ? { maxMessages: options.maxMessages } : {}) });
  let router: MessageRouter = options.router ?? upstreamRouter(store.messages);

  const byClient = new WeakMap<Client, Conn>();
  const live = new Map<string, Conn>();
  const methods = new MethodCalls();
  const forwardIds = new Map<number, number>();
  const connectionEvents = new Listeners<ConnectionEvent>((e) => logger.error({ err: e }, 'connection listener failed'));
  const inputsSubscribed = new Listeners<InputsSubscribedEvent>((e) => logger.error({ err: e }, 'inputs-subscribed listener failed'));
  let deliveryCounter = 0;
  const acceptedHosts = [...hostNames, 'localhost', '127.0.0.1'];
  const isoNow = () => new Date(clock.now()).toISOString();

  const { Aedes } = await import('aedes');
  const broker: Aedes = await Aedes.createBroker({ id: 'edgemu-hub', connectTimeout: 30_000 });

  // Hub→client QoS 1 deliveries are tracked by the hub itself (C2D in SQLite, inputs by
  // routing's queues): aedes keeps no outgoing copies, and every PUBACK is reported here.
  const persistence = (broker as unknown as { persistence: Record<string, unknown> }).persistence;
  persistence.outgoingEnqueue = () => Promise.resolve();
  persistence.outgoingUpdate = () => Promise.resolve();
  // aedes persists a SUBSCRIBE's whole filter list, refused filters included, and would
  // restore them on reconnect; only filters the ACL allows are kept.
  const addSubscriptions = (persistence.addSubscriptions as (c: Client, subs: Array<{ topic: string }>) => Promise<unknown>).bind(persistence);
  persistence.addSubscriptions = (client: Client, subs: Array<{ topic: string }>) => {
    const conn = byClient.get(client);
    return addSubscriptions(client, conn ? subs.filter((s) => isSubscriptionAllowed(conn.identity, s.topic)) : []);
  };
  persistence.outgoingClearMessageId = (client: Client, packet: { messageId?: number }) => {
    const conn = byClient.get(client);
    const pending = conn && packet.messageId !== undefined ? conn.pendingAcks.get(packet.messageId) : undefined;
    if (conn && pending) {
      conn.pendingAcks.delete(packet.messageId!);
      pending.resolve();
    }
    return Promise.resolve(undefined);
  };

  // Every client publish is fully handled (and stored) in authorizePublish below, and the hub
  // writes to clients directly, so aedes' own fan-out of client publishes to subscribers would
  // only cost CPU (and must never reach anyone): it is skipped.
  const brokerPublish = (broker.publish as (packet: unknown, client: unknown, done?: (e?: Error) => void) => void).bind(broker);
  (broker as unknown as { publish: (packet: unknown, client: unknown, done?: (e?: Error) => void) => void }).publish = (packet, client, done) => {
    if (client && typeof client === 'object') {
      if (done) setImmediate(done);
      return;
    }
    brokerPublish(packet, client, done);
  };

  broker.authenticate = (client, username, password, done) => {
    const result = authenticateConnect(
      { clientId: client.id, username, password },
      { keysOf: (ref) => store.identities.get(ref), acceptedHosts, nowMs: clock.now() },
    );
    if (!result.ok) {
      logger.info({ clientId: client.id, returnCode: result.returnCode, reason: result.reason }, 'connection refused');
      const error = Object.assign(new Error(result.reason), { returnCode: result.returnCode }) as AuthenticateError;
      done(error, false);
      return;
    }
    byClient.set(client, {
      client,
      identity: result.identity,
      clientId: client.id,
      expiresAtMs: result.expiresAtMs,
      filters: new Set(),
      nextMessageId: 1,
      pendingAcks: new Map(),
      c2dInflight: new Set(),
    });
    done(null, true);
  };

  broker.on('clientReady', (client) => {
    const conn = byClient.get(client);
    if (!conn) return;
    if (client.clean) {
      store.sessions.clear(conn.clientId);
    } else {
      for (const f of store.sessions.filters(conn.clientId)) conn.filters.add(f);
    }
    conn.connectedTimeUtc = isoNow();
    // IoT Hub closes a connection whose SAS token expires; the SDK renews and reconnects.
    // (Timers hold at most ~24.8 days, so far expiries re-arm until they are reached.)
    const armExpiry = (): void => {
      const left = conn.expiresAtMs - clock.now();
      conn.expiryTimer = setTimeout(
        () => {
          if (clock.now() < conn.expiresAtMs) return armExpiry();
          logger.info({ clientId: conn.clientId }, 'SAS token expired; closing the connection');
          client.close();
        },
        Math.min(Math.max(left, 0), 2_147_483_647),
      );
      conn.expiryTimer.unref();
    };
    armExpiry();
    live.set(conn.clientId, conn);
    logger.info({ clientId: conn.clientId }, 'client connected');
    connectionEvents.emit({ clientId: conn.clientId, deviceId: conn.identity.deviceId, moduleId: conn.identity.moduleId, status: 'Connected', timeUtc: conn.connectedTimeUtc });
    // A persisted session (clean session off) that already holds the inputs subscription: the
    // SDK may not subscribe again, so the module listens from now on.
    if (listensForInputs(conn)) emitInputsSubscribed(conn);
    deliverC2d(conn);
  });

  broker.on('clientDisconnect', (client) => {
    const conn = byClient.get(client);
    if (!conn) return;
    if (conn.expiryTimer) clearTimeout(conn.expiryTimer);
    const lost = new HubError('HUB_NOT_CONNECTED', `${conn.clientId} disconnected before acknowledging`);
    for (const p of conn.pendingAcks.values()) p.reject(lost);
    conn.pendingAcks.clear();
    if (live.get(conn.clientId) === conn) {
      live.delete(conn.clientId);
      logger.info({ clientId: conn.clientId }, 'client disconnected');
      connectionEvents.emit({ clientId: conn.clientId, deviceId: conn.identity.deviceId, moduleId: conn.identity.moduleId, status: 'Disconnected', timeUtc: isoNow() });
    }
  });

  broker.on('clientError', (client, error) => logger.debug({ clientId: client?.id, err: error.message }, 'client error; connection closed'));
  broker.on('connectionError', (client, error) => logger.debug({ err: error.message }, 'connection error; connection closed'));

  broker.authorizeSubscribe = (client, sub, done) => {
    const conn = byClient.get(client);
    if (!conn || !isSubscriptionAllowed(conn.identity, sub.topic)) {
      logger.info({ clientId: client.id, topic: sub.topic }, 'subscription refused');
      done(null, null); // SUBACK 0x80 for this filter; the connection stays up
      return;
    }
    conn.filters.add(sub.topic);
    if (!client.clean) store.sessions.add(conn.clientId, sub.topic);
    done(null, sub);
  };

  // aedes emits this after queueing the SUBACK, with refused filters at QoS 128.
  broker.on('subscribe', (subs, client) => {
    const conn = byClient.get(client);
    if (!conn || live.get(conn.clientId) !== conn) return;
    const granted = subs.filter((s) => (s.qos as number) !== 128).map((s) => s.topic);
    if (granted.some((t) => t.includes('/messages/devicebound/'))) deliverC2d(conn);
    if (conn.identity.moduleId && granted.some((t) => isInputsFilter(conn.identity, t))) emitInputsSubscribed(conn);
  });

  function listensForInputs(conn: Conn): boolean {
    for (const f of conn.filters) if (isInputsFilter(conn.identity, f)) return true;
    return false;
  }

  function emitInputsSubscribed(conn: Conn): void {
    if (!conn.identity.moduleId) return;
    inputsSubscribed.emit({ clientId: conn.clientId, deviceId: conn.identity.deviceId, moduleId: conn.identity.moduleId });
  }

  broker.on('unsubscribe', (topics, client) => {
    const conn = byClient.get(client);
    if (!conn) return;
    for (const t of topics) {
      conn.filters.delete(t);
      store.sessions.remove(conn.clientId, t);
    }
  });

  // Only the hub's own deliveries reach clients (never another client's publish, whatever a
  // session holds); the hub numbers its QoS 1 packets itself to match PUBACKs to deliveries.
  broker.authorizeForward = (client, packet) => {
    const conn = byClient.get(client);
    if (!conn || !isHubToClientTopic(conn.identity, packet.topic)) return null;
    if (packet.brokerId === HUB_BROKER_ID) {
      const id = forwardIds.get(packet.brokerCounter);
      if (id !== undefined) {
        forwardIds.delete(packet.brokerCounter);
        (packet as { messageId?: number }).messageId = id;
      }
    }
    return packet;
  };

  broker.authorizePublish = (client, packet, done) => {
    if (!client) {
      done(null);
      return;
    }
    const conn = byClient.get(client);
    if (!conn) {
      done(new Error('not authenticated'));
      return;
    }
    // IoT Hub closes the connection on a QoS 2 PUBLISH (iotedge-protocol §7.7).
    if (packet.qos === 2) {
      logger.info({ clientId: conn.clientId, topic: packet.topic }, 'QoS 2 publish refused; closing the connection');
      done(new Error('QoS 2 is not supported'));
      return;
    }
    if (packet.payload.length > MAX_MESSAGE_BYTES) {
      logger.info({ clientId: conn.clientId, bytes: packet.payload.length }, 'message larger than 256 KB refused; closing the connection');
      done(new Error('message too large'));
      return;
    }
    // RETAIN is never stored; the flag travels as the application property `mqtt-retain`.
    const retained = packet.retain;
    packet.retain = false;
    const kind = classifyClientPublish(conn.identity, packet.topic);
    switch (kind.kind) {
      case 'forbidden':
        logger.info({ clientId: conn.clientId, topic: packet.topic, reason: kind.reason }, 'publish refused; closing the connection');
        done(new Error(kind.reason));
        return;
      case 'twin-get': {
        const view = store.twins.getDeviceView(conn.identity);
        if (view) reply(conn, hubTopics.twinResponse(200, kind.rid), JSON.stringify(view));
        else reply(conn, hubTopics.twinResponse(404, kind.rid), JSON.stringify({ errorCode: 404001, message: 'twin not found' }));
        done(null);
        return;
      }
      case 'twin-patch-reported':
        handleReportedPatch(conn, kind.rid, asBuffer(packet.payload));
        done(null);
        return;
      case 'method-response':
        methods.answer(conn.clientId, kind.rid, kind.status, asBuffer(packet.payload));
        done(null);
        return;
      case 'telemetry': {
        const bag = parsePropertyBag(kind.propertyBag);
        if (!bag) {
          logger.info({ clientId: conn.clientId, topic: packet.topic }, 'malformed property bag; closing the connection');
          done(new Error('malformed property bag'));
          return;
        }
        if (retained) bag.app['mqtt-retain'] = 'true';
        // A will message (connection lost without DISCONNECT) arrives as telemetry marked
        // `iothub-MessageType: Will` (iotedge-protocol §7.3).
        if ((client as unknown as { will?: unknown }).will === packet) bag.app['iothub-MessageType'] = 'Will';
        const message: HubMessage = {
          deviceId: conn.identity.deviceId,
          moduleId: conn.identity.moduleId,
          outputName: conn.identity.moduleId ? bag.system.on : undefined,
          body: asBuffer(packet.payload),
          systemProperties: bag.system,
          properties: bag.app,
          enqueuedTimeUtc: isoNow(),
        };
        router.route(message).then(
          () => done(null),
          (error: unknown) => {
            logger.error({ clientId: conn.clientId, err: error }, 'message could not be stored; not acknowledged');
            done(error as Error);
          },
        );
        return;
      }
    }
  };

  function handleReportedPatch(conn: Conn, rid: string, payload: Buffer): void {
    let patch: unknown;
    try {
      patch = JSON.parse(payload.toString('utf8'));
    } catch {
      reply(conn, hubTopics.twinResponse(400, rid), JSON.stringify({ errorCode: 400004, message: 'reported properties patch is not valid JSON' }));
      return;
    }
    try {
      const { version } = store.twins.patchReported(conn.identity, patch);
      reply(conn, hubTopics.twinResponse(204, rid, version), '');
    } catch (error) {
      const status = error instanceof HubError ? error.status : 500;
      const errorCode = status === 400 ? 400004 : status === 404 ? 404001 : 500001;
      if (status >= 500) logger.error({ clientId: conn.clientId, err: error }, 'reported patch failed');
      reply(conn, hubTopics.twinResponse(status, rid), JSON.stringify({ errorCode, message: (error as Error).message }));
    }
  }

  /** QoS 0 to exactly this connection, regardless of its subscriptions (sdk-wire-traces §2.6). */
  function reply(conn: Conn, topic: string, payload: string | Buffer): void {
    conn.client.publish({ cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: 0, retain: false, dup: false }, () => {});
  }

  /** QoS 1 to exactly this connection; resolves on its PUBACK. */
  function deliverQos1(conn: Conn, topic: string, payload: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (conn.client.closed || live.get(conn.clientId) !== conn) {
        reject(new HubError('HUB_NOT_CONNECTED', `${conn.clientId} is not connected`));
        return;
      }
      if (conn.pendingAcks.size >= 65_000) {
        reject(new HubError('HUB_NOT_CONNECTED', `${conn.clientId} has too many unacknowledged messages`));
        return;
      }
      let id = conn.nextMessageId;
      while (conn.pendingAcks.has(id)) id = (id % 65535) + 1;
      conn.nextMessageId = (id % 65535) + 1;
      conn.pendingAcks.set(id, { resolve, reject });
      const counter = ++deliveryCounter;
      forwardIds.set(counter, id);
      conn.client.publish(
        { cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false, brokerId: HUB_BROKER_ID, brokerCounter: counter } as Parameters<Client['publish']>[0],
        (error) => {
          forwardIds.delete(counter);
          if (error) {
            conn.pendingAcks.delete(id);
            reject(new HubError('HUB_NOT_CONNECTED', `delivery to ${conn.clientId} failed: ${error.message}`));
          }
        },
      );
    });
  }

  function deliverC2d(conn: Conn): void {
    if (conn.identity.moduleId || !conn.filters.has(`devices/${conn.identity.deviceId}/messages/devicebound/#`)) return;
    for (const m of store.c2d.pending(conn.identity.deviceId)) {
      if (conn.c2dInflight.has(m.seq)) continue;
      conn.c2dInflight.add(m.seq);
      store.c2d.markDelivered(m.seq);
      const topic = hubTopics.c2d(m.deviceId, encodePropertyBag({ system: m.systemProperties, app: m.properties }));
      deliverQos1(conn, topic, m.body)
        .then(() => store.c2d.complete(m.seq))
        .catch((error: unknown) => logger.debug({ clientId: conn.clientId, seq: m.seq, err: (error as Error).message }, 'C2D not acknowledged; stays queued'))
        .finally(() => conn.c2dInflight.delete(m.seq));
    }
  }

  const unsubscribers = [
    store.twins.onDesiredChanged((change) => {
      const conn = live.get(clientIdOf(change.ref));
      if (conn && conn.filters.has(DESIRED_FILTER)) {
        reply(conn, hubTopics.desiredPatch(change.version), JSON.stringify({ ...change.patch, $version: change.version }));
      }
    }),
    // IoT Hub drops the connections of a deleted identity (a device's modules included).
    store.identities.deletions.add((ref) => {
      for (const conn of [...live.values()]) {
        if (conn.identity.deviceId === ref.deviceId && (!ref.moduleId || conn.identity.moduleId === ref.moduleId)) {
          logger.info({ clientId: conn.clientId }, 'identity deleted; closing its connection');
          conn.client.close();
        }
      }
    }),
    store.c2d.enqueued.add((m) => {
      const conn = live.get(m.deviceId);
      if (conn) deliverC2d(conn);
    }),
  ];
  store.twins.connectionState = (ref) => (live.has(clientIdOf(ref)) ? 'Connected' : 'Disconnected');

  // Other processes (the CLI) write to the same store. When SQLite reports a commit from
  // another connection, connections of identities deleted there are closed and C2D messages
  // queued there are delivered.
  let dataVersion = store.db.pragma('data_version', { simple: true }) as number;
  const externalWrites = setInterval(() => {
    const now = store.db.pragma('data_version', { simple: true }) as number;
    if (now === dataVersion) return;
    dataVersion = now;
    for (const conn of [...live.values()]) {
      if (!store.identities.get(conn.identity)) {
        logger.info({ clientId: conn.clientId }, 'identity deleted by another process; closing its connection');
        conn.client.close();
      } else {
        deliverC2d(conn);
      }
    }
  }, options.externalWritePollMs ?? 1000);
  externalWrites.unref();

  // TLS listener; each accepted socket goes to aedes with a packet-size guard.
  const sockets = new Set<Socket>();
  const server = tls.createServer({ key: material.serverKey, cert: material.serverCert, minVersion: 'TLSv1.2' }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const client = broker.handle(socket);
    hardenParser(client, logger);
  });
  server.on('tlsClientError', (error) => logger.debug({ err: error.message }, 'TLS handshake failed'));
  server.on('connection', (socket: Socket) => socket.on('error', () => {}));
  const port = options.mqttsPort ?? DEFAULT_MQTTS_PORT;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.bindAddress ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    for (const u of unsubscribers) u();
    clearInterval(externalWrites);
    broker.close();
    if (ownsStore) store.close();
    const hint = error.code === 'EADDRINUSE' ? ' (the port is in use; choose another with --mqtts-port, 0 = any free port)' : '';
    throw new HubError('HUB_LISTEN', `cannot listen on MQTT port ${port}: ${error.code ?? error.message}${hint}`, { cause: error });
  });
  const address = server.address();
  const mqttsPort = typeof address === 'object' && address ? address.port : port;
  logger.info({ mqttsPort, hostName }, 'hub listening (MQTT over TLS)');

  let closing: Promise<void> | undefined;
  return {
    store,
    messages: store.messages,
    mqttsPort,
    hostName,
    hostNames,
    caFile: material.caFile,
    caCert: material.caCert,
    setMessageRouter(next) {
      router = next;
    },
    invokeMethod(call) {
      return methods.invoke(call, (clientId) => {
        const conn = live.get(clientId);
        return conn && { listens: conn.filters.has('$iothub/methods/POST/#'), send: (topic, body) => reply(conn, topic, body) };
      });
    },
    deliverToModuleInput(deviceId, moduleId, inputName, message) {
      const conn = live.get(`${deviceId}/${moduleId}`);
      if (!conn) return Promise.reject(new HubError('HUB_NOT_CONNECTED', `module ${deviceId}/${moduleId} is not connected`));
      if (!listensForInputs(conn)) {
        return Promise.reject(new HubError('HUB_NOT_CONNECTED', `module ${deviceId}/${moduleId} does not listen for input messages`));
      }
      if (!/^[^/#+]+$/.test(inputName)) return Promise.reject(new HubError('HUB_INVALID_ID', `invalid input name ${JSON.stringify(inputName)}`));
      const bag = encodePropertyBag({ system: message.systemProperties ?? {}, app: message.properties ?? {} });
      return deliverQos1(conn, hubTopics.moduleInput(deviceId, moduleId, inputName, bag), message.body);
    },
    sendC2d(deviceId, message) {
      if (!store.identities.get({ deviceId })) throw new HubError('HUB_DEVICE_NOT_FOUND', `device ${deviceId} does not exist`);
      return store.c2d.enqueue(deviceId, message);
    },
    isConnected: (ref) => live.has(clientIdOf(ref)),
    connections: () =>
      [...live.values()].map((c) => ({
        clientId: c.clientId,
        deviceId: c.identity.deviceId,
        moduleId: c.identity.moduleId,
        connectedTimeUtc: c.connectedTimeUtc ?? '',
        listensForInputs: listensForInputs(c),
      })),
    onConnectionChanged: (listener) => connectionEvents.add(listener),
    onInputsSubscribed: (listener) => inputsSubscribed.add(listener),
    close() {
      closing ??= (async () => {
        for (const u of unsubscribers) u();
        clearInterval(externalWrites);
        store.twins.connectionState = () => 'Disconnected';
        methods.cancelAll('the hub is shutting down');
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        store.messages.flush();
        if (ownsStore) store.close();
        logger.info('hub stopped');
      })();
      return closing;
    },
  };
}

const asBuffer = (p: Buffer | string): Buffer => (typeof p === 'string' ? Buffer.from(p) : p);
