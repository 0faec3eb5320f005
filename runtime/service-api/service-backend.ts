import type { HubStore, IdentityRef } from '../hub/index.js';

/** A direct-method call as the service API passes it to the hub. */
export interface MethodCall {
  deviceId: string;
  moduleId?: string | undefined;
  methodName: string;
  payload: unknown;
  /** How long the device has to answer, in ms. */
  timeoutMs: number;
  /** How long to wait for an offline target to connect first, in ms (IoT Hub's connectTimeoutInSeconds; 0 = 404 at once). */
  connectTimeoutMs?: number;
}

/** The device's answer: any status it picked and its JSON payload. */
export interface MethodAnswer {
  status: number;
  payload: unknown;
}

/**
 * Everything the service API needs from the hub: its store (registry, twins, telemetry, C2D
 * queues — the same objects the MQTT side uses, so a desired change reaches a connected
 * client through one code path and a queued C2D message is delivered by the hub), live
 * connection state, and method invocation. The composition root
 * (`runtime/server/start-server.ts`) builds it from a running hub.
 */
export interface ServiceBackend {
  store: HubStore;
  isConnected(ref: IdentityRef): boolean;
  /** Resolves with the device's answer; rejects 404-style when not connected, 504-style on timeout. */
  invokeMethod(call: MethodCall): Promise<MethodAnswer>;
  /** Resolves true once the identity is connected (at once if it is), false after `timeoutMs` or on abort. */
  waitConnected?(ref: IdentityRef, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
}
