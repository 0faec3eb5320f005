import { createHash } from 'node:crypto';
import type { Identity } from '../hub/index.js';
import { apiErrors } from './service-api-error.js';
import { isJsonObject } from './read-body.js';

export type ConnectionState = 'Connected' | 'Disconnected';

/**
 * An identity's ETag: it changes whenever what the registry stores for it changes (keys,
 * generation), like IoT Hub's device ETag; quoted form is what `If-Match` carries.
 */
export function identityEtag(identity: Identity): string {
  return createHash('sha256')
    .update(`${identity.generationId}\n${identity.primaryKey}\n${identity.secondaryKey}\n${identity.isEdge}`)
    .digest('base64')
    .slice(0, 12);
}

const authenticationJson = (identity: Identity) => ({
  type: 'sas',
  symmetricKey: { primaryKey: identity.primaryKey, secondaryKey: identity.secondaryKey },
  x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
});

/**
 * A device identity in IoT Hub's JSON shape (`GET /devices/{id}`), which the azure-iothub SDK
 * wraps in its `Device` class; `capabilities.iotEdge` marks an IoT Edge device.
 */
export function deviceJson(identity: Identity, connectionState: ConnectionState): Record<string, unknown> {
  return {
    deviceId: identity.deviceId,
    generationId: identity.generationId,
    etag: identityEtag(identity),
    connectionState,
    status: 'enabled',
    statusReason: null,
    connectionStateUpdatedTime: identity.createdTime,
    statusUpdatedTime: identity.createdTime,
    lastActivityTime: identity.createdTime,
    cloudToDeviceMessageCount: 0,
    authentication: authenticationJson(identity),
    capabilities: { iotEdge: identity.isEdge },
  };
}

/** A module identity in IoT Hub's JSON shape (`GET /devices/{id}/modules/{mid}`). */
export function moduleJson(identity: Identity, connectionState: ConnectionState): Record<string, unknown> {
  return {
    deviceId: identity.deviceId,
    moduleId: identity.moduleId,
    generationId: identity.generationId,
    etag: identityEtag(identity),
    connectionState,
    connectionStateUpdatedTime: identity.createdTime,
    lastActivityTime: identity.createdTime,
    cloudToDeviceMessageCount: 0,
    managedBy: identity.managedBy ?? null,
    authentication: authenticationJson(identity),
  };
}

/** What a `PUT /devices/{id}[/modules/{mid}]` body asks for. */
export interface IdentityRequest {
  primaryKey?: string;
  secondaryKey?: string;
  /** Only for devices: `capabilities.iotEdge`. */
  edge?: boolean;
  managedBy?: string;
}

/**
 * Reads a device/module PUT body (IoT Hub's identity JSON). The ids in the body, when present,
 * must equal the path's; only SAS authentication is supported; keys must be base64 of 16–64
 * bytes (IoT Hub's rule for symmetric keys).
 */
export function parseIdentityRequest(body: unknown, path: { deviceId: string; moduleId?: string | undefined }): IdentityRequest {
  if (!isJsonObject(body)) throw apiErrors.badRequest('The identity must be a JSON object.');
  if (body.deviceId !== undefined && body.deviceId !== path.deviceId) {
    throw apiErrors.badRequest(`deviceId '${String(body.deviceId).slice(0, 128)}' in the body does not match '${path.deviceId}' in the path.`);
  }
  if (path.moduleId !== undefined && body.moduleId !== undefined && body.moduleId !== path.moduleId) {
    throw apiErrors.badRequest(`moduleId '${String(body.moduleId).slice(0, 128)}' in the body does not match '${path.moduleId}' in the path.`);
  }
  // edgemu identities are always enabled; refusing a disable beats silently ignoring it.
  if (body.status !== undefined && body.status !== null && body.status !== 'enabled') {
    throw apiErrors.badRequest(`status '${String(body.status).slice(0, 40)}' is not supported by edgemu; identities are always enabled.`);
  }
  const out: IdentityRequest = {};
  const auth = body.authentication;
  if (auth !== undefined && auth !== null) {
    if (!isJsonObject(auth)) throw apiErrors.badRequest('authentication must be an object.');
    if (auth.type !== undefined && auth.type !== null && auth.type !== 'sas') {
      throw apiErrors.badRequest(`authentication type '${String(auth.type).slice(0, 40)}' is not supported by edgemu; use 'sas'.`);
    }
    const sym = auth.symmetricKey;
    if (sym !== undefined && sym !== null) {
      if (!isJsonObject(sym)) throw apiErrors.badRequest('authentication.symmetricKey must be an object.');
      for (const name of ['primaryKey', 'secondaryKey'] as const) {
        const key = sym[name];
        if (key === undefined || key === null || key === '') continue;
        if (typeof key !== 'string' || !isValidSymmetricKey(key)) {
          throw apiErrors.badRequest(`authentication.symmetricKey.${name} must be base64 of 16 to 64 bytes.`);
        }
        out[name] = key;
      }
    }
  }
  if (path.moduleId === undefined) {
    const caps = body.capabilities;
    if (caps !== undefined && caps !== null) {
      if (!isJsonObject(caps)) throw apiErrors.badRequest('capabilities must be an object.');
      if (caps.iotEdge !== undefined && typeof caps.iotEdge !== 'boolean') throw apiErrors.badRequest('capabilities.iotEdge must be a boolean.');
      if (caps.iotEdge !== undefined) out.edge = caps.iotEdge;
    }
  } else if (typeof body.managedBy === 'string' && body.managedBy !== '') {
    out.managedBy = body.managedBy.slice(0, 128);
  }
  return out;
}

/** True for base64 text that decodes to 16–64 bytes (and re-encodes to itself). */
export function isValidSymmetricKey(key: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key)) return false;
  const bytes = Buffer.from(key, 'base64');
  return bytes.length >= 16 && bytes.length <= 64 && bytes.toString('base64') === key;
}

/** `If-Match` for identities: absent or `*` matches; otherwise the (quoted) ETag must equal the current one. */
export function etagMatches(ifMatch: string | undefined, current: string): boolean {
  if (ifMatch === undefined || ifMatch.trim() === '*' || ifMatch.trim() === '"*"') return true;
  return ifMatch.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1') === current;
}
