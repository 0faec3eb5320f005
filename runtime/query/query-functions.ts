/**
 * The built-in functions of twin queries: the type checks and string tests of IoT Hub's query
 * language (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language, "Functions").
 * A function answers `undefined` (neither true nor false) when its arguments have the wrong type,
 * so a WHERE over a property some twins lack leaves those twins out instead of failing.
 */

type Fn = (args: readonly unknown[]) => unknown;

interface Builtin {
  arity: number;
  fn: Fn;
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (fn: (a: string, b: string) => boolean): Fn => ([a, b]) => (typeof a === 'string' && typeof b === 'string' ? fn(a, b) : undefined);

const startsWith = strings((a, b) => a.startsWith(b));
const endsWith = strings((a, b) => a.endsWith(b));

const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ['IS_DEFINED', { arity: 1, fn: ([v]) => v !== undefined }],
  ['IS_NULL', { arity: 1, fn: ([v]) => v === null }],
  ['IS_BOOL', { arity: 1, fn: ([v]) => typeof v === 'boolean' }],
  ['IS_NUMBER', { arity: 1, fn: ([v]) => typeof v === 'number' }],
  ['IS_STRING', { arity: 1, fn: ([v]) => typeof v === 'string' }],
  ['IS_OBJECT', { arity: 1, fn: ([v]) => isObject(v) }],
  ['IS_ARRAY', { arity: 1, fn: ([v]) => Array.isArray(v) }],
  ['IS_PRIMITIVE', { arity: 1, fn: ([v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v) }],
  ['STARTS_WITH', { arity: 2, fn: startsWith }],
  ['ENDS_WITH', { arity: 2, fn: endsWith }],
  ['CONTAINS', { arity: 2, fn: strings((a, b) => a.includes(b)) }],
]);

/** Spellings accepted besides the canonical names (`STARTSWITH` as some IoT Hub samples write it). */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['STARTSWITH', 'STARTS_WITH'],
  ['ENDSWITH', 'ENDS_WITH'],
]);

/** The canonical name and arity of a function written `name` (any case); undefined when unknown. */
export function lookupFunction(name: string): { name: string; arity: number } | undefined {
  const upper = name.toUpperCase();
  const canonical = ALIASES.get(upper) ?? upper;
  const builtin = BUILTINS.get(canonical);
  return builtin ? { name: canonical, arity: builtin.arity } : undefined;
}

/** Calls a function the parser resolved. */
export function callFunction(name: string, args: readonly unknown[]): unknown {
  return BUILTINS.get(name)!.fn(args);
}

/** The names the error message lists. */
export const FUNCTION_NAMES: readonly string[] = [...BUILTINS.keys()];
