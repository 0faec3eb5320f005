/**
 * The embedded IoT Hub (docs/hub.md). Usable without a running hub: `openHubStore` gives the
 * identity registry, twins, telemetry and C2D queues of a state dir. `createHub` builds the hub
 * on an opened store (clients through `accept`/`serve`); `startHub` adds the MQTT-over-TLS
 * listener that the unmodified Azure IoT device SDKs connect to.
 */
export { HubError, type HubErrorCode } from './errors.js';
export { openHubStore, type HubStore, type HubStoreOptions } from './store/hub-store.js';
export type { Identity, ServicePolicy, IdentityRegistry } from './store/identity-registry.js';
export type { Twin, TwinSectionView, DeviceTwinView, DesiredChange, ReportedChange, WriteOptions, TwinStore } from './store/twin-store.js';
export type { HubMessage, StoredMessage, MessageFilter, MessageStore } from './store/message-store.js';
export type { StoredConfiguration, ConfigurationStatus, DeviceConfigurationState, ConfigurationChange, ConfigurationStore } from './store/configuration-store.js';
export type { C2dMessage, C2dSend, C2dQueue } from './store/c2d-queue.js';
export { MAX_C2D_QUEUE_DEPTH } from './store/c2d-queue.js';
export { clientIdOf, parseClientId, isValidId, SYSTEM_MODULE_IDS, type IdentityRef } from './identity-id.js';
export { verifyPolicyToken, resourceCovers, POLICY_PERMISSIONS, type Permission, type PolicyTokenCheck, type PolicyTokenContext } from './policy-token.js';
export { createSasToken, parseSasToken, verifySasSignature, signSas, type SasToken, type SasCheck } from './sas.js';
export {
  parseConnectionString,
  formatDeviceConnectionString,
  formatServiceConnectionString,
  DEFAULT_MQTTS_PORT,
  DEFAULT_HTTPS_PORT,
  DEFAULT_AMQPS_PORT,
  DEFAULT_PARTITION_COUNT,
  eventHubName,
  formatEventHubsConnectionString,
  hostWithPort,
  type ConnectionStringFields,
} from './connection-string.js';
export { resolveHubAddress, deviceConnectionString, serviceConnectionString, SETTING_HOST_NAME, SETTING_MQTTS_PORT, SETTING_HTTPS_PORT, SETTING_AMQPS_PORT, type HubAddress } from './hub-address.js';
export { readDiscovery, writeDiscovery, removeDiscovery, DISCOVERY_FILE, type HubDiscovery } from './discovery.js';
export { applyMergePatch, diffToMergePatch, etagOf, type JsonObject, type JsonValue, type MetadataNode } from './twin-patch.js';
export { parsePropertyBag, encodePropertyBag, type PropertyBag } from './property-bag.js';
export { SYSTEM_PROPERTIES, FORWARDED_SYSTEM_PROPERTIES, type SystemProperty } from './system-properties.js';
export { createGroupCommit, type GroupCommit } from './group-commit.js';
export { startHub, MAX_MESSAGE_BYTES } from './start-hub.js';
export { createHub } from './create-hub.js';
export { ConnectionTable } from './connection-table.js';
export type { CreateHubOptions, StartHubOptions } from './hub-options.js';
export type {
  Hub,
  HubCore,
  HubConnections,
  ConnectionEvent,
  ConnectionInfo,
  InputMessage,
  InputsSubscribedEvent,
  MethodInvocation,
  MethodResult,
  ModuleRef,
} from './hub-types.js';
export { upstreamRouter, type MessageRouter } from './message-router.js';
export { openSqlite, HUB_DB_FILE, type Db, type SqliteFile } from './store/sqlite-db.js';
export { ensureTlsMaterial, type TlsMaterial } from './tls-material.js';
export { guardTlsServer, RateLimiter, DEFAULT_HUB_LIMITS, THROTTLED_ERROR_CODE, resolveHubLimits, type TlsServerGuard, type TlsServerLimits, type HubLimits } from './limits/index.js';
export { MAX_C2D_TTL_MS } from './handlers/c2d-send.js';
