import type { MethodInvocation, MethodResult } from './hub-types.js';
import { clientIdOf } from './identity-id.js';

/** IoT Hub's bounds (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-direct-methods): JSON payloads ≤ 128 KB, timeouts up to 300 s (default 30 s). */
export const MAX_METHOD_PAYLOAD_BYTES = 128 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 300_000;

/** How a method call reaches its target connection (found by client id). */
export interface MethodTarget {
  /** The connection asked (any object unique to it, e.g. its session): only it may answer. */
  connection: object;
  /** Whether the connection listens for direct methods (MQTT: subscribed to `$iothub/methods/POST/#`). */
  listens: boolean;
  /** Sends the request to exactly this connection (the protocol head picks the wire form). */
  send(methodName: string, rid: string, body: string): void;
}

interface Pending {
  connection: object;
  resolve: (r: MethodResult) => void;
  timer: NodeJS.Timeout;
}

/**
 * Direct method calls in flight: request ids, the answer matched to the connection that was
 * asked — the connection itself, not its client id, so a later connection of the same identity
 * cannot answer a request it never got — and IoT Hub's status codes for what
 * the device does not answer — 404 not connected or not listening, 504 timed out, 400 for a
 * request IoT Hub would refuse.
 */
export class MethodCalls {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;

  invoke(call: MethodInvocation, targetOf: (clientId: string) => MethodTarget | undefined): Promise<MethodResult> {
    const clientId = clientIdOf(call);
    if (!/^[^/#+\s]{1,128}$/.test(call.methodName)) {
      return Promise.resolve({ status: 400, payload: { errorCode: 400027, message: `invalid method name ${JSON.stringify(call.methodName)}` } });
    }
    const body = JSON.stringify(call.payload ?? null);
    if (Buffer.byteLength(body) > MAX_METHOD_PAYLOAD_BYTES) {
      return Promise.resolve({ status: 400, payload: { errorCode: 400028, message: 'method payload larger than 128 KB' } });
    }
    const target = targetOf(clientId);
    if (!target) return Promise.resolve({ status: 404, payload: { errorCode: 404103, message: `${clientId} is not connected` } });
    // IoT Hub only calls methods on clients subscribed to them (the SDK subscribes on its first onMethod).
    if (!target.listens) {
      return Promise.resolve({ status: 404, payload: { errorCode: 404103, message: `${clientId} is connected but not listening for direct methods` } });
    }
    const timeoutMs = Math.min(Math.max(call.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1), MAX_TIMEOUT_MS);
    const rid = (++this.counter).toString(16);
    return new Promise<MethodResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        resolve({ status: 504, payload: { errorCode: 504101, message: `timed out after ${timeoutMs} ms waiting for ${clientId} to answer ${call.methodName}` } });
      }, timeoutMs);
      this.pending.set(rid, { connection: target.connection, resolve, timer });
      target.send(call.methodName, rid, body);
    });
  }

  /** An answer `$iothub/methods/res/<status>/?$rid=<rid>` from `connection`. */
  answer(connection: object, rid: string, status: number, payload: Buffer): void {
    const p = this.pending.get(rid);
    if (!p || p.connection !== connection) return;
    this.pending.delete(rid);
    clearTimeout(p.timer);
    p.resolve({ status, payload: parseJsonLoose(payload) });
  }

  /** Ends every call in flight with 504 (hub shutdown). */
  cancelAll(message: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ status: 504, payload: { errorCode: 504101, message } });
    }
    this.pending.clear();
  }
}

/** A JSON payload, or the text when it is not JSON, or null when empty. */
function parseJsonLoose(payload: Buffer): unknown {
  if (payload.length === 0) return null;
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
