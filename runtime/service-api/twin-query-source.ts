import type { DeviceConfigurationState, HubStore, Identity, Twin } from '../hub/index.js';
import type { QueryCollection, QuerySource } from '../query/index.js';
import { identityEtag } from './identity-json.js';

/**
 * The twin documents a query runs over, in IoT Hub's query-result shape
 * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language, "Device and module twin
 * queries"): the twin (ids, etag, version, tags, properties with `$metadata`/`$version`) plus the
 * registry's members a WHERE may test — `status`, `connectionState`, `lastActivityTime`,
 * `authenticationType`, `deviceEtag` and, on device twins, `capabilities.iotEdge`; the device
 * twin and its `$edgeAgent` twin also carry `configurations` (`{<id>: {status}}`) for the
 * deployments that target the device, as IoT Hub's do. Identities and configuration states are
 * read once per scan; twins are read lazily in id order.
 */
export function twinQuerySource(store: HubStore): QuerySource {
  return (collection: QueryCollection) => ({
    *[Symbol.iterator]() {
      const modules = collection === 'devices.modules';
      const identities = new Map<string, Identity>();
      for (const identity of store.identities.list(modules ? 'modules' : 'devices')) identities.set(`${identity.deviceId}/${identity.moduleId ?? ''}`, identity);
      const states = store.configurations.deviceStates();
      for (const twin of store.twins.scan(modules)) {
        const identity = identities.get(`${twin.deviceId}/${twin.moduleId ?? ''}`);
        const state = carriesConfigurations(twin) ? states.get(twin.deviceId) : undefined;
        if (identity) yield queryDocument(twin, identity, state);
      }
    },
  });
}

/** `twinQuerySource` read once per collection and kept: for many queries over one moment's twins (the metrics of a configuration list). */
export function snapshotQuerySource(store: HubStore): QuerySource {
  const source = twinQuerySource(store);
  const cache = new Map<QueryCollection, unknown[]>();
  return (collection) => {
    let docs = cache.get(collection);
    if (!docs) cache.set(collection, (docs = [...source(collection)]));
    return docs;
  };
}

/** One twin as a query returns it (`SELECT *`). */
export function queryDocument(twin: Twin, identity: Identity, state?: DeviceConfigurationState): Record<string, unknown> {
  const configurations = configurationsMember(state);
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
    ...(configurations ? { configurations } : {}),
  };
}

/**
 * IoT Hub's twin `configurations` member: `{<configuration id>: {status}}`, on the device twin and
 * its `$edgeAgent` module twin, for the deployments that target the device. Queries see the status
 * as IoT Hub's system metric queries test it (`'Targeted' | 'Applied'`,
 * `configurations.[[id]].status = 'Applied'`); a twin read (`GET /twins/{id}`) carries it as the
 * service SDKs' `ConfigurationStatus` reads it from the wire (`'targeted' | 'applied'`, the enum's
 * `EnumMember` values in Azure/azure-iot-sdk-csharp iothub/service/src/Configurations/ConfigurationStatus.cs).
 * Undefined when no deployment targets the twin's device.
 */
export function configurationsMember(state: DeviceConfigurationState | undefined, spelling: 'query' | 'twin' = 'query'): Record<string, { status: string }> | undefined {
  if (!state || Object.keys(state.statuses).length === 0) return undefined;
  return Object.fromEntries(Object.entries(state.statuses).map(([id, status]) => [id, { status: spelling === 'twin' ? status.toLowerCase() : status }]));
}

/** Whether a twin carries `configurations`: a device twin and its `$edgeAgent` module twin. */
export const carriesConfigurations = (ref: { moduleId?: string | undefined }): boolean => ref.moduleId === undefined || ref.moduleId === '$edgeAgent';
