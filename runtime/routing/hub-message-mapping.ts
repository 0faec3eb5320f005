import type { HubMessage } from '../hub/index.js';
import type { RoutingMessage } from '../route-language/index.js';

/**
 * Wire names of system properties (`$.mid`, …, without `$.`) to the names route conditions use
 * (`$messageId`, …) — edgeHub's `SystemProperties.cs` incoming map (iotedge-protocol.md §7.4).
 */
const WIRE_TO_ROUTING: Readonly<Record<string, string>> = {
  mid: 'messageId',
  cid: 'correlationId',
  uid: 'userId',
  to: 'to',
  ct: 'contentType',
  ce: 'contentEncoding',
  exp: 'absolute-expiry-time',
  schema: 'messageSchema',
  ctime: 'creationTime',
  ifid: 'iothub-interface-id',
  sub: 'dt-subject',
  on: 'outputName',
};

/**
 * The routing view of a message the hub accepted: wire system properties renamed, plus the
 * connection identity and output name the hub knows (never taken from the sender's bag, so a
 * module cannot spoof `$connectionDeviceId`).
 */
export function toRoutingMessage(message: HubMessage): RoutingMessage {
  const sys: Record<string, string> = {};
  for (const [wire, value] of Object.entries(message.systemProperties)) {
    const name = WIRE_TO_ROUTING[wire];
    if (name !== undefined) sys[name] = value;
  }
  sys.connectionDeviceId = message.deviceId;
  if (message.moduleId) sys.connectionModuleId = message.moduleId;
  else delete sys.connectionModuleId;
  if (message.outputName) sys.outputName = message.outputName;
  else delete sys.outputName;
  if (message.enqueuedTimeUtc) sys.enqueuedTime = message.enqueuedTimeUtc;
  return { body: message.body, properties: message.properties, systemProperties: sys };
}

/** System properties forwarded to a module input (all the sender's except the output name). */
const FORWARDED = ['mid', 'cid', 'uid', 'to', 'ct', 'ce', 'exp', 'schema', 'ctime', 'ifid', 'sub'] as const;

/**
 * The property bag a module input delivery carries (sdk-wire-traces.md §2.4,
 * iotedge-protocol.md §7.3): the sender's system properties, `cdid`/`cmid` naming the sender,
 * and its application properties.
 */
export function inputDeliveryProperties(message: HubMessage): { systemProperties: Record<string, string>; properties: Record<string, string> } {
  const systemProperties: Record<string, string> = {};
  for (const k of FORWARDED) {
    const v = message.systemProperties[k];
    if (v !== undefined) systemProperties[k] = v;
  }
  systemProperties.cdid = message.deviceId;
  if (message.moduleId) systemProperties.cmid = message.moduleId;
  return { systemProperties, properties: { ...message.properties } };
}
