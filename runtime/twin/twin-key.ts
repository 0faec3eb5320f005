import { TWIN_KEY_MAX_BYTES } from './twin-limits.js';
import type { TwinProblemCode } from './twin-problem.js';

// C0 and C1 control characters (U+0000–U+001F, U+007F–U+009F), '.', '$', '#' and whitespace
// eslint-disable-next-line no-control-regex
const ANY_BAD_KEY_CHAR = /[\u0000-\u001f\u007f-\u009f.$#\s]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;
const RULE = "property names cannot contain '.', '$', '#', whitespace or control characters";

/** The rule `key` breaks as a twin property name (code and message), or undefined when it is legal. */
export function twinKeyRule(key: string): { code: TwinProblemCode; message: string } | undefined {
  if (key.length === 0) return { code: 'key-empty', message: 'empty property name: twin property names may not be empty' };
  // at most 3 bytes per UTF-16 unit: short keys cannot exceed the limit
  if (key.length * 3 > TWIN_KEY_MAX_BYTES && Buffer.byteLength(key, 'utf8') > TWIN_KEY_MAX_BYTES) {
    return { code: 'key-too-long', message: `twin property name is longer than ${TWIN_KEY_MAX_BYTES} bytes` };
  }
  // one scan for the common case (a clean key), then find out which rule was broken
  if (!ANY_BAD_KEY_CHAR.test(key)) return undefined;
  if (CONTROL_CHAR.test(key)) return { code: 'key-character', message: `twin property name ${JSON.stringify(key)} contains a control character; ${RULE}` };
  const bad = /[.$#\s]/.exec(key)!;
  return { code: 'key-character', message: `twin property name ${JSON.stringify(key)} contains ${JSON.stringify(bad[0])}; ${RULE}` };
}

/** Why `key` is not a legal twin property name, or undefined when it is. */
export const twinKeyProblem = (key: string): string | undefined => twinKeyRule(key)?.message;
