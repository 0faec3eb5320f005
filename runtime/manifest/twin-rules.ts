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
  const tooDeep = walk(section, base, 1, 1, problems);
  // measured only when the nesting is bounded: JSON.stringify recurses and would overflow the stack
  if (!tooDeep) {
    const size = Buffer.byteLength(JSON.stringify(section), 'utf8');
    if (size > TWIN_SECTION_MAX_BYTES) {
      problems.unshift({ path: base, message: `the desired properties of ${label} are ${size} bytes; IoT Hub allows at most ${TWIN_SECTION_MAX_BYTES} bytes (32 KB) per twin section` });
    }
  }
  return problems;
}

/** Returns true when the nesting limits were hit somewhere below `node`. */
function walk(node: Record<string, unknown> | unknown[], path: string, depth: number, nesting: number, problems: TwinProblem[]): boolean {
  let tooDeep = false;
  const isArray = Array.isArray(node);
  const keys = isArray ? undefined : Object.keys(node);
  const length = isArray ? node.length : keys!.length;
  for (let i = 0; i < length; i++) {
    const key: string | number = isArray ? i : keys![i]!;
    const value = isArray ? node[i] : node[key as string];
    // pointers are built only where needed (a problem, or an object to descend into): this runs for every key
    if (typeof key === 'string') {
      const keyProblem = twinKeyProblem(key);
      if (keyProblem) problems.push({ path: pointer(path, key), message: keyProblem });
    }
    if (typeof value === 'string') {
      // at most 3 bytes per UTF-16 unit: short strings cannot exceed the limit
      if (value.length * 3 > TWIN_STRING_MAX_BYTES && Buffer.byteLength(value, 'utf8') > TWIN_STRING_MAX_BYTES) {
        problems.push({ path: pointer(path, key), message: `string value is ${Buffer.byteLength(value, 'utf8')} bytes; twin string values may be at most ${TWIN_STRING_MAX_BYTES} bytes (split createOptions into createOptions01, createOptions02, … chunks)` });
      }
    } else if (typeof value === 'number') {
      if ((value < INT_MIN || value > INT_MAX) && isIntegerLiteral(value)) problems.push({ path: pointer(path, key), message: `integer ${value} is outside the twin range −2^52 … 2^52−1` });
    } else if (value !== null && typeof value === 'object') {
      const valueIsArray = Array.isArray(value);
      if (!valueIsArray && depth > TWIN_MAX_DEPTH) {
        problems.push({ path: pointer(path, key), message: `objects are nested deeper than ${TWIN_MAX_DEPTH} levels; IoT Hub allows a twin depth of at most ${TWIN_MAX_DEPTH}` });
        tooDeep = true;
        continue;
      }
      if (nesting >= TWIN_MAX_NESTING) {
        problems.push({ path: pointer(path, key), message: `values are nested more than ${TWIN_MAX_NESTING} levels deep (arrays included)` });
        tooDeep = true;
        continue;
      }
      if (walk(value as Record<string, unknown>, pointer(path, key), valueIsArray ? depth : depth + 1, nesting + 1, problems)) tooDeep = true;
    }
  }
  return tooDeep;
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
