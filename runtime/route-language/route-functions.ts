import type { StaticType } from './route-ast.js';

/**
 * The built-in functions of the routing query language as edgeHub registers them
 * (`Routing.Core/query/ConditionVisitor.cs` `Builtins`, names case-insensitive), with the
 * static signatures the parser checks and the runtime behaviour the evaluator applies.
 * Runtime rule (`Builtin.cs`, `Undefined.cs`): an argument that is undefined, or whose
 * dynamic type does not fit, makes the result undefined; only the `is_*` checks see undefined.
 */
export type RuntimeValue = string | number | boolean | null | undefined;

export interface BuiltinFunction {
  /** Parameter types; with `variadic`, the last one repeats. `any` accepts everything. */
  params: readonly StaticType[];
  /** Fewest arguments accepted (defaults to `params.length`). */
  minArgs?: number;
  variadic?: boolean;
  returns: StaticType;
  /** Receives arguments already checked for dynamic type (see `checkArgs`). */
  apply(args: readonly RuntimeValue[]): RuntimeValue;
  /** `is_*`: arguments are passed through unchecked, undefined included. */
  acceptsUndefined?: boolean;
}

const num = (f: (x: number) => number): BuiltinFunction => ({
  params: ['number'],
  returns: 'number',
  apply: ([x]) => finite(f(x as number)),
});

/** NaN and infinities have no JSON/.NET-double-comparable meaning in conditions: undefined. */
const finite = (x: number): number | undefined => (Number.isFinite(x) ? x : undefined);

const typeCheck = (pred: (v: RuntimeValue) => boolean): BuiltinFunction => ({
  params: ['any'],
  returns: 'bool',
  acceptsUndefined: true,
  apply: ([v]) => pred(v),
});

const strPred = (f: (a: string, b: string) => boolean): BuiltinFunction => ({
  params: ['string', 'string'],
  returns: 'bool',
  apply: ([a, b]) => f(a as string, b as string),
});

/** Keyed by lower-case name. */
export const BUILTINS: Readonly<Record<string, BuiltinFunction>> = {
  // math
  abs: num(Math.abs),
  exp: num(Math.exp),
  power: { params: ['number', 'number'], returns: 'number', apply: ([a, b]) => finite(Math.pow(a as number, b as number)) },
  square: num((x) => x * x),
  ceiling: num(Math.ceil),
  floor: num(Math.floor),
  sign: num(Math.sign),
  sqrt: num(Math.sqrt),
  // type checking
  as_number: {
    params: ['string'],
    returns: 'number',
    apply: ([s]) => {
      const text = (s as string).trim();
      if (text === '') return undefined;
      const n = Number(text);
      return Number.isFinite(n) ? n : undefined;
    },
  },
  is_bool: typeCheck((v) => typeof v === 'boolean'),
  is_defined: typeCheck((v) => v !== undefined),
  is_null: typeCheck((v) => v === null),
  is_number: typeCheck((v) => typeof v === 'number'),
  is_string: typeCheck((v) => typeof v === 'string'),
  // strings
  concat: { params: ['string', 'string'], minArgs: 1, variadic: true, returns: 'string', apply: (args) => args.join('') },
  length: { params: ['string'], returns: 'number', apply: ([s]) => (s as string).length },
  lower: { params: ['string'], returns: 'string', apply: ([s]) => (s as string).toLowerCase() },
  upper: { params: ['string'], returns: 'string', apply: ([s]) => (s as string).toUpperCase() },
  substring: {
    params: ['string', 'number', 'number'],
    minArgs: 2,
    returns: 'string',
    apply: ([s, start, length]) => {
      const text = s as string;
      const from = start as number;
      if (!Number.isInteger(from) || from < 0 || from > text.length) return undefined;
      if (length === undefined) return text.slice(from);
      const len = length as number;
      if (!Number.isInteger(len) || len < 0 || from + len > text.length) return undefined;
      return text.slice(from, from + len);
    },
  },
  index_of: { params: ['string', 'string'], returns: 'number', apply: ([a, b]) => (a as string).indexOf(b as string) },
  starts_with: strPred((a, b) => a.startsWith(b)),
  ends_with: strPred((a, b) => a.endsWith(b)),
  contains: strPred((a, b) => a.includes(b)),
};

/** `twin_change_includes(path)` takes its argument as raw text and only works on `/twinChangeNotifications`. */
export const TWIN_CHANGE_INCLUDES = 'twin_change_includes';

/** The expected type of argument `index` (the last parameter repeats for variadic functions). */
export function paramType(fn: BuiltinFunction, index: number): StaticType | undefined {
  if (index < fn.params.length) return fn.params[index];
  return fn.variadic ? fn.params[fn.params.length - 1] : undefined;
}

const dynamicType = (v: RuntimeValue): StaticType =>
  v === undefined ? 'undefined' : v === null ? 'null' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'number' : 'string';

/** Calls a builtin on evaluated arguments; wrong dynamic types and undefined give undefined. */
export function callBuiltin(fn: BuiltinFunction, args: readonly RuntimeValue[]): RuntimeValue {
  if (!fn.acceptsUndefined) {
    for (let i = 0; i < args.length; i += 1) {
      const expected = paramType(fn, i);
      const value = args[i];
      if (value === undefined) return undefined;
      if (expected !== 'any' && dynamicType(value) !== expected) return undefined;
    }
  }
  return fn.apply(args);
}
