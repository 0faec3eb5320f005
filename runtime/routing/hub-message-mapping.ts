import { FORWARDED_SYSTEM_PROPERTIES, SYSTEM_PROPERTIES, type HubMessage } from '../hub/index.js';
import type { RoutingMessage } from '../route-language/index.js';

/**
 * The routing view of a message the hub accepted: wire system properties renamed, plus the
 * connection identity and output name the hub knows (never taken from the sender's bag, so a
 * module cannot spoof `$connectionDeviceId`).
 */
export function toRoutingMessage(message: HubMessage): RoutingMessage {
  const sys: Record<string, string> = {};
  for (const [wire, value] of Object.entries(message.systemProperties)) {
    const property = SYSTEM_PROPERTIES[wire];
    if (property !== undefined) sys[property.name] = value;
  }
  sys.connectionDeviceId = message.deviceId;
  if (message.moduleId) sys.connectionModuleId = message.moduleId;
  else delete sys.connectionModuleId;
  if (message.outputName) sys.outputName = message.outputName;
  else delete sys.outputName;
  if (message.enqueuedTimeUtc) sys.enqueuedTime = message.enqueuedTimeUtc;
  return { body: message.body, properties: message.properties, systemProperties: sys };
}

/**
 * The property bag a module input delivery carries (docs/iot-hub-protocol.md "Property bag
 * and system properties"): the sender's system properties, `cdid`/`cmid` naming the sender,
 * and its application properties.
 */
export function inputDeliveryProperties(message: HubMessage): { systemProperties: Record<string, string>; properties: Record<string, string> } {
  const systemProperties: Record<string, string> = {};
  for (const k of FORWARDED_SYSTEM_PROPERTIES) {
    const v = message.systemProperties[k];
    if (v !== undefined) systemProperties[k] = v;
  }
  systemProperties.cdid = message.deviceId;
  if (message.moduleId) systemProperties.cmid = message.moduleId;
  return { systemProperties, properties: { ...message.properties } };
}
