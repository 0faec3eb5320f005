import tls from 'node:tls';
import type { Socket } from 'node:net';
import type { Aedes, Client, AuthenticateError } from 'aedes';
import type { Logger } from '../log/create-logger.js';
import { silentLogger } from '../log/create-logger.js';
import { systemClock, type Clock } from '../clock.js';
import { HubError } from './errors.js';
import { openHubStore, type HubStore } from './store/hub-store.js';
import type { HubMessage, MessageStore } from './store/message-store.js';
import type { C2dMessage, C2dSend } from './store/c2d-queue.js';
import { clientIdOf, isValidId, type IdentityRef } from './identity-id.js';
import { authenticateConnect } from './auth.js';
import { classifyClientPublish, hubTopics, isHubToClientTopic, isSubscriptionAllowed } from './topics.js';
import { encodePropertyBag, parsePropertyBag } from './property-bag.js';
import { ensureTlsMaterial } from './tls-material.js';
import { upstreamRouter, type MessageRouter } from './message-router.js';
import { Listeners } from './store/listeners.js';
import { DEFAULT_MQTTS_PORT } from './connection-string.js';

/** IoT Hub's maximum device-to-cloud message size (edgeHub `MaxInboundMessageSize` 262144). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Largest MQTT packet read at all: the message limit plus room for topic and property bag. */
const MAX_PACKET_BYTES = MAX_MESSAGE_BYTES + 64 * 1024;
const DESIRED_FILTER = '$iothub/twin/PATCH/properties/desired/#';
const HUB_BROKER_ID = 'edgemu-hub-deliveries';

export interface StartHubOptions {
  /** State directory: the store (hub.db) and TLS material (ca.pem, …). */
  stateDir: string;
  /** Names the hub is reached by; the first is the hub host name in connection strings (default `localhost`). */
  hostNames?: readonly string[];
  /** MQTT over TLS port; 0 picks a free one; default 8883. */
  mqttsPort?: number;
  /** Address to listen on (default `0.0.0.0`; tests use `127.0.0.1`). */
  bindAddress?: string;
  logger?: Logger;
  clock?: Clock;
  /** Where accepted telemetry goes; default: the message store as `$upstream`. Can be replaced later with `setMessageRouter`. */
  router?: MessageRouter;
  /** An already opened store to share (the composition root); otherwise the hub opens and closes its own. */
  store?: HubStore;
  /** Bound of the telemetry store when the hub opens it. */
  maxMessages?: number;
}

/** A connected client as the hub sees it. */
export interface ConnectionInfo {
  clientId: string;
  deviceId: string;
  moduleId?: string | undefined;
  connectedTimeUtc: string;
}

/** A module or device connected or disconnected (for `$edgeHub` reported `clients`). */
export interface ConnectionEvent {
  clientId: string;
  deviceId: string;
  moduleId?: string | undefined;
  status: 'Connected' | 'Disconnected';
  timeUtc: string;
}

/** A direct method call (iotedge-protocol §7.6). */
export interface MethodInvocation {
  deviceId: string;
  moduleId?: string | undefined;
  methodName: string;
  payload?: unknown;
  /** Response timeout; default 30 s (IoT Hub's default), at most 300 s. */
  timeoutMs?: number;
}

/** The answer: the device's status and JSON payload, or 404 (not connected) / 504 (timed out). */
export interface MethodResult {
  status: number;
  payload: unknown;
}

/** A message for a module input (routing builds it from a routed message). */
export interface InputMessage {
  body: Buffer;
  /** System properties by wire name without `$.` (`mid`, `cid`, `ct`, `ce`, …); `cdid`/`cmid` name the sender. */
  systemProperties?: Record<string, string>;
  properties?: Record<string, string>;
}

/**
 * A running embedded IoT Hub: aedes speaking IoT Hub's MQTT dialect over TLS to the
 * unmodified Azure IoT device SDKs (Client and ModuleClient).
 */
