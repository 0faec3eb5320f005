import { parseSasToken, verifySasSignature } from '../hub/index.js';
import { apiErrors } from './service-api-error.js';

/**
 * IoT Hub's shared-access-policy permissions (learn.microsoft.com "Control access to IoT Hub
 * using SAS": RegistryRead, RegistryReadWrite, ServiceConnect, DeviceConnect).
 */
export type Permission = 'RegistryRead' | 'RegistryWrite' | 'ServiceConnect';

/** The permissions of IoT Hub's built-in policies; a policy not listed here grants nothing. */
export const POLICY_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  iothubowner: ['RegistryRead', 'RegistryWrite', 'ServiceConnect'],
  service: ['ServiceConnect'],
  registryRead: ['RegistryRead'],
  registryReadWrite: ['RegistryRead', 'RegistryWrite'],
};

export interface ServiceAuthOptions {
  /** Host names a token's resource URI may name (compared case-insensitively, port optional). */
  hostNames: readonly string[];
  /** The key(s) of a shared access policy (primary, secondary), or undefined when the hub has no such policy. */
  policyKey(name: string): string | readonly string[] | undefined;
  /** Milliseconds since the epoch (the clock). */
  now: number;
}

/**
 * Checks the `Authorization` header of a service request: a `SharedAccessSignature` signed
 * with a shared access policy key (`skn` names the policy), not expired, whose `sr` names
 * this hub (`<host>` or a path under it, e.g. `<host>/devices`), and whose policy grants
 * `permission`. Every refusal is 401 `IotHubUnauthorizedAccess`, as IoT Hub answers; the
 * message says which rule failed. Returns the policy name.
 */
export function authorizeServiceRequest(header: string | undefined, permission: Permission, requestPath: string, options: ServiceAuthOptions): string {
  if (!header) throw apiErrors.unauthorized('The Authorization header is missing; send a SharedAccessSignature.');
  const token = parseSasToken(header.trim());
  if (!token) throw apiErrors.unauthorized('The Authorization header is not a valid SharedAccessSignature.');
  if (!token.keyName) throw apiErrors.unauthorized('The SharedAccessSignature has no skn: service requests need a shared access policy token.');
  const found = options.policyKey(token.keyName);
  if (found === undefined) throw apiErrors.unauthorized(`The shared access policy '${token.keyName.slice(0, 64)}' does not exist.`);
  const keys = typeof found === 'string' ? [found] : found;
  // Either policy key signs (IoT Hub accepts the primary and the secondary key).
  let check = verifySasSignature(token, keys[0] ?? '', options.now);
  for (const key of keys) {
    check = verifySasSignature(token, key, options.now);
    if (check.ok || check.reason === 'expired') break;
  }
  if (!check.ok) {
    throw apiErrors.unauthorized(check.reason === 'expired' ? 'The SharedAccessSignature has expired.' : 'The SharedAccessSignature signature is not valid.');
  }
  if (!resourceCovers(token.resourceUri, options.hostNames, requestPath)) {
    throw apiErrors.unauthorized(`The SharedAccessSignature resource '${token.resourceUri.slice(0, 200)}' does not name this hub.`);
  }
  const granted = POLICY_PERMISSIONS[token.keyName] ?? [];
  if (!granted.includes(permission)) throw apiErrors.unauthorized(`The policy '${token.keyName}' does not grant ${permission}.`);
  return token.keyName;
}

/**
 * True when the resource URI names one of the hub's host names (with or without a port) and
 * its path, if any, is a segment-wise prefix of the request path (learn.microsoft.com/azure/iot-hub/authenticate-authorize-sas:
 * "URI-prefix by path segment"). Host comparison is case-insensitive.
 */
export function resourceCovers(resourceUri: string, hostNames: readonly string[], requestPath: string): boolean {
  const uri = resourceUri.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const slash = uri.indexOf('/');
  const host = (slash < 0 ? uri : uri.slice(0, slash)).toLowerCase();
  const path = slash < 0 ? '' : uri.slice(slash + 1);
  const hostWithoutPort = host.replace(/:\d+$/, '');
  const known = hostNames.some((name) => {
    const n = name.toLowerCase();
    return n === host || n === hostWithoutPort || n.replace(/:\d+$/, '') === host;
  });
  if (!known) return false;
  if (path === '') return true;
  const want = path.split('/').map((s) => s.toLowerCase());
  const got = requestPath.replace(/^\/+/, '').split('/').map((s) => safeDecode(s).toLowerCase());
  return want.length <= got.length && want.every((seg, i) => seg === got[i]);
}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

