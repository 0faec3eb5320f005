import type { Hub } from '../hub/index.js';
import { ensureTlsMaterial, HubError, THROTTLED_ERROR_CODE } from '../hub/index.js';
import type { Logger } from '../log/create-logger.js';
import { silentLogger } from '../log/create-logger.js';
import { systemClock, type Clock } from '../clock.js';
import { startServiceApi, type ServiceApi, type ServiceApiLimits } from './start-service-api.js';
import { createHandlers } from './create-handlers.js';
import type { ServiceBackend } from './service-backend.js';
import { apiErrors } from './service-api-error.js';
import type { WebFront } from './web-front.js';

/** IoT Hub's error codes in the hub's own method results (not-connected and timed-out answers). */
const DEVICE_NOT_ONLINE = 404103;
const GATEWAY_TIMEOUT = 504101;
const INVALID_METHOD_NAME = 400027;

const errorCodeOf = (payload: unknown): unknown => (typeof payload === 'object' && payload !== null ? (payload as { errorCode?: unknown }).errorCode : undefined);

/**
 * The service API's view of a running hub. The hub reports "not connected", "throttled" and
 * "timed out" as method results carrying IoT Hub's error codes (404103, 429001, 504101); those
 * become errors here so the REST answer is 404/429/504, while any status the device itself chose stays a 200 result.
 */
export function hubServiceBackend(hub: Hub): ServiceBackend {
  return {
    store: hub.store,
    isConnected: (ref) => hub.isConnected(ref),
    waitConnected(ref, timeoutMs, signal) {
      if (hub.isConnected(ref)) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const finish = (connected: boolean) => {
          clearTimeout(timer);
          off();
          signal.removeEventListener('abort', onAbort);
          resolve(connected);
        };
        const off = hub.onConnectionChanged((e) => {
          if (e.status === 'Connected' && e.deviceId === ref.deviceId && (e.moduleId ?? undefined) === (ref.moduleId ?? undefined)) finish(true);
        });
        const timer = setTimeout(() => finish(false), timeoutMs);
        const onAbort = () => finish(false);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    async invokeMethod(call) {
      const result = await hub.invokeMethod(call);
      const code = errorCodeOf(result.payload);
      if (result.status === 404 && code === DEVICE_NOT_ONLINE) throw Object.assign(new Error('not connected'), { status: 404 });
      if (result.status === 429 && code === THROTTLED_ERROR_CODE) throw new HubError('HUB_THROTTLED', `direct method calls to ${call.deviceId}${call.moduleId ? `/${call.moduleId}` : ''} are throttled; back off and retry`);
      if (result.status === 504 && code === GATEWAY_TIMEOUT) throw Object.assign(new Error('timed out'), { status: 504 });
      if (result.status === 400 && code === INVALID_METHOD_NAME) throw apiErrors.badRequest(`Invalid method name '${call.methodName.slice(0, 100)}'.`);
      return result;
    },
  };
}

export interface StartHubServiceApiOptions {
  hub: Hub;
  /** State dir of the hub (its TLS material is reused, so clients trust the same ca.pem). */
  stateDir: string;
  /** HTTPS port; 0 picks a free one (default 8443). */
  httpsPort: number;
  /** Address to listen on (default: the hub's choice, all interfaces). */
  bindAddress?: string;
  logger?: Logger;
  clock?: Clock;
  limits?: Partial<ServiceApiLimits>;
  /** Builds the web view served on the same port (runtime/web/), given the host names and policy keys tokens are checked against. */
  web?: (auth: { hostNames: readonly string[]; policyKey(name: string): readonly string[] | undefined }) => WebFront;
}

/**
 * Starts the service API for a running hub: HTTPS with the hub's server certificate, SAS
 * checked against the store's `iothubowner` policy and the hub's host names. The composition
 * root (`runtime/server/start-server.ts`) calls this next to `startHub`.
 */
export async function startHubServiceApi(options: StartHubServiceApiOptions): Promise<ServiceApi> {
  const { hub } = options;
  const tls = await ensureTlsMaterial(options.stateDir, hub.hostNames);
  const hostNames = [...new Set([...hub.hostNames, 'localhost', '127.0.0.1'])];
  const policyKey = (name: string): readonly string[] | undefined => {
    const policy = hub.store.identities.servicePolicy();
    return name === policy.name ? [policy.primaryKey, policy.secondaryKey] : undefined;
  };
  return startServiceApi({
    tls: { key: tls.serverKey, cert: tls.serverCert },
    port: options.httpsPort,
    ...(options.bindAddress ? { host: options.bindAddress } : {}),
    hostNames,
    policyKey,
    handlers: createHandlers(hubServiceBackend(hub)),
    logger: options.logger ?? silentLogger(),
    clock: options.clock ?? systemClock,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.web ? { web: options.web({ hostNames, policyKey }) } : {}),
  });
}