export interface Hub {
  readonly store: HubStore;
  /** Telemetry read/subscribe API (`edgemu monitor`, the service API's event stream). */
  readonly messages: MessageStore;
  readonly mqttsPort: number;
  /** The hub host name (connection strings, SAS audience). */
  readonly hostName: string;
  readonly hostNames: readonly string[];
  /** Absolute path of the CA certificate (DIR/ca.pem) and its PEM text. */
  readonly caFile: string;
  readonly caCert: string;
  /** Replaces the message router (routing plugs in here). */
  setMessageRouter(router: MessageRouter): void;
  /** Calls a direct method on a connected device or module. Never throws for device behaviour: 404/504 are results. */
  invokeMethod(call: MethodInvocation): Promise<MethodResult>;
  /**
   * Delivers a message to a module input (`devices/<d>/modules/<m>/inputs/<input>/<props>`,
   * QoS 1) and resolves once the module acknowledged it. Rejects with HUB_NOT_CONNECTED when
   * the module is not connected or not listening for inputs, or disconnects before its PUBACK.
   */
  deliverToModuleInput(deviceId: string, moduleId: string, inputName: string, message: InputMessage): Promise<void>;
  /** Queues a cloud-to-device message (delivered now if the device listens, else on connect). Throws HUB_DEVICE_NOT_FOUND / HUB_QUEUE_FULL. */
  sendC2d(deviceId: string, message: C2dSend): C2dMessage;
  isConnected(ref: IdentityRef): boolean;
  connections(): ConnectionInfo[];
  /** Connection and disconnection of every device/module; returns unsubscribe. */
  onConnectionChanged(listener: (event: ConnectionEvent) => void): () => void;
  /** Stops listening, disconnects everyone, closes the store when the hub opened it. */
  close(): Promise<void>;
}

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

interface PendingMethod {
  clientId: string;
  resolve: (r: MethodResult) => void;
  timer: NodeJS.Timeout;
}

