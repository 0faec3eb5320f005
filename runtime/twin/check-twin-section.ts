import { jsonStringBytes, numberJsonLength } from './json-size.js';
import { twinKeyRule } from './twin-key.js';
import {
  TWIN_INTEGER_MAX,
  TWIN_INTEGER_MIN,
  TWIN_MAX_DEPTH,
  TWIN_MAX_NESTING,
  TWIN_SECTION_MAX_BYTES,
  TWIN_STRING_MAX_BYTES,
  type TwinSectionKind,
} from './twin-limits.js';
import type { TwinProblem, TwinProblemCode } from './twin-problem.js';

/**
 * Checks a whole twin section (tags, desired or reported properties) against IoT Hub's twin
 * rules (runtime/twin/twin-limits.ts): keys, string lengths, the integer range, the depth of
 * objects, and the section's serialized size. `what` names the section in the size message
 * (e.g. "the desired properties of sensor"). Never throws.
 */
export function checkTwinSection(section: Record<string, unknown>, kind: TwinSectionKind, what = `the ${kind} section`): TwinProblem[] {
  const walk: Walk = { segments: [], problems: [], tooDeep: false };
  // the section's size as compact JSON, summed while walking (cheaper than serializing it)
  let size = walkObject(section, 1, 1, walk);
  // measured only when the nesting is bounded: JSON.stringify recurses and would overflow the stack
  if (!walk.tooDeep) {
    // values JSON.stringify treats specially (toJSON, BigInt, class instances): ask it directly
    if (Number.isNaN(size)) size = Buffer.byteLength(JSON.stringify(section), 'utf8');
    const tooLarge = sectionSizeProblem(kind, size, what);
    if (tooLarge) walk.problems.unshift(tooLarge);
  }
  return walk.problems;
}

/**
 * Checks a merge patch (or a whole section) for the key, value and depth rules, without the
 * size rule: the size applies to the section once the patch is merged (`checkSectionSize`).
 * A patch that is not a JSON object is refused. Empty array = valid.
 */
export function checkTwinPatch(patch: unknown): TwinProblem[] {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    return [{ code: 'not-an-object', segments: [], message: 'a twin patch must be a JSON object' }];
  }
  const walk: Walk = { segments: [], problems: [], tooDeep: false };
  walkObject(patch as Record<string, unknown>, 1, 1, walk);
  return walk.problems;
}

/** Checks the serialized size of a whole section (after a patch was merged into it). */
export function checkSectionSize(section: Record<string, unknown>, kind: TwinSectionKind): TwinProblem[] {
  const problem = sectionSizeProblem(kind, Buffer.byteLength(JSON.stringify(section), 'utf8'), `the ${kind} section`);
  return problem ? [problem] : [];
}

function sectionSizeProblem(kind: TwinSectionKind, size: number, what: string): TwinProblem | undefined {
  const max = TWIN_SECTION_MAX_BYTES[kind];
  if (size <= max) return undefined;
  return { code: 'section-too-large', segments: [], message: `${what} would be ${size} bytes, more than ${max} bytes (${max / 1024} KB), IoT Hub's limit for a twin's ${kind} section` };
}

/**
 * State of one walk. Paths are copied only when a problem is found (from the segments above
 * the current node): on the happy path no path is ever built.
 */
interface Walk {
  segments: (string | number)[];
  problems: TwinProblem[];
  /** True once the nesting limits were hit somewhere. */
  tooDeep: boolean;
}

function report(walk: Walk, key: string | number, code: TwinProblemCode, message: string): void {
  walk.problems.push({ code, segments: [...walk.segments, key], message });
}

/**
 * Checks the members of an object whose keys sit at `depth` (1 = the section's own keys);
 * returns its size as compact UTF-8 JSON (NaN when only JSON.stringify can tell).
 */
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
      const rule = twinKeyRule(key);
      if (rule) report(walk, key, rule.code, rule.message);
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

/** Arrays do not add a level of depth: their items are checked at the depth of the array's key. */
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
        report(walk, key, 'string-too-long', `string value is ${Buffer.byteLength(value, 'utf8')} bytes, longer than ${TWIN_STRING_MAX_BYTES} bytes (IoT Hub's limit for a twin string value)`);
      }
      return jsonStringBytes(value);
    case 'number':
      if ((value < TWIN_INTEGER_MIN || value > TWIN_INTEGER_MAX) && isIntegerLiteral(value)) {
        report(walk, key, 'integer-out-of-range', `integer ${value} is outside the twin range −2^52 … 2^52−1`);
      }
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
      // an object held by a key at depth 10 is the 10th level below the section: its keys sit at
      // depth 11 and may hold scalars or arrays, never another object (IoT Hub's depth example)
      if (!valueIsArray && depth > TWIN_MAX_DEPTH) {
        report(walk, key, 'too-deep', `objects are nested deeper than ${TWIN_MAX_DEPTH} levels (the maximum depth IoT Hub allows in a twin)`);
        walk.tooDeep = true;
        return NaN;
      }
      if (nesting >= TWIN_MAX_NESTING) {
        report(walk, key, 'too-nested', `values are nested more than ${TWIN_MAX_NESTING} levels deep (arrays included)`);
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

/** An integer as it would be written back to JSON (`1e+300` is a float literal, `9007199254740992` is not). */
const isIntegerLiteral = (v: number): boolean => Number.isInteger(v) && !String(v).includes('e');
