import { silentLogger } from '../log/create-logger.js';
import { systemClock } from '../clock.js';
import { ConnectionTable } from './connection-table.js';
import { C2dFeedback } from './c2d-feedback.js';
import { deliverC2d } from './handlers/c2d-delivery.js';
import { sendC2d } from './handlers/c2d-send.js';
import { pushDesired } from './handlers/desired-push.js';
import type { HandlerContext } from './handlers/handler-context.js';
import type { HubCore } from './hub-types.js';
import type { CreateHubOptions } from './hub-options.js';
import { upstreamRouter } from './message-router.js';
import { MethodCalls } from './method-calls.js';
import { clientIdOf } from './identity-id.js';
import { createAmqpHead } from './amqp/amqp-head.js';
import { createEventHubReader } from './amqp/event-hub-reader.js';
import { partitionOf } from './amqp/event-position.js';
import { EventPartitionIndex } from './store/event-partition-index.js';
import { DEFAULT_PARTITION_COUNT, eventHubName } from './connection-string.js';
import { createMqttHead } from './mqtt/mqtt-head.js';
import { Transport } from './transport.js';
import { Listeners } from './store/listeners.js';
import { createHubThrottles, resolveHubLimits, THROTTLED_ERROR_CODE } from './limits/hub-limits.js';

/**
 * Builds the hub on an opened store: the connection table (given, or a new one), the
 * protocol-neutral handlers, the MQTT and AMQP heads, and the store events the hub reacts to. It
 * accepts clients only once `accept` or `serve` is called, so the caller wires routing first.
 */
export async function createHub(options: CreateHubOptions): Promise<HubCore> {
  const logger = (options.logger ?? silentLogger()).child({ component: 'hub' });
  const clock = options.clock ?? systemClock;
  const { store } = options;
  const hostNames = options.hostNames && options.hostNames.length > 0 ? [...options.hostNames] : ['localhost'];
  const connections = options.connections ?? new ConnectionTable({ clock, logger });
  const methods = new MethodCalls();
  const limits = resolveHubLimits(options.limits);
  const throttles = createHubThrottles(limits, clock);
  const feedback = new C2dFeedback(clock, (e) => logger.error({ err: e }, 'feedback listener failed'));
  const ctx: HandlerContext = { store, router: options.router ?? upstreamRouter(store.messages), methods, connections, feedback, clock, logger, throttles };
  const guard = { handshakeTimeoutMs: limits.handshakeTimeoutMs, maxConnections: limits.maxConnections };
  const acceptedHosts = [...hostNames, 'localhost', '127.0.0.1'];
  const transport = new Transport((stream) => head.accept(stream), logger, guard);
  const head = await createMqttHead(ctx, {
    acceptedHosts,
    writeBufferBytes: limits.writeBufferBytes,
    maxKeepAliveSecs: limits.maxKeepAliveSecs,
    authenticated: (stream) => transport.trust(stream),
  });
  const entityName = eventHubName(hostNames[0]!, options.eventHubs?.entity);
  const policyKey = (name: string) => {
    const policy = store.identities.servicePolicy();
    return name === policy.name ? [policy.primaryKey, policy.secondaryKey] : undefined;
  };
  const partitionCount = Math.max(1, Math.min(options.eventHubs?.partitionCount ?? DEFAULT_PARTITION_COUNT, 32));
  const amqpHead = createAmqpHead(ctx, {
    acceptedHosts,
    hubName: hostNames[0]!,
    policyKey,
    authTimeoutMs: limits.authTimeoutMs,
    authenticated: (stream) => amqpTransport.trust(stream),
    eventHubs: createEventHubReader({
      entity: entityName,
      partitionCount,
      messages: store.messages,
      index: new EventPartitionIndex(store.db, partitionCount, (deviceId) => partitionOf(deviceId, partitionCount)),
      policies: () => ({ hostNames: acceptedHosts, policyKey, now: clock.now() }),
      createdAt: new Date(clock.now()),
      logger,
    }),
  });
  // The same handshake timeout and connection cap as MQTT (docs/hub.md "Limits"): a connection
  // that put a valid token on $cbs is trusted, so idle or unauthenticated ones are evicted first.
  const amqpTransport = new Transport((stream) => amqpHead.accept(stream), logger, guard);

  const identityChanges = new Listeners<void>((e) => logger.error({ err: e }, 'identity-change listener failed'));
  const unsubscribers = [
    store.identities.creations.add(() => identityChanges.emit()),
    store.identities.deletions.add(() => identityChanges.emit()),
    store.twins.onDesiredChanged((change) => pushDesired(ctx, change)),
    // IoT Hub drops the connections of a deleted identity (a device's modules included).
    store.identities.deletions.add((ref) => connections.closeIdentity(ref, 'identity deleted; closing its connection')),
    store.c2d.enqueued.add((m) => {
      const session = connections.get(m.deviceId);
      if (session) deliverC2d(ctx, session);
    }),
  ];

  // No cross-process change detection: while a hub runs, every other process (the CLI, `module
  // run`, `translate`) goes through its service API (service-api/hub-admin.ts), so every write
  // reaches the store through this process and the listeners above see it. The offline
  // administration opens the store only when no hub runs (docs/architecture-rules.md rule 4).
  let closing: Promise<void> | undefined;
  return {
    store,
    messages: store.messages,
    hostName: hostNames[0]!,
    hostNames,
    eventHubName: entityName,
    accept: (stream) => head.accept(stream),
    serve: (server) => transport.serve(server),
    acceptAmqp: (stream) => amqpHead.accept(stream),
    serveAmqp: (server) => amqpTransport.serve(server),
    invokeMethod(call) {
      if (!throttles.methodCalls.allow(clientIdOf(call))) {
        return Promise.resolve({ status: 429, payload: { errorCode: THROTTLED_ERROR_CODE, message: 'direct method calls to this identity are throttled; back off and retry' } });
      }
      const own = ctx.router.ownMethods?.(call);
      if (own) return own(call);
      return methods.invoke(call, (clientId) => {
        const session = connections.get(clientId);
        return session && { connection: session, listens: session.listens('methods'), send: (methodName, rid, body) => session.methodRequest(methodName, rid, body) };
      });
    },
    deliverToModuleInput: (target, inputName, message) => connections.deliverToModuleInput(target, inputName, message),
    sendC2d: (deviceId, message) => sendC2d(ctx, deviceId, message),
    isConnected: (ref) => connections.isConnected(ref) || ctx.router.ownMethods?.(ref) !== undefined,
    connections: () => connections.connections(),
    onConnectionChanged: (listener) => connections.onConnectionChanged(listener),
    onInputsSubscribed: (listener) => connections.onInputsSubscribed(listener),
    onIdentitiesChanged: (listener) => identityChanges.add(listener),
    close() {
      closing ??= (async () => {
        for (const u of unsubscribers) u();
        methods.cancelAll('the hub is shutting down');
        await transport.close();
        await amqpHead.close();
        await amqpTransport.close();
        await head.close();
        store.messages.flush();
        logger.info('hub stopped');
      })();
      return closing;
    },
  };
}