/** Starts the hub; resolves once it listens. */
export async function startHub(options: StartHubOptions): Promise<Hub> {
  const logger = (options.logger ?? silentLogger()).child({ component: 'hub' });
  const clock = options.clock ?? systemClock;
  const hostNames = options.hostNames && options.hostNames.length > 0 ? [...options.hostNames] : ['localhost'];
  const hostName = hostNames[0]!;
  const ownsStore = !options.store;
  const store = options.store ?? openHubStore({ stateDir: options.stateDir, clock, logger, ...(options.maxMessages ? { maxMessages: options.maxMessages } : {}) });
  const material = await ensureTlsMaterial(options.stateDir, hostNames);
  let router: MessageRouter = options.router ?? upstreamRouter(store.messages);

  const byClient = new WeakMap<Client, Conn>();
  const live = new Map<string, Conn>();
  const methods = new Map<string, PendingMethod>();
  const forwardIds = new Map<number, number>();
  const connectionEvents = new Listeners<ConnectionEvent>((e) => logger.error({ err: e }, 'connection listener failed'));
  let deliveryCounter = 0;
  let ridCounter = 0;
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
    const ttl = Math.min(conn.expiresAtMs - clock.now(), 2_147_483_647);
    conn.expiryTimer = setTimeout(() => {
      logger.info({ clientId: conn.clientId }, 'SAS token expired; closing the connection');
      client.close();
    }, Math.max(ttl, 0));
    conn.expiryTimer.unref();
    live.set(conn.clientId, conn);
    logger.info({ clientId: conn.clientId }, 'client connected');
    connectionEvents.emit({ clientId: conn.clientId, deviceId: conn.identity.deviceId, moduleId: conn.identity.moduleId, status: 'Connected', timeUtc: conn.connectedTimeUtc });
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

  broker.on('subscribe', (subs, client) => {
    const conn = byClient.get(client);
    if (conn && subs.some((s) => s.topic.includes('/messages/devicebound/'))) deliverC2d(conn);
  });

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
      case 'method-response': {
        const pending = methods.get(kind.rid);
        if (pending && pending.clientId === conn.clientId) {
          methods.delete(kind.rid);
          clearTimeout(pending.timer);
          pending.resolve({ status: kind.status, payload: parseJsonLoose(asBuffer(packet.payload)) });
        }
        done(null);
        return;
      }
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
      let id = conn.nextMessageId;
      while (conn.pendingAcks.has(id)) id = (id % 65535) + 1;
      conn.nextMessageId = (id % 65535) + 1;
      conn.pendingAcks.set(id, { resolve, reject });
      const counter = ++deliveryCounter;
      forwardIds.set(counter, id);
      conn.client.publish(
        { cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false, brokerId: HUB_BROKER_ID, brokerCounter: counter } as Parameters<Client['publish']>[0],
        (error) => {
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
    broker.close();
    if (ownsStore) store.close();
    throw new HubError('HUB_TLS', `cannot listen on MQTT port ${port}: ${error.code ?? error.message}`, { cause: error });
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
    async invokeMethod(call) {
      const clientId = clientIdOf(call);
      if (!isValidMethodName(call.methodName)) {
        return { status: 400, payload: { errorCode: 400027, message: `invalid method name ${JSON.stringify(call.methodName)}` } };
      }
      const body = JSON.stringify(call.payload ?? null);
      // IoT Hub: method payloads are JSON of at most 128 KB (iotedge-protocol §7.6).
      if (Buffer.byteLength(body) > 128 * 1024) {
        return { status: 400, payload: { errorCode: 400028, message: 'method payload larger than 128 KB' } };
      }
      const conn = live.get(clientId);
      if (!conn) return { status: 404, payload: { errorCode: 404103, message: `${clientId} is not connected` } };
      // IoT Hub only calls methods on clients subscribed to them (the SDK subscribes on its first onMethod).
      if (!conn.filters.has('$iothub/methods/POST/#')) {
        return { status: 404, payload: { errorCode: 404103, message: `${clientId} is connected but not listening for direct methods` } };
      }
      const timeoutMs = Math.min(Math.max(call.timeoutMs ?? 30_000, 1), 300_000);
      const rid = (++ridCounter).toString(16);
      return new Promise<MethodResult>((resolve) => {
        const timer = setTimeout(() => {
          methods.delete(rid);
          resolve({ status: 504, payload: { errorCode: 504101, message: `timed out after ${timeoutMs} ms waiting for ${clientId} to answer ${call.methodName}` } });
        }, timeoutMs);
        methods.set(rid, { clientId, resolve, timer });
        reply(conn, hubTopics.methodRequest(call.methodName, rid), body);
      });
    },
    deliverToModuleInput(deviceId, moduleId, inputName, message) {
      const conn = live.get(`${deviceId}/${moduleId}`);
      if (!conn) return Promise.reject(new HubError('HUB_NOT_CONNECTED', `module ${deviceId}/${moduleId} is not connected`));
      if (!conn.filters.has(`devices/${deviceId}/modules/${moduleId}/inputs/#`) && !conn.filters.has(`devices/${deviceId}/modules/${moduleId}/#`)) {
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
      [...live.values()].map((c) => ({ clientId: c.clientId, deviceId: c.identity.deviceId, moduleId: c.identity.moduleId, connectedTimeUtc: c.connectedTimeUtc ?? '' })),
    onConnectionChanged: (listener) => connectionEvents.add(listener),
    close() {
      closing ??= (async () => {
        for (const u of unsubscribers) u();
        store.twins.connectionState = () => 'Disconnected';
        for (const m of methods.values()) {
          clearTimeout(m.timer);
          m.resolve({ status: 504, payload: { errorCode: 504101, message: 'the hub is shutting down' } });
        }
        methods.clear();
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

/** Method names become a topic level: no `/`, `#`, `+`, not empty (IoT Hub allows up to 128 characters). */
const isValidMethodName = (name: string): boolean => /^[^/#+\s]{1,128}$/.test(name) || isValidId(name);

const asBuffer = (p: Buffer | string): Buffer => (typeof p === 'string' ? Buffer.from(p) : p);

function parseJsonLoose(payload: Buffer): unknown {
  if (payload.length === 0) return null;
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

interface MqttParser {
  _parseLength: () => boolean;
  packet: { length: number };
  _emitError: (e: Error) => void;
  prependListener(event: 'packet', listener: (packet: { cmd: string; subscriptions?: Array<{ qos: number }> }) => void): void;
}

/**
 * Two rules applied where aedes parses packets, before it acts on them:
 * - aedes reads packets of any announced length into memory; a connection is closed as soon
 *   as a packet announces more than the hub would ever accept, before its body is buffered;
 * - IoT Hub grants at most QoS 1 to a QoS 2 SUBSCRIBE (iotedge-protocol §7.7); aedes grants
 *   what was asked, so the requested QoS is lowered as the packet arrives.
 */
function hardenParser(client: Client, logger: Logger): void {
  const parser = (client as unknown as { _parser?: MqttParser })._parser;
  if (!parser || typeof parser._parseLength !== 'function') return;
  parser.prependListener('packet', (packet) => {
    if (packet.cmd === 'subscribe') for (const s of packet.subscriptions ?? []) if (s.qos > 1) s.qos = 1;
  });
  const original = parser._parseLength;
  parser._parseLength = function guarded(this: typeof parser) {
    const ok = original.call(this);
    if (ok && this!.packet.length > MAX_PACKET_BYTES) {
      logger.info({ bytes: this!.packet.length }, 'MQTT packet larger than the hub accepts; closing the connection');
      this!._emitError(new Error('packet too large'));
      return false;
    }
    return ok;
  };
}
