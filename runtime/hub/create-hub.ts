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
import { clientIdOf } from './identity-id.js';
import { createMqttHead } from './mqtt/mqtt-head.js';
import { Transport } from './transport.js';
import { Listeners } from './store/listeners.js';
import { createHubThrottles, resolveHubLimits, THROTTLED_ERROR_CODE } from './limits/hub-limits.js';

/** IoT Hub's longest C2D time to live: 2 days (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling, "Other limits"). */
export const MAX_C2D_TTL_MS = 2 * 24 * 3600 * 1000;

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
  const limits = resolveHubLimits(options.limits);
  const throttles = createHubThrottles(limits, clock);
  const ctx: HandlerContext = { store, router: options.router ?? upstreamRouter(store.messages), methods, connections, clock, logger, throttles };
  const transport = new Transport((stream) => head.accept(stream), logger, { handshakeTimeoutMs: limits.handshakeTimeoutMs, maxConnections: limits.maxConnections });
  const head = await createMqttHead(ctx, {
    acceptedHosts: [...hostNames, 'localhost', '127.0.0.1'],
    writeBufferBytes: limits.writeBufferBytes,
    maxKeepAliveSecs: limits.maxKeepAliveSecs,
    authenticated: (stream) => transport.trust(stream),
  });

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
    accept: (stream) => head.accept(stream),
    serve: (server) => transport.serve(server),
    invokeMethod(call) {
      if (!throttles.methodCalls.allow(clientIdOf(call))) {
        return Promise.resolve({ status: 429, payload: { errorCode: THROTTLED_ERROR_CODE, message: 'direct method calls to this identity are throttled; back off and retry' } });
      }
      return methods.invoke(call, (clientId) => {
        const session = connections.get(clientId);
        return session && { connection: session, listens: session.listens('methods'), send: (methodName, rid, body) => session.methodRequest(methodName, rid, body) };
      });
    },
    deliverToModuleInput: (target, inputName, message) => connections.deliverToModuleInput(target, inputName, message),
    sendC2d(deviceId, message) {
      if (!store.identities.get({ deviceId })) throw new HubError('HUB_DEVICE_NOT_FOUND', `device ${deviceId} does not exist`);
      if (message.ttlMs !== undefined && !(message.ttlMs > 0 && message.ttlMs <= MAX_C2D_TTL_MS)) {
        throw new HubError('HUB_INVALID_ID', `a C2D message's time to live must be from 1 ms to ${MAX_C2D_TTL_MS} ms (2 days, IoT Hub's maximum)`);
      }
      if (!throttles.c2dSends.allow(deviceId)) throw new HubError('HUB_THROTTLED', `C2D sends to ${deviceId} are throttled; back off and retry`);
      return store.c2d.enqueue(deviceId, message);
    },
    isConnected: (ref) => connections.isConnected(ref),
    connections: () => connections.connections(),
    onConnectionChanged: (listener) => connections.onConnectionChanged(listener),
    onInputsSubscribed: (listener) => connections.onInputsSubscribed(listener),
    onIdentitiesChanged: (listener) => identityChanges.add(listener),
    close() {
      closing ??= (async () => {
        for (const u of unsubscribers) u();
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
