/**
 * The one set of twin rules (IoT Hub's documented limits on tags, desired and reported
 * properties), used by the manifest validator, the hub's reported patches and the service
 * API's twin writes. A leaf: imports nothing from other runtime areas. Decisions: docs/hub.md.
 */
export { checkTwinSection, checkTwinPatch, checkSectionSize } from './check-twin-section.js';
export { twinKeyProblem, twinKeyRule } from './twin-key.js';
export { dottedPath, type TwinProblem, type TwinProblemCode } from './twin-problem.js';
export {
  TWIN_SECTION_MAX_BYTES,
  TWIN_KEY_MAX_BYTES,
  TWIN_STRING_MAX_BYTES,
  TWIN_MAX_DEPTH,
  TWIN_MAX_NESTING,
  TWIN_INTEGER_MIN,
  TWIN_INTEGER_MAX,
  type TwinSectionKind,
} from './twin-limits.js';
export { jsonStringBytes } from './json-size.js';
