import type { Logger } from '../log/create-logger.js';
import type { Clock } from '../clock.js';
import type { HubStore } from './store/hub-store.js';
import type { MessageRouter } from './message-router.js';
import type { ConnectionTable } from './connection-table.js';
import type { HubLimits } from './limits/hub-limits.js';

/** What every hub needs, however it is reached (`createHub`). */
export interface CreateHubOptions {
  /** The store, opened by the composition root (the hub never opens or closes it). */
  store: HubStore;
  /** Names the hub is reached by; the first is the hub host name in connection strings (default `localhost`). */
  hostNames?: readonly string[];
  logger?: Logger;
  clock?: Clock;
  /** Where accepted telemetry goes (routing); default: the message store as `$upstream`. */
  router?: MessageRouter;
  /** The live-connection table, when the composition root created it first (routing and the store's `connectionState` read it). */
  connections?: ConnectionTable;
  /** Limits against slow, stalled and greedy clients (defaults: `DEFAULT_HUB_LIMITS`, docs/hub.md "Limits"). */
  limits?: Partial<HubLimits>;
  /**
   * The Event Hubs-compatible endpoint on the AMQP listener: its name (`EntityPath`, default the
   * first label of the hub host name, e.g. `localhost`) and partition count (default 4, as IoT Hub).
   */
  eventHubs?: { entity?: string; partitionCount?: number } | undefined;
}

/** `startHub`: a hub with its MQTT-over-TLS listener. */
export interface StartHubOptions extends CreateHubOptions {
  /** State directory of the TLS material (ca.pem, server.pem, …). */
  stateDir: string;
  /** MQTT over TLS port; 0 picks a free one; default 8883. */
  mqttsPort?: number;
  /** AMQP over TLS port (IoT Hub: 5671); 0 picks a free one; undefined = no AMQP listener. */
  amqpsPort?: number | undefined;
  /** Address to listen on (default `0.0.0.0`; tests use `127.0.0.1`). */
  bindAddress?: string;
  /** Several addresses to listen on, all on the same port (overrides `bindAddress`). */
  bindAddresses?: readonly string[];
  /** Extra names and IP addresses for the server certificate's SANs (beyond `hostNames`). */
  extraSubjectAltNames?: readonly string[];
}
