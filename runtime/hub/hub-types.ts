import type { HubStore } from './store/hub-store.js';
import type { MessageStore } from './store/message-store.js';
import type { C2dMessage, C2dSend } from './store/c2d-queue.js';
import type { IdentityRef } from './identity-id.js';
import type { Duplex } from 'node:stream';
import type { Server as NetServer } from 'node:net';

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

/** A module identity (device + module). */
export interface ModuleRef {
  deviceId: string;
  moduleId: string;
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
  /** Both maps already encoded as an MQTT property bag (`encodePropertyBag`), when the sender made it: not encoded again. */
  propertyBag?: string;
}

/**
 * What routing needs from the hub: module input delivery and the connection events (the
 * connection table implements it). Messages travel in one shape: `HubMessage` into the router,
 * `InputMessage` out to a module.
 */
export interface HubConnections {
  /**
   * Delivers a message to a module input (`devices/<d>/modules/<m>/inputs/<input>/<props>`,
   * QoS 1) and resolves once the module acknowledged it. Rejects with HUB_NOT_CONNECTED when
   * the module is not connected or not listening for inputs, or disconnects before its PUBACK.
   */
  deliverToModuleInput(target: ModuleRef, inputName: string, message: InputMessage): Promise<void>;
  /** Connection and disconnection of every device/module; returns unsubscribe. */
  onConnectionChanged(listener: (event: ConnectionEvent) => void): () => void;
  /**
   * A module started listening for input messages (fired after its `Connected` event, once
   * per granted SUBSCRIBE or restored session); routing drains its queue then. Returns unsubscribe.
   */
  onInputsSubscribed(listener: (event: InputsSubscribedEvent) => void): () => void;
  /** Who is connected now. */
  connections(): ConnectionInfo[];
}

/**
 * The embedded IoT Hub without its listener: IoT Hub's MQTT dialect (aedes) for the unmodified
 * Azure IoT device SDKs, reachable through `accept` (any duplex stream) or `serve` (a net or TLS
 * server the caller created and listens with).
 */
export interface HubCore extends HubConnections {
  readonly store: HubStore;
  /** Telemetry read/subscribe API (`edgemu monitor`, the service API's event stream). */
  readonly messages: MessageStore;
  /** The hub host name (connection strings, SAS audience). */
  readonly hostName: string;
  readonly hostNames: readonly string[];
  /** The Event Hub-compatible name of the built-in endpoint (`EntityPath`, on the AMQP listener). */
  readonly eventHubName: string;
  /** Speaks MQTT with one client over `stream` (a TLS socket, or an in-memory duplex in tests). */
  accept(stream: Duplex): void;
  /** Hands every connection `server` accepts to `accept` (TLS servers: after the handshake). */
  serve(server: NetServer): void;
  /** Speaks IoT Hub's AMQP dialect with one client over `stream` (docs/hub.md "AMQP"). */
  acceptAmqp(stream: Duplex): void;
  /** Hands every connection `server` accepts to `acceptAmqp` (TLS servers: after the handshake). */
  serveAmqp(server: NetServer): void;
  /** Calls a direct method on a connected device or module. Never throws for device behaviour: 404/504 are results. */
  invokeMethod(call: MethodInvocation): Promise<MethodResult>;
  /** Queues a cloud-to-device message (delivered now if the device listens, else on connect). Throws HUB_DEVICE_NOT_FOUND / HUB_QUEUE_FULL. */
  sendC2d(deviceId: string, message: C2dSend): C2dMessage;
  isConnected(ref: IdentityRef): boolean;
  /**
   * Identities were created or deleted — in this process, or by another process writing the
   * same hub.db (the agent host starts and stops edge agents on it). Returns unsubscribe.
   */
  onIdentitiesChanged(listener: () => void): () => void;
  /** Disconnects everyone and stops; the store stays open (its opener closes it). */
  close(): Promise<void>;
}

/** A running embedded IoT Hub listening for MQTT over TLS (`startHub`). */
export interface Hub extends HubCore {
  readonly mqttsPort: number;
  /** The AMQP over TLS port, when the hub listens for AMQP (`amqpsPort` given). */
  readonly amqpsPort: number | undefined;
  /** Absolute path of the CA certificate (DIR/ca.pem) and its PEM text. */
  readonly caFile: string;
  readonly caCert: string;
  /** Stops listening, disconnects everyone (the store stays open). */
  close(): Promise<void>;
}
