import { silentLogger } from '../log/create-logger.js';
import { systemClock } from '../clock.js';
import { ConnectionTable } from './connection-table.js';
import { HubError } from './errors.js';
import { deliverC2d } from './handlers/c2d-delivery.js';
import { pushDesired } from './handlers/desired-push.js';
import type { HandlerContext } from './handlers/handler-context.js';
import type { HubCore } from './hub-types.js';
import type { CreateHubOptions } from './hub-options.js';
import { upstreamRouter } from './message-router.js';
import { MethodCalls } from './method-calls.js';
import { createMqttHead } from './mqtt/mqtt-head.js';
import { Transport } from './transport.js';
import { Listeners } from './store/listeners.js';

/**
 * Builds the hub on an opened store: the connection table (given, or a new one), the
 * protocol-neutral handlers and the MQTT head, and the store events the hub reacts to. It
 * accepts clients only once `accept` or `serve` is called, so the caller wires routing first.
 */
export async function createHub(options: CreateHubOptions): Promise<HubCore> {
  const logger = (options.logger ?? silentLogger()).child({ component: 'hub' });
  const clock = options.clock ?? systemClock;
  const { store } = options;
  const hostNames = options.hostNames && options.hostNames.length > 0 ? [...options.hostNames] : ['localhost'];
  const connections = options.connections ?? new ConnectionTable({ clock, logger });
  const methods = new MethodCalls();
  const ctx: HandlerContext = { store, router: options.router ?? upstreamRouter(store.messages), methods, connections, clock, logger };
  const head = await createMqttHead(ctx, { acceptedHosts: [...hostNames, 'localhost', '127.0.0.1'] });
  const transport = new Transport((stream) => head.accept(stream), logger);

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
    accept: (stream) => head.accept(stream),
    serve: (server) => transport.serve(server),
    invokeMethod(call) {
      const own = ctx.router.ownMethods?.(call);
      if (own) return own(call);
      return methods.invoke(call, (clientId) => {
        const session = connections.get(clientId);
        return session && { listens: session.listens('methods'), send: (methodName, rid, body) => session.methodRequest(methodName, rid, body) };
      });
    },
    deliverToModuleInput: (target, inputName, message) => connections.deliverToModuleInput(target, inputName, message),
    sendC2d(deviceId, message) {
      if (!store.identities.get({ deviceId })) throw new HubError('HUB_DEVICE_NOT_FOUND', `device ${deviceId} does not exist`);
      return store.c2d.enqueue(deviceId, message);
    },
    isConnected: (ref) => connections.isConnected(ref) || ctx.router.ownMethods?.(ref) !== undefined,
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
        await head.close();
        store.messages.flush();
        logger.info('hub stopped');
      })();
      return closing;
    },
  };
}
