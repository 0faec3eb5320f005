import { HubError } from './errors.js';

/** Default ports: a port equal to these is left out of printed host names (SDK defaults). */
export const DEFAULT_MQTTS_PORT = 8883;
export const DEFAULT_HTTPS_PORT = 8443;
export const DEFAULT_AMQPS_PORT = 5671;
/** IoT Hub's default partition count of the built-in Event Hubs-compatible endpoint. */
export const DEFAULT_PARTITION_COUNT = 4;

/** The Event Hub-compatible name: the given one, else the first label of the hub host name (IoT Hub uses the hub's name). */
export const eventHubName = (hostName: string, given?: string): string => given ?? (hostName.split('.')[0]!.replace(/:\d+$/, '') || 'edgemu');

/**
 * The Event Hubs-compatible connection string of the built-in endpoint
 * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-read-builtin): what
 * `@azure/event-hubs`, Azure Functions and Stream Analytics take; the port is in the Endpoint
 * when it is not 5671 (`@azure/core-amqp` reads it from there).
 */
export function formatEventHubsConnectionString(o: { hostName: string; amqpsPort: number; policyName: string; key: string; entity: string }): string {
  return `Endpoint=sb://${hostWithPort(o.hostName, o.amqpsPort, DEFAULT_AMQPS_PORT)}/;SharedAccessKeyName=${o.policyName};SharedAccessKey=${o.key};EntityPath=${o.entity}`;
}

/** The fields of an IoT Hub connection string (`Key=Value;…`) that edgemu reads and writes. */
export interface ConnectionStringFields {
  HostName: string;
  DeviceId?: string;
  ModuleId?: string;
  SharedAccessKey: string;
  SharedAccessKeyName?: string;
  GatewayHostName?: string;
}

/** `host` or `host:port`, leaving out the port when it is the protocol's default. */
export const hostWithPort = (host: string, port: number, defaultPort: number): string =>
  port === defaultPort ? host : `${host}:${port}`;

/**
 * A device or module connection string that the Azure IoT device SDK accepts as printed:
 * the SDK dials `mqtts://<HostName>` and signs `sr=<HostName>/devices/<d>[/modules/<m>]`
 * (learn.microsoft.com/azure/iot-hub/iot-hub-dev-guide-sas), so HostName carries the hub's MQTT port when not 8883.
 */
export function formatDeviceConnectionString(o: { hostName: string; deviceId: string; moduleId?: string | undefined; key: string; gatewayHostName?: string | undefined }): string {
  const parts = [`HostName=${o.hostName}`, `DeviceId=${o.deviceId}`];
  if (o.moduleId) parts.push(`ModuleId=${o.moduleId}`);
  parts.push(`SharedAccessKey=${o.key}`);
  if (o.gatewayHostName) parts.push(`GatewayHostName=${o.gatewayHostName}`);
  return parts.join(';');
}

/** The service-side connection string for a shared access policy (learn.microsoft.com/azure/iot-hub/iot-hub-dev-guide-sas). */
export function formatServiceConnectionString(o: { hostName: string; policyName: string; key: string }): string {
  return `HostName=${o.hostName};SharedAccessKeyName=${o.policyName};SharedAccessKey=${o.key}`;
}

/** Parses `Key=Value;…` (values may contain `=`, as base64 keys do). Throws HUB_INVALID_CONNECTION_STRING. */
export function parseConnectionString(text: string): ConnectionStringFields {
  const fields: Record<string, string> = {};
  for (const part of text.trim().split(';')) {
    if (part === '') continue;
    const i = part.indexOf('=');
    if (i <= 0) throw new HubError('HUB_INVALID_CONNECTION_STRING', `connection string part ${JSON.stringify(part)} is not Key=Value`);
    fields[part.slice(0, i)] = part.slice(i + 1);
  }
  if (!fields.HostName) throw new HubError('HUB_INVALID_CONNECTION_STRING', 'connection string has no HostName');
  if (!fields.SharedAccessKey) throw new HubError('HUB_INVALID_CONNECTION_STRING', 'connection string has no SharedAccessKey');
  return fields as unknown as ConnectionStringFields;
}
