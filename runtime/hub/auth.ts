import { clientIdOf, parseClientId, type IdentityRef } from './identity-id.js';
import { parseSasToken, verifySasSignature } from './sas.js';

/**
 * MQTT CONNECT return codes (MQTT 3.1.1 §3.2.2.3) the hub answers with, as IoT Hub does:
 * 2 for a client id that names no valid identity, 4 for a username or password that is not
 * in IoT Hub's format, 5 for credentials that do not authorize this identity.
 */
export const CONNACK = { IDENTIFIER_REJECTED: 2, BAD_USERNAME_OR_PASSWORD: 4, NOT_AUTHORIZED: 5 } as const;
export type ConnackRefusal = (typeof CONNACK)[keyof typeof CONNACK];

export interface ConnectCredentials {
  clientId: string;
  username: string | undefined;
  password: Buffer | string | undefined;
}

export interface AuthContext {
  /** Keys of an identity, undefined when it does not exist. */
  keysOf(ref: IdentityRef): { primaryKey: string; secondaryKey: string } | undefined;
  /** Host names a token's resource URI may start with (hub host, gateway host), compared case-insensitively, each with or without `:port`. */
  acceptedHosts: readonly string[];
  nowMs: number;
}

export type AuthResult =
  | { ok: true; identity: IdentityRef; expiresAtMs: number }
  | { ok: false; returnCode: ConnackRefusal; reason: string };

/**
 * Authenticates an IoT Hub MQTT CONNECT (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub):
 * - clientId is `device` or `device/module`;
 * - username is `<host>/<clientId>/?api-version=…` (also `…/api-version=…`); its identity part must equal the clientId;
 * - password is a SAS token whose resource URI is `<accepted host>[:port]/devices/<d>[/modules/<m>]`
 *   naming exactly this identity (ids compared case-insensitively, as edgeHub does; a module
 *   token never authenticates a device or vice versa), unexpired, and signed with the
 *   identity's primary or secondary key. Hub-level policy tokens (`skn=`) are refused.
 */
export function authenticateConnect(creds: ConnectCredentials, ctx: AuthContext): AuthResult {
  const identity = parseClientId(creds.clientId);
  if (!identity) return refuse(CONNACK.IDENTIFIER_REJECTED, `client id ${JSON.stringify(creds.clientId)} is not <device> or <device>/<module>`);

  // `<host>/<device>[/<module>]/<query>`: the query is the last segment (its values are URL-encoded, no `/`).
  const username = creds.username ?? '';
  const lastSlash = username.lastIndexOf('/');
  const firstSlash = username.indexOf('/');
  const query = username.slice(lastSlash + 1).replace(/^\?/, '');
  const named = firstSlash < lastSlash ? username.slice(firstSlash + 1, lastSlash) : undefined;
  if (named === undefined || firstSlash === 0 || !/(^|&)api-version=/.test(query)) {
    return refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, 'username is not <host>/<clientId>/?api-version=…');
  }
  if (named !== creds.clientId) return refuse(CONNACK.NOT_AUTHORIZED, `username names ${named} but the client id is ${creds.clientId}`);

  const password = creds.password === undefined ? '' : creds.password.toString();
  const checked = verifyIdentityToken(password, ctx, identity);
  if (checked.ok) return checked;
  return refuse(checked.malformed ? CONNACK.BAD_USERNAME_OR_PASSWORD : CONNACK.NOT_AUTHORIZED, checked.reason);
}

/** The outcome of checking a device or module SAS token, whatever protocol carried it. */
export type IdentityTokenCheck = { ok: true; identity: IdentityRef; expiresAtMs: number } | { ok: false; malformed: boolean; reason: string };

/**
 * The one SAS rule for device and module tokens (MQTT CONNECT passwords, AMQP CBS put-token):
 * a `SharedAccessSignature` whose resource URI is `<accepted host>[:port]/devices/<d>[/modules/<m>]`
 * (learn.microsoft.com/azure/iot-hub/iot-hub-dev-guide-sas), naming `expected` when given (ids
 * compared case-insensitively, as edgeHub does; a module token never authenticates a device or
 * vice versa), unexpired, and signed with that identity's primary or secondary key. Hub-level
 * policy tokens (`skn=`) are refused. `malformed` marks text that is no SAS token at all.
 */
export function verifyIdentityToken(text: string, ctx: AuthContext, expected?: IdentityRef): IdentityTokenCheck {
  const token = parseSasToken(text);
  if (!token) return { ok: false, malformed: true, reason: 'password is not a SharedAccessSignature token' };
  const deny = (reason: string): IdentityTokenCheck => ({ ok: false, malformed: false, reason });
  if (token.keyName) return deny('a hub policy token cannot connect a device or module');

  const audience = parseResourceUri(token.resourceUri);
  if (!audience) return deny(`token resource ${token.resourceUri} is not <host>/devices/<id>[/modules/<id>]`);
  const hostOk = ctx.acceptedHosts.some((h) => sameHost(audience.host, h));
  if (!hostOk) return deny(`token is for host ${audience.host}, not this hub`);
  const named = audience.moduleId ? `${audience.deviceId}/${audience.moduleId}` : audience.deviceId;
  const sameId = (a: string | undefined, b: string | undefined) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
  if (expected && (!sameId(audience.deviceId, expected.deviceId) || !sameId(audience.moduleId, expected.moduleId))) {
    return deny(`token is for ${named}, not ${expected.moduleId ? `${expected.deviceId}/${expected.moduleId}` : expected.deviceId}`);
  }
  const identity: IdentityRef = expected ?? (audience.moduleId ? { deviceId: audience.deviceId, moduleId: audience.moduleId } : { deviceId: audience.deviceId });

  const keys = ctx.keysOf(identity);
  if (!keys) return deny(`identity ${clientIdOf(identity)} does not exist`);
  const primary = verifySasSignature(token, keys.primaryKey, ctx.nowMs);
  if (primary.ok) return { ok: true, identity, expiresAtMs: token.expiry * 1000 };
  const secondary = verifySasSignature(token, keys.secondaryKey, ctx.nowMs);
  if (secondary.ok) return { ok: true, identity, expiresAtMs: token.expiry * 1000 };
  return deny(primary.reason === 'expired' ? 'token expired' : 'token signature does not match the identity keys');
}

const refuse = (returnCode: ConnackRefusal, reason: string): AuthResult => ({ ok: false, returnCode, reason });

/** `host[:port]/devices/<d>[/modules/<m>]` (the SAS audience of a device or module). */
export function parseResourceUri(uri: string): { host: string; deviceId: string; moduleId?: string } | undefined {
  const m = /^([^/]+)\/devices\/([^/]+)(?:\/modules\/([^/]+))?\/?$/.exec(uri);
  if (!m) return undefined;
  return m[3] ? { host: m[1]!, deviceId: m[2]!, moduleId: m[3] } : { host: m[1]!, deviceId: m[2]! };
}

/** Host names compared case-insensitively, the token's `:port` optional. */
function sameHost(tokenHost: string, accepted: string): boolean {
  const t = tokenHost.toLowerCase();
  const a = accepted.toLowerCase();
  return t === a || t.replace(/:\d+$/, '') === a.replace(/:\d+$/, '');
}
