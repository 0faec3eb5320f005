import type { Logger } from '../log/create-logger.js';
import type { Clock } from '../clock.js';
import type { HubStore } from './store/hub-store.js';
import type { MessageStore } from './store/message-store.js';
import type { C2dMessage, C2dSend } from './store/c2d-queue.js';
import type { IdentityRef } from './identity-id.js';
import type { MessageRouter } from './message-router.js';

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
  /** How often to look for writes by other processes (deleted identities, queued C2D); default 1000 ms. */
  externalWritePollMs?: number;
}

/** A connected client as the hub sees it. */
export interface ConnectionInfo {
  clientId: string;
  deviceId: string;
  moduleId?: string | undefined;
  connectedTimeUtc: string;
  /** A module holding its inputs subscription (input messages can be delivered to it). */
  listensForInputs: boolean;
}

/**
 * A module can now receive input messages: its SUBSCRIBE to `devices/<d>/modules/<m>/inputs/#`
 * was granted, or it reconnected with a persisted session that holds it.
 */
export interface InputsSubscribedEvent {
  clientId: string;
  deviceId: string;
  moduleId: string;
}

/** A module or device connected or disconnected (for `$edgeHub` reported `clients`). */
export interface ConnectionEvent {
  clientId: string;
  deviceId: string;
  moduleId?: string | undefined;
  status: 'Connected' | 'Disconnected';
  timeUtc: string;
}

/** A direct method call (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-direct-methods). */
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
  /**
   * A module started listening for input messages (fired after its `Connected` event, once
   * per granted SUBSCRIBE or restored session); routing drains its queue then. Returns unsubscribe.
   */
  onInputsSubscribed(listener: (event: InputsSubscribedEvent) => void): () => void;
  /** Stops listening, disconnects everyone, closes the store when the hub opened it. */
  close(): Promise<void>;
}
