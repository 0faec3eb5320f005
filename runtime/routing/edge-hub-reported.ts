/**
 * Shapes of the `$edgeHub` reported properties (Azure/iotedge
 * `edge-hub/core/src/Microsoft.Azure.Devices.Edge.Hub.Core/EdgeHubConnection.cs`,
 * `config/DeviceConnectionStatus.cs`). Pure helpers; the reporter writes them through the twin store.
 */

/** edgeHub always reports this schema version. */
export const EDGE_HUB_REPORTED_SCHEMA_VERSION = '1.0';

/** What edgemu reports as the edgeHub `version` block. */
export const EDGE_HUB_VERSION = { version: 'edgemu', build: '0', commit: 'edgemu' } as const;

export interface ClientStatus {
  status: 'Connected' | 'Disconnected';
  lastConnectedTimeUtc?: string;
  lastDisconnectedTimeUtc?: string;
}

/**
 * The key of a client in `clients`: its identity id (`device` or `device/module`) with `.`,
 * `$` and space percent-encoded, because twin keys may not contain them
 * (`TwinManager.EncodeTwinKey`).
 */
export function encodeClientKey(clientId: string): string {
  return clientId.replace(/\./g, '%2E').replace(/\$/g, '%24').replace(/ /g, '%20');
}

/** `lastDesiredStatus` as edgeHub reports it: only 200 and 400 (`EdgeHubConnection`). */
export function desiredStatus(ok: true): { code: 200; description: '' };
export function desiredStatus(ok: false, description: string): { code: 400; description: string };
export function desiredStatus(ok: boolean, description = ''): { code: 200 | 400; description: string } {
  return ok ? { code: 200, description: '' } : { code: 400, description: truncate(description) };
}

/** Twin string values are limited to 4 KB (`ReportedPropertiesValidator.TwinPropertyValueMaxLength`). */
const MAX_DESCRIPTION = 4000;
const truncate = (s: string): string => (Buffer.byteLength(s) <= MAX_DESCRIPTION ? s : `${Buffer.from(s).subarray(0, MAX_DESCRIPTION - 3).toString()}...`);
