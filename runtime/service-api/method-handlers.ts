import type { ServiceBackend, MethodCall } from './service-backend.js';
import type { RequestContext, ApiResult } from './start-service-api.js';
import { apiErrors } from './service-api-error.js';
import { isJsonObject } from './read-body.js';

/** Pause between attempts while waiting for an offline target (connectTimeoutInSeconds). */
const RETRY_MS = 50;
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** IoT Hub's limits on direct methods (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-direct-methods). */
export const METHOD_LIMITS = {
  /** Request payload, serialized (128 KB). */
  maxPayloadBytes: 128 * 1024,
  /** IoT Hub accepts 5–300 s; edgemu also accepts 1–4 s so tests need not wait 5 s for a timeout. */
  minTimeoutSeconds: 1,
  maxTimeoutSeconds: 300,
  defaultTimeoutSeconds: 30,
  maxNameLength: 100,
} as const;

/**
 * Reads a method invocation body `{ methodName, payload, responseTimeoutInSeconds,
 * connectTimeoutInSeconds }` as the azure-iothub SDK's `DeviceMethod` sends it. The name
 * becomes an MQTT topic level (`$iothub/methods/POST/{name}/`), so `/`, `#`, `+` and control
 * characters are refused.
 */
export function parseMethodCall(body: unknown, target: { deviceId: string; moduleId?: string | undefined }): MethodCall {
  if (!isJsonObject(body)) throw apiErrors.badRequest('The method invocation must be a JSON object.');
  const name = body.methodName;
  if (typeof name !== 'string' || name === '') throw apiErrors.badRequest('methodName is required and must be a non-empty string.');
  if (name.length > METHOD_LIMITS.maxNameLength) throw apiErrors.badRequest(`methodName is longer than ${METHOD_LIMITS.maxNameLength} characters.`);
  // eslint-disable-next-line no-control-regex
  if (/[/#+\u0000-\u001f\u007f]/.test(name)) throw apiErrors.badRequest("methodName may not contain '/', '#', '+' or control characters.");
  const timeout = body.responseTimeoutInSeconds ?? METHOD_LIMITS.defaultTimeoutSeconds;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < METHOD_LIMITS.minTimeoutSeconds || timeout > METHOD_LIMITS.maxTimeoutSeconds) {
    throw apiErrors.badRequest(`responseTimeoutInSeconds must be a number from ${METHOD_LIMITS.minTimeoutSeconds} to ${METHOD_LIMITS.maxTimeoutSeconds}.`);
  }
  const connect = body.connectTimeoutInSeconds ?? 0;
  if (typeof connect !== 'number' || !Number.isFinite(connect) || connect < 0 || connect > METHOD_LIMITS.maxTimeoutSeconds) {
    throw apiErrors.badRequest(`connectTimeoutInSeconds must be a number from 0 to ${METHOD_LIMITS.maxTimeoutSeconds}.`);
  }
  const payload = body.payload === undefined ? null : body.payload;
  if (Buffer.byteLength(JSON.stringify(payload)) > METHOD_LIMITS.maxPayloadBytes) {
    throw apiErrors.tooLarge(METHOD_LIMITS.maxPayloadBytes);
  }
  return {
    deviceId: target.deviceId,
    moduleId: target.moduleId,
    methodName: name,
    payload,
    timeoutMs: Math.round(timeout * 1000),
    connectTimeoutMs: Math.round(connect * 1000),
  };
}

/**
 * `POST /twins/{id}[/modules/{mid}]/methods`: invokes a direct method through the hub and
 * answers `{status, payload}` with 200 whatever status the device chose; 404 `DeviceNotFound`
 * / `ModuleNotFound` for an unknown identity, 404 `DeviceNotOnline` when it is not connected
 * (within connectTimeoutInSeconds, default 0), 504 `GatewayTimeout` when it does not answer.
 */
export function methodHandlers(backend: ServiceBackend) {
  const invoke = async (ctx: RequestContext): Promise<ApiResult> => {
    const { deviceId, moduleId } = ctx.params;
    const call = parseMethodCall(await ctx.readJson(), { deviceId: deviceId!, moduleId });
    const ref = { deviceId: call.deviceId, moduleId: call.moduleId };
    if (!backend.store.identities.get(ref)) {
      throw call.moduleId && backend.store.identities.get({ deviceId: call.deviceId })
        ? apiErrors.moduleNotFound(call.deviceId, call.moduleId)
        : apiErrors.deviceNotFound(call.deviceId);
    }
    const target = call.moduleId ? `Module ${call.deviceId}/${call.moduleId}` : `Device ${call.deviceId}`;
    // connectTimeoutInSeconds > 0: IoT Hub waits that long for an offline target to connect and
    // subscribe to methods; edgemu waits for the connection, then retries while the hub still
    // answers "not listening" (the SDK subscribes just after connecting).
    const deadline = Date.now() + (call.connectTimeoutMs ?? 0);
    let answer;
    for (;;) {
      if (!backend.isConnected(ref)) {
        const left = deadline - Date.now();
        const waited = left > 0 && backend.waitConnected ? await backend.waitConnected(ref, left, ctx.signal) : false;
        if (!waited) throw apiErrors.notOnline(target);
      }
      try {
        answer = await backend.invokeMethod(call);
        break;
      } catch (error) {
        const status = (error as { status?: unknown } | null)?.status;
        if (status === 404 && Date.now() + RETRY_MS < deadline && !ctx.signal.aborted) {
          await pause(RETRY_MS);
          continue;
        }
        if (status === 404) throw apiErrors.notOnline(target);
        if (status === 504) throw apiErrors.timeout(`${target} did not answer method '${call.methodName}' within ${call.timeoutMs / 1000} s.`);
        throw error;
      }
    }
    return { status: 200, json: { status: answer.status, payload: answer.payload ?? null } };
  };
  return { invokeDeviceMethod: invoke, invokeModuleMethod: invoke };
}
