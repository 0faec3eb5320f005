import type { Clock } from '../clock.js';
import type { Logger } from '../log/create-logger.js';
import type { Hub } from '../hub/start-hub.js';
import { EdgeRouter } from './edge-router.js';

export interface AttachRouterOptions {
  /** Where `routing.db` lives; default the hub store's state dir. */
  stateDir?: string;
  logger?: Logger;
  clock?: Clock;
  /** See `EdgeRouterOptions.retryDelayMs`. */
  retryDelayMs?: number;
  /** See `EdgeRouterOptions.maxRetryDelayMs`. */
  maxRetryDelayMs?: number;
}

/**
 * Plugs edgeHub routing into a running hub (the composition root calls this once): the
 * router becomes the hub's message seam (`setMessageRouter`, awaited before each PUBACK),
 * delivers through `hub.deliverToModuleInput`, stores `$upstream` telemetry in the hub's
 * message store, and follows connection events for store-and-forward and `$edgeHub` clients.
 * Close the returned router before the hub.
 */
export function attachRouter(hub: Hub, options: AttachRouterOptions = {}): EdgeRouter {
  const router = new EdgeRouter({
    store: hub.store,
    stateDir: options.stateDir ?? hub.store.stateDir,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    ...(options.maxRetryDelayMs !== undefined ? { maxRetryDelayMs: options.maxRetryDelayMs } : {}),
    hub: {
      deliverToModuleInput: (target, inputName, message) => hub.deliverToModuleInput(target.deviceId, target.moduleId, inputName, message),
      storeUpstream: (message) => hub.messages.enqueue(message, '$upstream'),
      onConnectionChanged: (listener) => hub.onConnectionChanged(listener),
      onInputsSubscribed: (listener) => hub.onInputsSubscribed(listener),
      connections: () => hub.connections(),
    },
  });
  hub.setMessageRouter(router);
  return router;
}
