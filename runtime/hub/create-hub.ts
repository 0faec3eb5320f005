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
import { createAmqpHead } from './amqp/amqp-head.js';
import { createEventHubReader } from './amqp/event-hub-reader.js';
import { DEFAULT_PARTITION_COUNT, eventHubName } from './connection-string.js';
import { createMqttHead } from './mqtt/mqtt-head.js';
import { Transport } from './transport.js';
import { Listeners } from './store/listeners.js';

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
  const feedback = new C2dFeedback(clock, (e) => logger.error({ err: e }, 'feedback listener failed'));
  const ctx: HandlerContext = { store, router: options.router ?? upstreamRouter(store.messages), methods, connections, feedback, clock, logger };
  const head = await createMqttHead(ctx, { acceptedHosts: [...hostNames, 'localhost', '127.0.0.1'] });
  const transport = new Transport((stream) => head.accept(stream), logger);
  const acceptedHosts = [...hostNames, 'localhost', '127.0.0.1'];
  const entityName = eventHubName(hostNames[0]!, options.eventHubs?.entity);
  const policyKey = (name: string) => {
    const policy = store.identities.servicePolicy();
    return name === policy.name ? [policy.primaryKey, policy.secondaryKey] : undefined;
  };
  const amqpHead = createAmqpHead(ctx, {
    acceptedHosts,
    hubName: hostNames[0]!,
    policyKey,
    eventHubs: createEventHubReader({
      entity: entityName,
      partitionCount: Math.max(1, Math.min(options.eventHubs?.partitionCount ?? DEFAULT_PARTITION_COUNT, 32)),
      messages: store.messages,
      policies: () => ({ hostNames: acceptedHosts, policyKey, now: clock.now() }),
      createdAt: new Date(clock.now()),
      logger,
    }),
  });
  const amqpTransport = new Transport((stream) => amqpHead.accept(stream), logger);

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

  // Still needed: `edgemu identity create|list|delete` and `status`/`connection-string` open
  // hub.db in their own process (the service client has no identity routes yet), so a hub
  // running on the same state dir learns of their writes here: when SQLite reports a commit
  // from another connection, connections of identities deleted there are closed, C2D messages
  // queued there are delivered, and identity listeners (the agent host) are told.
  let externalWrites: NodeJS.Timeout | undefined;
  if ((options.externalWritePollMs ?? 1000) > 0) {
    let dataVersion = store.db.pragma('data_version', { simple: true }) as number;
    externalWrites = setInterval(() => {
      const now = store.db.pragma('data_version', { simple: true }) as number;
      if (now === dataVersion) return;
      dataVersion = now;
      identityChanges.emit();
      for (const session of connections.sessions()) {
        if (!store.identities.get(session.identity)) {
          logger.info({ clientId: session.clientId }, 'identity deleted by another process; closing its connection');
          session.close();
        } else {
          deliverC2d(ctx, session);
        }
      }
    }, options.externalWritePollMs ?? 1000);
    externalWrites.unref();
  }

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
      return methods.invoke(call, (clientId) => {
        const session = connections.get(clientId);
        return session && { listens: session.listens('methods'), send: (methodName, rid, body) => session.methodRequest(methodName, rid, body) };
      });
    },
    deliverToModuleInput: (target, inputName, message) => connections.deliverToModuleInput(target, inputName, message),
    sendC2d: (deviceId, message) => sendC2d(ctx, deviceId, message),
    isConnected: (ref) => connections.isConnected(ref),
    connections: () => connections.connections(),
    onConnectionChanged: (listener) => connections.onConnectionChanged(listener),
    onInputsSubscribed: (listener) => connections.onInputsSubscribed(listener),
    onIdentitiesChanged: (listener) => identityChanges.add(listener),
    close() {
      closing ??= (async () => {
        for (const u of unsubscribers) u();
        if (externalWrites) clearInterval(externalWrites);
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
