import { isValidId, type IdentityRef } from '../identity-id.js';

/**
 * What an AMQP link address names in IoT Hub's AMQP dialect
 * (learn.microsoft.com/azure/iot-hub/iot-hub-amqp-support): device and module links
 * (`/devices/{d}[/modules/{m}]/messages/events`, `.../messages/devicebound`, `.../twin`,
 * `.../methods/devicebound`), the service links (`/messages/devicebound`,
 * `/messages/serviceBound/feedback`, `/messages/serviceBound/filenotifications`), the claims-based
 * security node `$cbs`, and the Event Hubs-compatible endpoint (`$management`,
 * `{entity}/ConsumerGroups/{group}/Partitions/{id}`).
 */
export type LinkAddress =
  | { kind: 'cbs' }
  | { kind: 'events'; identity: IdentityRef }
  | { kind: 'devicebound'; identity: IdentityRef }
  | { kind: 'twin'; identity: IdentityRef }
  | { kind: 'methods'; identity: IdentityRef }
  | { kind: 'service-c2d' }
  | { kind: 'service-feedback' }
  | { kind: 'file-notifications' }
  | { kind: 'management' }
  | { kind: 'event-hub-partition'; entity: string; consumerGroup: string; partitionId: string }
  | { kind: 'event-hub'; entity: string }
  | { kind: 'unknown'; address: string };

const decode = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
};

/**
 * Parses a link address. Addresses may be absolute (`amqps://host[:port]/devices/…`, as the
 * C# SDK writes them) or relative (`/devices/…`, the Node SDKs); ids are URL-decoded and must be
 * valid IoT Hub ids. Anything else is `unknown` (the link is refused).
 */
