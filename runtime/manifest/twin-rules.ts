import { pointer } from './json-pointer.js';

/** Limits IoT Hub enforces on twins (iot-hub-devguide-device-twins; edgeHub `ReportedPropertiesValidator.cs`). */
export const TWIN_SECTION_MAX_BYTES = 32 * 1024;
export const TWIN_KEY_MAX_BYTES = 1024;
export const TWIN_STRING_MAX_BYTES = 4 * 1024;
export const TWIN_MAX_DEPTH = 10;
/** Arrays do not count toward the depth limit, but nesting of any kind stops here (hostile input: no stack overflow). */
export const TWIN_MAX_NESTING = 100;
/** Integers in twins are limited to −2^52 … 2^52−1. */
const INT_MIN = -(2 ** 52);
const INT_MAX = 2 ** 52 - 1;

export interface TwinProblem {
  path: string;
  message: string;
}

/**
 * Checks one twin section (e.g. a module's desired properties) against IoT Hub's twin rules:
 * keys at most 1 KB UTF-8 without control characters, `.`, `$`, `#` or whitespace; objects
 * nested at most 10 levels; string values at most 4 KB; integers within ±2^52; the whole
 * section at most 32 KB. `base` is the pointer of the section. Never throws.
 */
export function checkTwinSection(section: Record<string, unknown>, base: string, label: string): TwinProblem[] {
  const problems: TwinProblem[] = [];
  const walk: Walk = { base, segments: [], problems, tooDeep: false };
  // the section's size as compact JSON, summed while walking (cheaper than serializing it)
  let size = walkObject(section, 1, 1, walk);
  // measured only when the nesting is bounded: JSON.stringify recurses and would overflow the stack
  if (!walk.tooDeep) {
    // values JSON.stringify treats specially (toJSON, BigInt, class instances): ask it directly
    if (Number.isNaN(size)) size = Buffer.byteLength(JSON.stringify(section), 'utf8');
    if (size > TWIN_SECTION_MAX_BYTES) {
      problems.unshift({ path: base, message: `the desired properties of ${label} are ${size} bytes; IoT Hub allows at most ${TWIN_SECTION_MAX_BYTES} bytes (32 KB) per twin section` });
    }
  }
  return problems;
}

/**
 * State of one walk. Pointers are built only when a problem is found (from the segments
 * above the current node): on the happy path no path string is ever made.
 */
interface Walk {
  base: string;
  segments: (string | number)[];
  problems: TwinProblem[];
  /** True once the nesting limits were hit somewhere. */
  tooDeep: boolean;
}

function report(walk: Walk, key: string | number, message: string): void {
  walk.problems.push({ path: pointer(walk.base, ...walk.segments, key), message });
}

/** Checks the members of an object; returns its size as compact UTF-8 JSON (NaN when only JSON.stringify can tell). */
function walkObject(node: Record<string, unknown>, depth: number, nesting: number, walk: Walk): number {
  const keys = Object.keys(node);
  let size = isPlainData(node) ? 2 : NaN; // {}
  let members = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    let keySize: number;
    // one scan for the usual key: legal, and written by JSON.stringify as itself
    if (CLEAN_PLAIN_KEY.test(key)) keySize = key.length + 2;
    else {
      const keyProblem = twinKeyProblem(key);
      if (keyProblem) report(walk, key, keyProblem);
      keySize = jsonStringBytes(key);
    }
    const valueSize = checkValue(node[key], key, depth, nesting, walk);
    // JSON.stringify leaves out members whose value is undefined, a function or a symbol
    if (valueSize === OMITTED) continue;
    size += keySize + 1 + valueSize; // "key":value
    members++;
  }
  return members > 1 ? size + members - 1 : size;
}

function walkArray(node: unknown[], depth: number, nesting: number, walk: Walk): number {
  let size = isPlainData(node) ? 2 : NaN; // []
  for (let i = 0; i < node.length; i++) {
    const valueSize = checkValue(node[i], i, depth, nesting, walk);
    size += valueSize === OMITTED ? 4 : valueSize; // undefined, functions and symbols become null in arrays
  }
  return node.length > 1 ? size + node.length - 1 : size;
}

/** Size marker of a value JSON.stringify leaves out (undefined, function, symbol). */
const OMITTED = -1;

