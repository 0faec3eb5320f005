import { isSystemPropertyWireName } from './system-properties.js';

/**
 * The MQTT property bag IoT Hub appends to message topics (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub,
 * docs/iot-hub-protocol.md "Property bag and system properties"): a URL query string where `$.`-prefixed names are system properties
 * (`$.mid` messageId, `$.cid` correlationId, `$.on` output name, …) and all others are
 * application properties. A value-less key (`key`) means null, `key=` the empty string.
 * Unknown `$.` names are application properties (edgeHub `SystemProperties.cs` incoming map).
 */
export interface PropertyBag {
  /** System properties by wire name without the `$.` prefix (`mid`, `cid`, `ct`, `on`, …). */
  system: Record<string, string>;
  /** Application properties. */
  app: Record<string, string>;
}

/** Percent-decoding; text without `%` is its own decoding (the common case: `$.ct=application%2Fjson` is the exception). */
const decoded = (text: string): string => (text.includes('%') ? decodeURIComponent(text) : text);

/**
 * Parses a property bag; undefined when a name or value is not valid percent-encoding.
 * A leading `?` and a trailing `/` are tolerated (both occur on the wire).
 */
export function parsePropertyBag(text: string): PropertyBag | undefined {
  let s = text;
  if (s.startsWith('?')) s = s.slice(1);
  if (s.endsWith('/')) s = s.slice(0, -1);
  const bag: PropertyBag = { system: {}, app: {} };
  if (s === '') return bag;
  for (const pair of s.split('&')) {
    if (pair === '') continue;
    const i = pair.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decoded(i < 0 ? pair : pair.slice(0, i));
      value = i < 0 ? '' : decoded(pair.slice(i + 1));
    } catch {
      return undefined;
    }
    // Only known `$.` names are system properties; any other (`$.custom`) stays an application
    // property under its full name, as edgeHub's incoming system-property map does.
    if (name.startsWith('$.') && isSystemPropertyWireName(name.slice(2))) bag.system[name.slice(2)] = value;
    else bag.app[name] = value;
  }
  return bag;
}

/** The characters `encodeURIComponent` leaves as they are (ECMA-262 `uriUnreserved`): text of only these is its own encoding. */
const UNRESERVED = /^[A-Za-z0-9\-_.!~*'()]*$/;
/** `encodeURIComponent(text)`, without building a copy of text that needs no escaping (most names and values). */
const encoded = (text: string): string => (UNRESERVED.test(text) ? text : encodeURIComponent(text));
/** Encoded `$.<name>` of the system property names seen (a handful: `mid`, `ct`, `cdid`, …). */
const systemNames = new Map<string, string>();
const systemName = (name: string): string => {
  let e = systemNames.get(name);
  if (e === undefined) {
    e = encodeURIComponent(`$.${name}`);
    if (systemNames.size < 256) systemNames.set(name, e);
  }
  return e;
};

/** Encodes a property bag for a hub→client topic (system properties first, as the SDK writes them). */
export function encodePropertyBag(bag: PropertyBag): string {
  let out = '';
  const { system, app } = bag;
  for (const k in system) out += `${out === '' ? '' : '&'}${systemName(k)}=${encoded(system[k]!)}`;
  for (const k in app) out += `${out === '' ? '' : '&'}${encoded(k)}=${encoded(app[k]!)}`;
  return out;
}
