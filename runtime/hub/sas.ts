import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Shared access signatures as IoT Hub defines them (learn.microsoft.com/azure/iot-hub/iot-hub-dev-guide-sas):
 * `SharedAccessSignature sr=<urlenc resourceUri>&sig=<urlenc base64 HMAC>&se=<epoch s>[&skn=<policy>]`,
 * signed over `urlencode(resourceUri) + "\n" + se` with the base64-decoded key.
 *
 * Not every SDK encodes `sr`: the Java device SDK (Azure/azure-iot-sdk-java
 * `iothub/device/iot-device-client/.../auth/IotHubSasToken.java`) writes `sr=<host>/devices/<id>`
 * unencoded and signs that raw text, and IoT Hub accepts such tokens. The hub therefore accepts a
 * signature over the URL-encoded resource URI or over `sr` exactly as the token carries it.
 */
export interface SasToken {
  /** The resource URI, decoded (e.g. `localhost:8883/devices/dev1`). */
  resourceUri: string;
  /** Signature as base64 (decoded from the URL encoding). */
  signature: string;
  /** Expiry in seconds since the epoch. */
  expiry: number;
  /** Policy name for hub-level tokens (`iothubowner`); absent for device/module keys. */
  keyName?: string | undefined;
  /** `sr` exactly as written in the token (before URL decoding), which some SDKs sign instead of the encoded form. */
  rawResourceUri?: string | undefined;
}

/** Node's strict URI component encoding as the Azure SDKs apply it (also escapes `!'()*`). */
export const encodeUriComponentStrict = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** HMAC-SHA256 of `urlencode(resourceUri)\nexpiry` with the base64 key, base64-encoded. */
export function signSas(resourceUri: string, key: string, expiry: number): string {
  return signSasText(encodeUriComponentStrict(resourceUri), key, expiry);
}

/**
 * HMAC-SHA256 of `signedResource\nexpiry`, `signedResource` taken as given (the Java SDK's raw `sr`).
 * IoT Hub signs with the base64-decoded key; Event Hubs / Service Bus tokens (the `sb://` audiences
 * of the Event Hubs-compatible endpoint, learn.microsoft.com/azure/service-bus-messaging/service-bus-sas)
 * sign with the key's text as UTF-8 (`keyEncoding: 'utf8'`).
 */
export function signSasText(signedResource: string, key: string, expiry: number, keyEncoding: 'base64' | 'utf8' = 'base64'): string {
  return createHmac('sha256', Buffer.from(key, keyEncoding)).update(`${signedResource}\n${expiry}`).digest('base64');
}

/** Builds a SAS token string, as the SDKs do (tests and the CLI use it to speak to the hub). */
export function createSasToken(resourceUri: string, key: string, expiry: number, keyName?: string): string {
  const sig = signSas(resourceUri, key, expiry);
  const skn = keyName ? `&skn=${encodeUriComponentStrict(keyName)}` : '';
  return `SharedAccessSignature sr=${encodeUriComponentStrict(resourceUri)}&sig=${encodeUriComponentStrict(sig)}&se=${expiry}${skn}`;
}

/** Parses a SAS token string; undefined when it is not one (key order is not significant). */
export function parseSasToken(text: string): SasToken | undefined {
  const prefix = 'SharedAccessSignature ';
  if (!text.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  let rawSr: string | undefined;
  for (const kv of text.slice(prefix.length).split('&')) {
    const i = kv.indexOf('=');
    if (i <= 0) return undefined;
    if (kv.slice(0, i) === 'sr') rawSr = kv.slice(i + 1);
    try {
      fields.set(kv.slice(0, i), decodeURIComponent(kv.slice(i + 1)));
    } catch {
      return undefined;
    }
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  if (sr === undefined || sig === undefined || se === undefined || !/^\d+$/.test(se)) return undefined;
  return { resourceUri: sr, signature: sig, expiry: Number(se), keyName: fields.get('skn'), rawResourceUri: rawSr };
}

/** Why a token was refused; `ok` when it is valid for the given key at the given time. */
export type SasCheck = { ok: true } | { ok: false; reason: 'malformed' | 'expired' | 'bad-signature' };

/**
 * Verifies a parsed token's signature against one key and its expiry against `nowMs`.
 * The resource URI check (which identity, which host) is the caller's (see `auth.ts`).
 */
export function verifySasSignature(token: SasToken, key: string, nowMs: number, keyEncoding: 'base64' | 'utf8' = 'base64'): SasCheck {
  if (token.expiry * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  const given = Buffer.from(token.signature, 'base64');
  const matches = (signedResource: string): boolean => {
    const expected = Buffer.from(signSasText(signedResource, key, token.expiry, keyEncoding), 'base64');
    return expected.length === given.length && timingSafeEqual(expected, given);
  };
  const encoded = encodeUriComponentStrict(token.resourceUri);
  // The URL-encoded form (Node, Python, .NET device SDKs) or `sr` as written (Java device SDK, and the
  // azure-iothub service SDK: common-core/shared_access_signature.ts), see the top of this file;
  // the raw form only counts while it still names the resource the caller checks.
  const raw = token.rawResourceUri;
  if (matches(encoded) || (raw !== undefined && raw !== encoded && decodesTo(raw, token.resourceUri) && matches(raw))) return { ok: true };
  return { ok: false, reason: 'bad-signature' };
}

const decodesTo = (raw: string, resourceUri: string): boolean => {
  try {
    return decodeURIComponent(raw) === resourceUri;
  } catch {
    return false;
  }
};
