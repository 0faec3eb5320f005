import type { IdentityRef } from './identity-id.js';

/**
 * The IoT Hub MQTT topic dialect (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub) as pure
 * functions: what a client may publish and subscribe to, and the hub→client topics.
 * Only documented topics are supported; every identity only reaches its own topics.
 */
export type ClientPublish =
  | { kind: 'twin-get'; rid: string }
  | { kind: 'twin-patch-reported'; rid: string }
  | { kind: 'method-response'; rid: string; status: number }
  | { kind: 'telemetry'; propertyBag: string }
  | { kind: 'forbidden'; reason: string };

function queryOf(s: string): Map<string, string> | undefined {
  if (!s.startsWith('?')) return undefined;
  const out = new Map<string, string>();
  for (const kv of s.slice(1).split('&')) {
    const i = kv.indexOf('=');
    if (i > 0) out.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return out;
}

const ridOf = (rest: string): string | undefined => {
  const rid = queryOf(rest)?.get('$rid');
  return rid && rid.length > 0 ? rid : undefined;
};

/** Classifies a topic a client published to; anything not its own documented topic is `forbidden`. */
export function classifyClientPublish(identity: IdentityRef, topic: string): ClientPublish {
  if (topic.startsWith('$iothub/')) {
    let m: RegExpExecArray | null;
    if ((m = /^\$iothub\/twin\/GET\/(\?.*)$/.exec(topic))) {
      const rid = ridOf(m[1]!);
      return rid ? { kind: 'twin-get', rid } : { kind: 'forbidden', reason: 'twin GET without $rid' };
    }
    if ((m = /^\$iothub\/twin\/PATCH\/properties\/reported\/(\?.*)$/.exec(topic))) {
      const rid = ridOf(m[1]!);
      return rid ? { kind: 'twin-patch-reported', rid } : { kind: 'forbidden', reason: 'reported PATCH without $rid' };
    }
    if ((m = /^\$iothub\/methods\/res\/(\d{1,9})\/(\?.*)$/.exec(topic))) {
      const rid = ridOf(m[2]!);
      return rid ? { kind: 'method-response', rid, status: Number(m[1]) } : { kind: 'forbidden', reason: 'method response without $rid' };
    }
    return { kind: 'forbidden', reason: `unsupported topic ${topic}` };
  }
  const own = eventsPrefix(identity);
  if (topic === own.slice(0, -1)) return { kind: 'telemetry', propertyBag: '' };
  if (topic.startsWith(own)) return { kind: 'telemetry', propertyBag: topic.slice(own.length) };
  return { kind: 'forbidden', reason: `topic ${topic} does not belong to this identity` };
}

/** `devices/<d>/messages/events/` or `devices/<d>/modules/<m>/messages/events/`. */
export const eventsPrefix = (identity: IdentityRef): string =>
  identity.moduleId ? `devices/${identity.deviceId}/modules/${identity.moduleId}/messages/events/` : `devices/${identity.deviceId}/messages/events/`;

/**
 * Whether `identity` may subscribe to `filter`: the twin, method and (devices) C2D or
 * (modules) input topics, nothing else, no wildcard subtrees of other identities.
 */
export function isSubscriptionAllowed(identity: IdentityRef, filter: string): boolean {
  switch (filter) {
    case '$iothub/twin/res/#':
    case '$iothub/twin/PATCH/properties/desired/#':
    case '$iothub/methods/POST/#':
      return true;
  }
  if (!identity.moduleId) return filter === `devices/${identity.deviceId}/messages/devicebound/#`;
  return isInputsFilter(identity, filter);
}

/**
 * Whether `filter` is a module's input subscription: the Node SDK's
 * `devices/<d>/modules/<m>/inputs/#`, or edgeHub's documented `devices/<d>/modules/<m>/#`
 * (learn.microsoft.com/azure/iot-edge/iot-edge-runtime, edgeHub's MQTT topics). Input messages are delivered only once a module holds one.
 */
export function isInputsFilter(identity: IdentityRef, filter: string): boolean {
  const { deviceId, moduleId } = identity;
  if (!moduleId) return false;
  return filter === `devices/${deviceId}/modules/${moduleId}/inputs/#` || filter === `devices/${deviceId}/modules/${moduleId}/#`;
}

/**
 * Whether `topic` is one the hub itself sends to `identity` (twin responses, desired patches,
 * method requests, its own C2D or input topics). Nothing else is ever forwarded to a client.
 */
export function isHubToClientTopic(identity: IdentityRef, topic: string): boolean {
  if (topic.startsWith('$iothub/twin/res/') || topic.startsWith('$iothub/twin/PATCH/properties/desired/') || topic.startsWith('$iothub/methods/POST/')) return true;
  const { deviceId, moduleId } = identity;
  return moduleId ? topic.startsWith(`devices/${deviceId}/modules/${moduleId}/inputs/`) : topic.startsWith(`devices/${deviceId}/messages/devicebound/`);
}

/** Hub→client topics. */
export const hubTopics = {
  twinResponse: (status: number, rid: string, version?: number): string =>
    `$iothub/twin/res/${status}/?$rid=${rid}${version === undefined ? '' : `&$version=${version}`}`,
  desiredPatch: (version: number): string => `$iothub/twin/PATCH/properties/desired/?$version=${version}`,
  methodRequest: (methodName: string, rid: string): string => `$iothub/methods/POST/${methodName}/?$rid=${rid}`,
  /** C2D delivery; the SDK drops it without the trailing separator, so an empty bag still ends in `/`. */
  c2d: (deviceId: string, bag: string): string => `devices/${deviceId}/messages/devicebound/${bag}`,
  /** Module input delivery, `…/inputs/<input>/<bag>`, trailing `/` when the bag is empty (the Node SDK drops it otherwise). */
  moduleInput: (deviceId: string, moduleId: string, inputName: string, bag: string): string =>
    `devices/${deviceId}/modules/${moduleId}/inputs/${inputName}/${bag}`,
};