export function parseLinkAddress(address: string | undefined): LinkAddress {
  if (address === undefined || address === '') return { kind: 'unknown', address: '' };
  const unknown: LinkAddress = { kind: 'unknown', address };
  const path = address.replace(/^amqps?:\/\/[^/]*/i, '').replace(/^sb:\/\/[^/]*/i, '').split('?')[0]!;
  if (path === '$cbs' || path === '/$cbs') return { kind: 'cbs' };
  if (path === '$management' || path === '/$management') return { kind: 'management' };
  const parts = path.replace(/^\//, '').replace(/\/$/, '').split('/');
  if (parts[0] === 'devices') {
    const deviceId = parts[1] === undefined ? undefined : decode(parts[1]);
    if (!deviceId || !isValidId(deviceId)) return unknown;
    let rest = parts.slice(2);
    let identity: IdentityRef = { deviceId };
    if (rest[0] === 'modules') {
      const moduleId = rest[1] === undefined ? undefined : decode(rest[1]);
      if (!moduleId || !isValidId(moduleId)) return unknown;
      identity = { deviceId, moduleId };
      rest = rest.slice(2);
    }
    const tail = rest.join('/');
    if (tail === 'messages/events') return { kind: 'events', identity };
    if (tail === 'messages/devicebound' && !identity.moduleId) return { kind: 'devicebound', identity };
    if (tail === 'twin') return { kind: 'twin', identity };
    if (tail === 'methods/devicebound') return { kind: 'methods', identity };
    return unknown;
  }
  const joined = parts.join('/');
  if (joined === 'messages/devicebound') return { kind: 'service-c2d' };
  if (joined.toLowerCase() === 'messages/servicebound/feedback') return { kind: 'service-feedback' };
  if (joined.toLowerCase() === 'messages/servicebound/filenotifications') return { kind: 'file-notifications' };
  // Event Hubs: `<entity>/ConsumerGroups/<group>/Partitions/<id>` (receivers), `<entity>` (senders).
  if (parts.length === 5 && parts[1]!.toLowerCase() === 'consumergroups' && parts[3]!.toLowerCase() === 'partitions') {
    const [entity, , group, , partitionId] = parts.map((p) => decode(p));
    if (entity && group && partitionId !== undefined && partitionId !== '') return { kind: 'event-hub-partition', entity, consumerGroup: group, partitionId };
    return unknown;
  }
  if (parts.length === 1 && parts[0] !== '' && !parts[0]!.startsWith('$')) return { kind: 'event-hub', entity: parts[0]! };
  if (parts.length === 3 && parts[1]!.toLowerCase() === 'partitions') return { kind: 'event-hub', entity: parts[0]! };
  return unknown;
}

/** Which way a link carries messages, seen from the hub: `in` = the client sends, `out` = the hub sends. */
export type LinkDirection = 'in' | 'out';

/** What a connection has proved through CBS: identities (device/module tokens) and service policies. */
export interface ConnectionClaims {
  hasIdentity(identity: IdentityRef): boolean;
  /** A policy token granting ServiceConnect was put. */
  service: boolean;
}

export type LinkDecision = { ok: true } | { ok: false; condition: 'amqp:unauthorized-access' | 'amqp:not-found' | 'amqp:not-implemented' | 'amqp:not-allowed'; description: string };

/**
 * The per-identity link rules: `$cbs` is open to all; a device or module attaches only its own
 * links, after a put-token for it (as IoT Hub, a device cannot attach another device's address);
 * C2D receive links are devices' only; module inputs arrive on the module's events address as a
 * receive link; service links and the Event Hubs-compatible endpoint need a ServiceConnect
 * policy token. The Event Hubs-compatible endpoint is read-only (IoT Hub refuses senders).
 */
export function decideLink(address: LinkAddress, direction: LinkDirection, claims: ConnectionClaims): LinkDecision {
  const unauthorized = (description: string): LinkDecision => ({ ok: false, condition: 'amqp:unauthorized-access', description });
  const wrongWay = (description: string): LinkDecision => ({ ok: false, condition: 'amqp:not-allowed', description });
  switch (address.kind) {
    case 'cbs':
    case 'management':
      return address.kind === 'management' && !claims.service ? unauthorized('put a ServiceConnect policy token on $cbs before attaching $management') : { ok: true };
    case 'events':
    case 'devicebound':
    case 'twin':
    case 'methods': {
      const name = address.identity.moduleId ? `${address.identity.deviceId}/${address.identity.moduleId}` : address.identity.deviceId;
      if (!claims.hasIdentity(address.identity)) return unauthorized(`no valid token for ${name} was put on $cbs on this connection`);
      if (address.kind === 'events' && direction === 'out' && !address.identity.moduleId) return wrongWay('a device receives cloud-to-device messages on /devices/{id}/messages/devicebound');
      if (address.kind === 'devicebound' && direction === 'in') return wrongWay('devices only receive on /devices/{id}/messages/devicebound');
      return { ok: true };
    }
    case 'service-c2d':
      if (!claims.service) return unauthorized('put a ServiceConnect policy token on $cbs before sending cloud-to-device messages');
      return direction === 'in' ? { ok: true } : wrongWay('/messages/devicebound is a sender link for services');
    case 'service-feedback':
      if (!claims.service) return unauthorized('put a ServiceConnect policy token on $cbs before receiving feedback');
      return direction === 'out' ? { ok: true } : wrongWay('/messages/serviceBound/feedback is a receiver link for services');
    case 'file-notifications':
      return { ok: false, condition: 'amqp:not-implemented', description: 'file upload notifications are not supported by edgemu' };
    case 'event-hub-partition':
      if (!claims.service) return unauthorized('put a ServiceConnect policy token on $cbs before reading the Event Hubs-compatible endpoint');
      return direction === 'out' ? { ok: true } : wrongWay('the Event Hubs-compatible endpoint is read-only');
    case 'event-hub':
      return wrongWay('the Event Hubs-compatible endpoint is read-only: devices send telemetry to /devices/{id}/messages/events');
    case 'unknown':
      return { ok: false, condition: 'amqp:not-found', description: `unknown address ${JSON.stringify(address.address.slice(0, 200))}` };
  }
}
