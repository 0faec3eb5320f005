import type { HubStore } from './store/hub-store.js';
import { readDiscovery } from './discovery.js';
import { DEFAULT_AMQPS_PORT, DEFAULT_HTTPS_PORT, DEFAULT_MQTTS_PORT, formatDeviceConnectionString, formatServiceConnectionString, hostWithPort } from './connection-string.js';
import { HubError } from './errors.js';
import type { IdentityRef } from './identity-id.js';

/** Where clients reach the hub of a state dir: the running hub's ports, else the last ones used, else the defaults. */
export interface HubAddress {
  hostName: string;
  mqttsPort: number;
  httpsPort: number;
  /** The AMQP over TLS port (AMQP device SDKs, service SDK C2D, the Event Hubs-compatible endpoint). */
  amqpsPort: number;
  running: boolean;
}

/** Settings keys a starting hub records in the store so offline CLI commands print the right address. */
export const SETTING_HOST_NAME = 'hostName';
export const SETTING_MQTTS_PORT = 'mqttsPort';
export const SETTING_HTTPS_PORT = 'httpsPort';
export const SETTING_AMQPS_PORT = 'amqpsPort';

export function resolveHubAddress(store: HubStore): HubAddress {
  const running = readDiscovery(store.stateDir);
  if (running) {
    return { hostName: running.hostName, mqttsPort: running.mqttsPort, httpsPort: running.httpsPort ?? DEFAULT_HTTPS_PORT, amqpsPort: running.amqpsPort ?? DEFAULT_AMQPS_PORT, running: true };
  }
  const s = store.identities;
  return {
    hostName: s.getSetting(SETTING_HOST_NAME) ?? 'localhost',
    mqttsPort: Number(s.getSetting(SETTING_MQTTS_PORT) ?? DEFAULT_MQTTS_PORT),
    httpsPort: Number(s.getSetting(SETTING_HTTPS_PORT) ?? DEFAULT_HTTPS_PORT),
    amqpsPort: Number(s.getSetting(SETTING_AMQPS_PORT) ?? DEFAULT_AMQPS_PORT),
    running: false,
  };
}

/**
 * The connection string of a device or module, as the Azure IoT device SDK uses it unchanged:
 * `HostName=<host>[:<mqtts port>]` (port left out when 8883). Throws HUB_DEVICE/MODULE_NOT_FOUND.
 */
export function deviceConnectionString(store: HubStore, ref: IdentityRef, address = resolveHubAddress(store)): string {
  const identity = store.identities.get(ref);
  if (!identity) {
    throw ref.moduleId
      ? new HubError('HUB_MODULE_NOT_FOUND', `module ${ref.deviceId}/${ref.moduleId} does not exist`)
      : new HubError('HUB_DEVICE_NOT_FOUND', `device ${ref.deviceId} does not exist`);
  }
  return formatDeviceConnectionString({
    hostName: hostWithPort(address.hostName, address.mqttsPort, DEFAULT_MQTTS_PORT),
    deviceId: ref.deviceId,
    moduleId: ref.moduleId,
    key: identity.primaryKey,
  });
}

/**
 * The `iothubowner` service connection string. HostName carries the service API's HTTPS port
 * unless it is 443, the port the azure-iothub SDK assumes (its service connection strings carry no port).
 */
export function serviceConnectionString(store: HubStore, address = resolveHubAddress(store)): string {
  const policy = store.identities.servicePolicy();
  return formatServiceConnectionString({
    hostName: hostWithPort(address.hostName, address.httpsPort, 443),
    policyName: policy.name,
    key: policy.primaryKey,
  });
}
