import { encodePropertyBag, FORWARDED_SYSTEM_PROPERTIES, SYSTEM_PROPERTIES, type HubMessage } from '../hub/index.js';
import type { RoutingMessage } from '../route-language/index.js';

/**
 * The routing view of a message the hub accepted: wire system properties renamed, plus the
 * connection identity and output name the hub knows (never taken from the sender's bag, so a
 * module cannot spoof `$connectionDeviceId`).
 */
export function toRoutingMessage(message: HubMessage): RoutingMessage {
  const sys: Record<string, string> = {};
  const wireProps = message.systemProperties;
  for (const wire in wireProps) {
    const property = SYSTEM_PROPERTIES[wire];
    if (property !== undefined) sys[property.name] = wireProps[wire]!;
  }
  sys.connectionDeviceId = message.deviceId;
  if (message.moduleId) sys.connectionModuleId = message.moduleId;
  else delete sys.connectionModuleId;
  if (message.outputName) sys.outputName = message.outputName;
  else delete sys.outputName;
  if (message.enqueuedTimeUtc) sys.enqueuedTime = message.enqueuedTimeUtc;
  return { body: message.body, properties: message.properties, systemProperties: sys };
}

/** What a module input delivery carries, made once per routed message and shared by its targets. */
export interface InputDelivery {
  systemProperties: Record<string, string>;
  properties: Record<string, string>;
  /** Both encoded as the MQTT property bag of the delivery topic (`encodePropertyBag`). */
  propertyBag: string;
}

/**
 * The property bag a module input delivery carries (docs/iot-hub-protocol.md "Property bag
 * and system properties"): the sender's system properties, `cdid`/`cmid` naming the sender,
 * and its application properties (the message's own map: nothing changes it once accepted);
 * `extraSystem` adds system properties the hub sets (`messageType` of a twin change notification).
 */
export function inputDeliveryProperties(message: HubMessage, extraSystem?: Readonly<Record<string, string>>): InputDelivery {
  const systemProperties: Record<string, string> = {};
  for (const k of FORWARDED_SYSTEM_PROPERTIES) {
    const v = message.systemProperties[k];
    if (v !== undefined) systemProperties[k] = v;
  }
  systemProperties.cdid = message.deviceId;
  if (message.moduleId) systemProperties.cmid = message.moduleId;
  if (extraSystem) Object.assign(systemProperties, extraSystem);
  const properties = message.properties;
  return { systemProperties, properties, propertyBag: encodePropertyBag({ system: systemProperties, app: properties }) };
}
