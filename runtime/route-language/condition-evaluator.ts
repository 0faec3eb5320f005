import type { BinaryOp, ConditionNode } from './route-ast.js';
import { BUILTINS, TWIN_CHANGE_INCLUDES, callBuiltin, type RuntimeValue } from './route-functions.js';
import type { RoutingMessage } from './routing-message.js';

/**
 * Evaluates a parsed route condition against a message the way edgeHub does
 * (`Routing.Core/query/ConditionVisitor.cs`, `Bool.cs`): three-valued logic where an undefined
 * operand (missing property, wrong dynamic type, body not JSON) propagates, `AND`/`OR` follow
 * SQL-style rules, and the route matches only when the result is exactly `true`. Never throws;
 * an absent condition is `true`.
 */
export function evaluateCondition(condition: ConditionNode | undefined, message: RoutingMessage, context?: ConditionContext): boolean {
  if (condition === undefined) return true;
  try {
    const ctx = context instanceof EvalContext && context.message === message ? context : new EvalContext(message);
    return compiled(condition)(ctx) === true;
  } catch {
    /* c8 ignore next -- defensive: evaluation has no throwing paths, but a route must never crash the hub */
    return false;
  }
}

/** A condition (sub)tree compiled to a closure: evaluated per message without walking the tree. */
type Compiled = (ctx: EvalContext) => RuntimeValue;

/** Each parsed condition is compiled once, on its first evaluation; the route set holds the tree, so it holds the closure. */
const cache = new WeakMap<ConditionNode, Compiled>();
function compiled(condition: ConditionNode): Compiled {
  let fn = cache.get(condition);
  if (fn === undefined) {
    fn = compile(condition);
    cache.set(condition, fn);
  }
  return fn;
}

/** Content types and encodings under which `$body` queries work (`Routing.Core/Message.cs`, `Constants.cs`). */
const JSON_CONTENT_TYPE = 'application/json';
const BODY_ENCODINGS = new Set(['utf-8', 'utf-16', 'utf-32']);
const NO_BODY: unique symbol = Symbol('no body');

/** Per-message evaluation state (the parsed body), shared by all routes evaluated for one message. */
export type ConditionContext = object;

/** Creates the shared context for evaluating many conditions against one message (body parsed at most once). */
export const createConditionContext = (message: RoutingMessage): ConditionContext => new EvalContext(message);

class EvalContext {
  private body: unknown = undefined;
  private bodyParsed = false;

  constructor(readonly message: RoutingMessage) {}

  /** The JSON body, parsed once per message; `NO_BODY` if the content type/encoding forbid it or parsing fails. */
  json(): unknown {
    if (!this.bodyParsed) {
      this.bodyParsed = true;
      this.body = parseBody(this.message);
    }
    return this.body;
  }
}

function parseBody(message: RoutingMessage): unknown {
  const sys = message.systemProperties;
  const ct = sys.contentType?.toLowerCase();
  const ce = sys.contentEncoding?.toLowerCase();
  if (ct !== JSON_CONTENT_TYPE || ce === undefined || !BODY_ENCODINGS.has(ce)) return NO_BODY;
  try {
    return JSON.parse(decode(message.body, ce));
  } catch {
    return NO_BODY;
  }
}

function decode(bytes: Uint8Array, encoding: string): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (encoding === 'utf-8') return buf.toString('utf8');
  // .NET Encoding.Unicode / UTF32 are little-endian.
  if (encoding === 'utf-16') return buf.toString('utf16le');
  let out = '';
  for (let i = 0; i + 3 < buf.length; i += 4) out += String.fromCodePoint(buf.readUInt32LE(i));
  return out;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** System property names as written after `$`; `cid` is edgeHub's internal alias of correlationId. */
const SYS_ALIASES: Readonly<Record<string, string>> = { cid: 'correlationId' };

function systemProperty(ctx: EvalContext, name: string): RuntimeValue {
  const sys = ctx.message.systemProperties;
  const key = hasOwn(sys, name) ? name : SYS_ALIASES[name];
  return key !== undefined && hasOwn(sys, key) ? sys[key] : undefined;
}

/** JSON value at a path; objects and arrays are not values in conditions (undefined). */
function bodyValue(ctx: EvalContext, path: readonly (string | number)[]): RuntimeValue {
  let v: unknown = ctx.json();
  if (v === NO_BODY) return undefined;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    if (typeof seg === 'number') {
      if (!Array.isArray(v)) return undefined;
      v = v[seg];
    } else {
      if (Array.isArray(v) || !hasOwn(v, seg)) return undefined;
      v = (v as Record<string, unknown>)[seg];
    }
  }
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return undefined;
}