/** Checks the value at `key` of the current node; returns its compact JSON size, OMITTED, or NaN. */
function checkValue(value: unknown, key: string | number, depth: number, nesting: number, walk: Walk): number {
  switch (typeof value) {
    case 'string':
      // at most 3 bytes per UTF-16 unit: short strings cannot exceed the limit
      if (value.length * 3 > TWIN_STRING_MAX_BYTES && Buffer.byteLength(value, 'utf8') > TWIN_STRING_MAX_BYTES) {
        report(walk, key, `string value is ${Buffer.byteLength(value, 'utf8')} bytes; twin string values may be at most ${TWIN_STRING_MAX_BYTES} bytes (split createOptions into createOptions01, createOptions02, … chunks)`);
      }
      return jsonStringBytes(value);
    case 'number':
      if ((value < INT_MIN || value > INT_MAX) && isIntegerLiteral(value)) report(walk, key, `integer ${value} is outside the twin range −2^52 … 2^52−1`);
      return numberJsonLength(value);
    case 'boolean':
      return value ? 4 : 5;
    case 'undefined':
    case 'function':
    case 'symbol':
      return OMITTED;
    case 'object': {
      if (value === null) return 4;
      const valueIsArray = Array.isArray(value);
      if (!valueIsArray && depth > TWIN_MAX_DEPTH) {
        report(walk, key, `objects are nested deeper than ${TWIN_MAX_DEPTH} levels; IoT Hub allows a twin depth of at most ${TWIN_MAX_DEPTH}`);
        walk.tooDeep = true;
        return NaN;
      }
      if (nesting >= TWIN_MAX_NESTING) {
        report(walk, key, `values are nested more than ${TWIN_MAX_NESTING} levels deep (arrays included)`);
        walk.tooDeep = true;
        return NaN;
      }
      walk.segments.push(key);
      const size = valueIsArray ? walkArray(value, depth, nesting + 1, walk) : walkObject(value as Record<string, unknown>, depth + 1, nesting + 1, walk);
      walk.segments.pop();
      return size;
    }
    default:
      return NaN; // bigint: JSON.stringify decides (it throws)
  }
}

/** Plain JSON data (what JSON.parse makes): no prototype tricks and no toJSON that JSON.stringify would call. */
function isPlainData(node: object): boolean {
  const proto: unknown = Object.getPrototypeOf(node);
  return (proto === Object.prototype || proto === Array.prototype || proto === null) && typeof (node as { toJSON?: unknown }).toJSON !== 'function';
}

/**
 * Twin keys that break no key rule (non-empty, printable ASCII without `.`, `$`, `#`, space,
 * at most 1024 bytes) and that JSON.stringify writes unescaped (no quote or backslash).
 */
const CLEAN_PLAIN_KEY = /^[\x21\x25-\x2d\x2f-\x5b\x5d-\x7e]{1,1024}$/;

/** The length of `JSON.stringify(value)` for a number (ASCII, so also its byte count). */
function numberJsonLength(value: number): number {
  if (!Number.isFinite(value)) return 4; // NaN and ±Infinity become null
  if (!Number.isSafeInteger(value)) return String(value).length;
  // integers below 2^53 print as plain digits ("-0" prints as "0"): count them without making the string
  let length = value < 0 ? 2 : 1;
  const magnitude = Math.abs(value);
  for (let power = 10; magnitude >= power; power *= 10) length++;
  return length;
}

/** Characters JSON.stringify writes as themselves and that take one UTF-8 byte. */
const PLAIN_JSON_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The UTF-8 size of `JSON.stringify(text)` (ECMA-262 QuoteJSONString), without building it. */
export function jsonStringBytes(text: string): number {
  if (PLAIN_JSON_TEXT.test(text)) return text.length + 2;
  if (PRINTABLE_ASCII.test(text)) {
    // e.g. createOptions (JSON inside a string): only quotes and backslashes are escaped
    let size = text.length + 2;
    for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) size++;
    for (let i = text.indexOf('\\'); i !== -1; i = text.indexOf('\\', i + 1)) size++;
    return size;
  }
  let size = 2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      // \b \t \n \f \r, other control characters as \u00XX, " and \ escaped
      if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) size += 2;
      else size += c < 0x20 ? 6 : 1;
    } else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        size += 4; // a surrogate pair is one 4-byte code point
        i++;
      } else size += 6; // a lone surrogate is written as \uXXXX
    } else if (c >= 0xdc00 && c <= 0xdfff) size += 6;
    else size += 3;
  }
  return size;
}

/** An integer as it would be written back to JSON (`1e+300` is a float literal, `9007199254740992` is not). */
const isIntegerLiteral = (v: number): boolean => Number.isInteger(v) && !String(v).includes('e');

// eslint-disable-next-line no-control-regex
const ANY_BAD_KEY_CHAR = /[\u0000-\u001f\u007f.$#\s]/;

/** Why `key` is not a legal twin property name, or undefined when it is. */
export function twinKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'twin property names may not be empty';
  if (key.length * 3 > TWIN_KEY_MAX_BYTES && Buffer.byteLength(key, 'utf8') > TWIN_KEY_MAX_BYTES) return `twin property name is longer than ${TWIN_KEY_MAX_BYTES} bytes`;
  // one scan for the common case (a clean key), then find out which rule was broken
  if (!ANY_BAD_KEY_CHAR.test(key)) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return `twin property name ${JSON.stringify(key)} contains a control character`;
  const bad = /[.$#\s]/.exec(key);
  if (bad) return `twin property name ${JSON.stringify(key)} contains ${JSON.stringify(bad[0])}; IoT Hub does not allow ".", "$", "#" or whitespace in twin keys`;
  return undefined;
}
