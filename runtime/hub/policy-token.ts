import { parseSasToken, verifySasSignature, type SasToken } from './sas.js';

/**
 * IoT Hub's shared-access-policy permissions (learn.microsoft.com/azure/iot-hub/authenticate-authorize-sas:
 * RegistryRead, RegistryReadWrite, ServiceConnect, DeviceConnect).
 */
export type Permission = 'RegistryRead' | 'RegistryWrite' | 'ServiceConnect';

/** The permissions of IoT Hub's built-in policies; a policy not listed here grants nothing. */
export const POLICY_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  iothubowner: ['RegistryRead', 'RegistryWrite', 'ServiceConnect'],
  service: ['ServiceConnect'],
  registryRead: ['RegistryRead'],
  registryReadWrite: ['RegistryRead', 'RegistryWrite'],
};

export interface PolicyTokenContext {
  /** Host names a token's resource URI may name (compared case-insensitively, port optional). */
  hostNames: readonly string[];
  /** The key(s) of a shared access policy (primary, secondary), or undefined when the hub has no such policy. */
  policyKey(name: string): string | readonly string[] | undefined;
  /** Milliseconds since the epoch. */
  now: number;
}

export type PolicyTokenCheck =
  | { ok: true; policy: string; token: SasToken; permissions: readonly Permission[] }
  | { ok: false; reason: 'malformed' | 'no-policy' | 'unknown-policy' | 'expired' | 'bad-signature' | 'wrong-resource' | 'no-permission'; message: string };

/**
 * The one rule for service (policy) tokens, used by the HTTPS service API and the AMQP head:
 * a `SharedAccessSignature` with `skn` naming a policy, signed with its primary or secondary
 * key, unexpired, whose `sr` names this hub (`<host>`, a path under it, or an `sb://` / `amqps://`
 * URI of it; `resourcePath` is the path the token must cover), and whose policy grants `permission`.
 */
export function verifyPolicyToken(text: string, permission: Permission, resourcePath: string, ctx: PolicyTokenContext): PolicyTokenCheck {
  const token = parseSasToken(text.trim());
  if (!token) return { ok: false, reason: 'malformed', message: 'not a valid SharedAccessSignature' };
  if (!token.keyName) return { ok: false, reason: 'no-policy', message: 'the SharedAccessSignature has no skn: a shared access policy token is needed' };
  const found = ctx.policyKey(token.keyName);
  if (found === undefined) return { ok: false, reason: 'unknown-policy', message: `the shared access policy '${token.keyName.slice(0, 64)}' does not exist` };
  const keys = typeof found === 'string' ? [found] : found;
  // Event Hubs clients sign `sb://` audiences with the key's text (sas.ts `signSasText`).
  const keyEncoding = /^sb:\/\//i.test(token.resourceUri) ? 'utf8' : 'base64';
  // Either policy key signs (IoT Hub accepts the primary and the secondary key).
  let check = verifySasSignature(token, keys[0] ?? '', ctx.now, keyEncoding);
  for (const key of keys) {
    check = verifySasSignature(token, key, ctx.now, keyEncoding);
    if (check.ok || check.reason === 'expired') break;
  }
  if (!check.ok) {
    return check.reason === 'expired'
      ? { ok: false, reason: 'expired', message: 'the SharedAccessSignature has expired' }
      : { ok: false, reason: 'bad-signature', message: 'the SharedAccessSignature signature is not valid' };
  }
  if (!resourceCovers(token.resourceUri, ctx.hostNames, resourcePath)) {
    return { ok: false, reason: 'wrong-resource', message: `the SharedAccessSignature resource '${token.resourceUri.slice(0, 200)}' does not name this hub` };
  }
  const granted = POLICY_PERMISSIONS[token.keyName] ?? [];
  if (!granted.includes(permission)) return { ok: false, reason: 'no-permission', message: `the policy '${token.keyName}' does not grant ${permission}` };
  return { ok: true, policy: token.keyName, token, permissions: granted };
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
