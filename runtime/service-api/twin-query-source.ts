import type { HubStore, Identity, Twin } from '../hub/index.js';
import type { QueryCollection, QuerySource } from '../query/index.js';
import { identityEtag } from './identity-json.js';

/**
 * The twin documents a query runs over, in IoT Hub's query-result shape
 * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language, "Device and module twin
 * queries"): the twin (ids, etag, version, tags, properties with `$metadata`/`$version`) plus the
 * registry's members a WHERE may test — `status`, `connectionState`, `lastActivityTime`,
 * `authenticationType`, `deviceEtag` and, on device twins, `capabilities.iotEdge`. Identities
 * are read once per scan; twins are read lazily in id order.
 */
export function twinQuerySource(store: HubStore): QuerySource {
  return (collection: QueryCollection) => ({
    *[Symbol.iterator]() {
      const modules = collection === 'devices.modules';
      const identities = new Map<string, Identity>();
      for (const identity of store.identities.list(modules ? 'modules' : 'devices')) identities.set(`${identity.deviceId}/${identity.moduleId ?? ''}`, identity);
      for (const twin of store.twins.scan(modules)) {
        const identity = identities.get(`${twin.deviceId}/${twin.moduleId ?? ''}`);
        if (identity) yield queryDocument(twin, identity);
      }
    },
  });
}

/** One twin as a query returns it (`SELECT *`). */
export function queryDocument(twin: Twin, identity: Identity): Record<string, unknown> {
  return {
    deviceId: twin.deviceId,
    ...(twin.moduleId !== undefined ? { moduleId: twin.moduleId } : {}),
    etag: twin.etag,
    deviceEtag: identityEtag(identity),
    status: twin.status,
    statusUpdateTime: identity.createdTime,
    connectionState: twin.connectionState,
    lastActivityTime: identity.createdTime,
    cloudToDeviceMessageCount: 0,
    authenticationType: 'sas',
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    version: twin.version,
    tags: twin.tags,
    properties: twin.properties,
    ...(twin.moduleId === undefined ? { capabilities: { iotEdge: identity.isEdge } } : {}),
  };
}