/** Three-valued boolean view of a value: anything but a boolean is undefined (`Bool.cs` conversions). */
const asBool = (v: RuntimeValue): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** The closure of one node; its children are compiled with it (a route set is compiled once per configuration). */
function compile(node: ConditionNode): Compiled {
  switch (node.kind) {
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'appProperty': {
      const name = node.name;
      return (ctx) => {
        const props = ctx.message.properties;
        return hasOwn(props, name) ? props[name] : undefined;
      };
    }
    case 'sysProperty': {
      // `$name`: an application property literally named `$name` takes precedence.
      const { name, escaped } = node;
      const literal = `$${name}`;
      return (ctx) => {
        const props = ctx.message.properties;
        if (!escaped && hasOwn(props, literal)) return props[literal];
        return systemProperty(ctx, name);
      };
    }
    case 'bodyQuery': {
      const { text, path, escaped } = node;
      return (ctx) => {
        const props = ctx.message.properties;
        if (!escaped && hasOwn(props, text)) return props[text];
        return bodyValue(ctx, path);
      };
    }
    case 'unary': {
      const operand = compile(node.operand);
      if (node.op === '-') {
        return (ctx) => {
          const v = operand(ctx);
          return typeof v === 'number' ? -v : undefined;
        };
      }
      return (ctx) => {
        const b = asBool(operand(ctx));
        return b === undefined ? undefined : !b;
      };
    }
    case 'binary':
      return compileBinary(node.op, compile(node.left), compile(node.right));
    case 'call': {
      if (node.name === TWIN_CHANGE_INCLUDES) {
        const rawArgs = node.rawArgs;
        return (ctx) => twinChangeIncludes(ctx, rawArgs);
      }
      const fn = BUILTINS[node.name];
      if (fn === undefined) return () => undefined;
      const args = node.args.map(compile);
      return (ctx) =>
        callBuiltin(
          fn,
          args.map((a) => a(ctx)),
        );
    }
  }
}

function compileBinary(op: BinaryOp, left: Compiled, right: Compiled): Compiled {
  switch (op) {
    case 'AND':
      // Bool.operator&: false wins over undefined.
      return threeValued(false, left, right);
    case 'OR':
      // Bool.operator|: true wins over undefined.
      return threeValued(true, left, right);
    case '??':
      return (ctx) => {
        const l = left(ctx);
        return l !== undefined ? l : right(ctx);
      };
    case '*':
    case '/':
    case '%':
    case '+':
    case '-': {
      const arithmetic = ARITHMETIC[op];
      return (ctx) => {
        const l = left(ctx);
        const r = right(ctx);
        if (typeof l !== 'number' || typeof r !== 'number') return undefined;
        const v = arithmetic(l, r);
        return Number.isFinite(v) ? v : undefined;
      };
    }
    case '||':
      return (ctx) => {
        const l = left(ctx);
        const r = right(ctx);
        return typeof l === 'string' && typeof r === 'string' ? l + r : undefined;
      };
    default:
      return (ctx) => {
        const l = left(ctx);
        const r = right(ctx);
        if (l === undefined || r === undefined) return undefined;
        return compare(op, l, r);
      };
  }
}

/**
 * `AND` (dominant false) and `OR` (dominant true) in three-valued logic (`Bool.cs`): the
 * dominant value on either side decides, even against undefined; otherwise undefined on
 * either side makes the result undefined.
 */
function threeValued(dominant: boolean, left: Compiled, right: Compiled): Compiled {
  return (ctx) => {
    const l = asBool(left(ctx));
    if (l === dominant) return dominant;
    const r = asBool(right(ctx));
    if (r === dominant) return dominant;
    return l === undefined || r === undefined ? undefined : !dominant;
  };
}

const ARITHMETIC: Readonly<Record<'*' | '/' | '%' | '+' | '-', (l: number, r: number) => number>> = {
  '*': (l, r) => l * r,
  '/': (l, r) => l / r,
  '%': (l, r) => l % r,
  '+': (l, r) => l + r,
  '-': (l, r) => l - r,
};

/** Comparison of same-typed values (ordinal for strings, false < true); mixed types are undefined. */
function compare(op: BinaryOp, left: RuntimeValue, right: RuntimeValue): RuntimeValue {
  if (left === null || right === null) {
    if (left !== right) return undefined;
    return op === '=' ? true : op === '!=' ? false : undefined;
  }
  if (typeof left !== typeof right) return undefined;
  const l = left as string | number | boolean;
  const r = right as string | number | boolean;
  switch (op) {
    case '=':
      return l === r;
    case '!=':
      return l !== r;
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    default:
      return undefined;
  }
}

/**
 * `twin_change_includes(properties.reported.x)`: true when the twin-change notification body
 * (a JSON patch `{ "properties": { "reported": {...} } }`) contains that path.
 */
function twinChangeIncludes(ctx: EvalContext, path: string): boolean | undefined {
  let v: unknown = ctx.json();
  if (v === NO_BODY) {
    try {
      v = JSON.parse(Buffer.from(ctx.message.body).toString('utf8'));
    } catch {
      return undefined;
    }
  }
  for (const seg of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !hasOwn(v, seg)) return false;
    v = (v as Record<string, unknown>)[seg];
  }
  return true;
}
