// Over 400 lines for a reason: one recursive-descent parser for the whole route grammar (Route.g4
// in Azure/iotedge edge-hub/core/src/Microsoft.Azure.Devices.Routing.Core/grammar/); its
// precedence levels and type checks call each other, so splitting it would scatter one grammar.
import type { BinaryOp, ConditionNode, ParseRouteResult, ParsedRoute, RouteSink, StaticType } from './route-ast.js';
import { BUILTINS, TWIN_CHANGE_INCLUDES, paramType } from './route-functions.js';
import { RouteLexError, RouteLexer, quote, type Token } from './route-lexer.js';

/**
 * Longest route text accepted. IoT Hub caps a twin's desired section at 32 KB
 * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins, "Device twin size"), so no legitimate route is longer.
 */
export const MAX_ROUTE_LENGTH = 32 * 1024;
/** Deepest expression tree accepted (parentheses, unary chains and operator chains all count). */
export const MAX_CONDITION_DEPTH = 64;

/** IoT Hub's identity id rule (same as the hub's `isValidId`). */
const MODULE_ID = /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/;
/** An input name is one MQTT topic level: no wildcards, no whitespace. */
const INPUT_NAME = /^[^/#+\s]{1,128}$/;

class RouteParseError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/**
 * Parses an edgeHub route, `[SELECT *] FROM <source> [WHERE <condition>] INTO <sink>`
 * (Azure/iotedge edge-hub/core/src/Microsoft.Azure.Devices.Routing.Core/grammar/Route.g4), and type-checks the
 * condition the way edgeHub's `ConditionVisitor` compiles it. Never throws: errors come back
 * with a message quoting the offending text and a 0-based character position. Used by the
 * router and by `edgemu validate`.
 */
export function parseRoute(text: string): ParseRouteResult {
  if (typeof text !== 'string') return { ok: false, error: { message: 'route must be a string', position: 0 } };
  if (text.length > MAX_ROUTE_LENGTH) {
    return {
      ok: false,
      error: { message: `route is ${text.length} characters long; the limit is ${MAX_ROUTE_LENGTH}`, position: MAX_ROUTE_LENGTH },
    };
  }
  try {
    return { ok: true, route: new Parser(text).parseRoute() };
  } catch (error) {
    if (error instanceof RouteParseError || error instanceof RouteLexError) {
      return { ok: false, error: { message: error.message, position: error.position } };
    }
    /* c8 ignore next 2 -- a bug in the parser, still reported as a parse error rather than thrown */
    return { ok: false, error: { message: `internal parser error: ${String(error)}`, position: 0 } };
  }
}

const describe = (t: Token): string => {
  switch (t.kind) {
    case 'eof':
      return 'end of route';
    case 'string':
      return `string ${quote(t.value)}`;
    case 'number':
      return `number ${t.value}`;
    case 'word':
      return String(t.value);
    default:
      return quote(String(t.value));
  }
};

/** Operator levels from lowest to highest precedence (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-routing-query-syntax). */
const LEVELS: readonly (readonly BinaryOp[])[] = [
  ['??'],
  ['OR'],
  ['AND'],
  ['=', '!='],
  ['<', '<=', '>', '>='],
  ['+', '-', '||'],
  ['*', '/', '%'],
];

const nodeDepth = new WeakMap<ConditionNode, number>();
const depthOf = (n: ConditionNode): number => nodeDepth.get(n) ?? 1;

/** QueryValue (`any`) and undefined are compatible with everything (`Args.Match` with matchQueryValue). */
const fits = (expected: StaticType, given: StaticType): boolean =>
  expected === given || expected === 'any' || given === 'any' || given === 'undefined' || expected === 'undefined';

const BOOLISH: ReadonlySet<StaticType> = new Set(['bool', 'null', 'undefined', 'any']);

const operandHint = (n: ConditionNode): string =>
  n.kind === 'appProperty'
    ? ` (application property ${quote(n.name)} is a string; compare with a string literal, use as_number(${n.name}), or route on $body)`
    : n.kind === 'sysProperty'
      ? ` (system property ${quote('$' + n.name)} is a string)`
      : '';

class Parser {
  private readonly lexer: RouteLexer;
  private depth = 0;
  private source = '';

  constructor(private readonly text: string) {
    this.lexer = new RouteLexer(text);
  }

  private fail(message: string, position: number): never {
    throw new RouteParseError(message, position);
  }

  private expectKeyword(keyword: string, what: string): Token {
    const t = this.lexer.next();
    if (t.kind !== 'keyword' || t.value !== keyword) this.fail(`expected ${what} but found ${describe(t)}`, t.pos);
    return t;
  }

  private expectPunct(p: string, what: string): Token {
    const t = this.lexer.next();
    if (t.kind !== 'punct' || t.value !== p) this.fail(`expected ${what} but found ${describe(t)}`, t.pos);
    return t;
  }

  parseRoute(): ParsedRoute {
    const first = this.lexer.peek();
    if (first.kind === 'eof') this.fail('route is empty', first.pos);
    if (first.kind === 'keyword' && first.value === 'SELECT') {
      this.lexer.next();
      this.expectPunct('*', '"*" after SELECT');
    }
    this.expectKeyword('FROM', 'FROM');
    const { path } = this.lexer.readPath();
    this.source = path;
    let condition: ConditionNode | undefined;
    let t = this.lexer.peek();
    if (t.kind === 'keyword' && t.value === 'WHERE') {
      this.lexer.next();
      const start = this.lexer.peek();
      if (start.kind === 'keyword' && start.value === 'INTO') this.fail('expected a condition after WHERE but found "INTO"', start.pos);
      // A non-boolean condition compiles in edgeHub (RouteCompiler converts it to Bool, which
      // makes strings and numbers undefined), so it is accepted and simply never matches.
      condition = this.parseExpr();
      t = this.lexer.peek();
      if (!(t.kind === 'keyword' && t.value === 'INTO')) this.fail(`expected an operator or INTO but found ${describe(t)}`, t.pos);
    } else if (!(t.kind === 'keyword' && t.value === 'INTO')) {
      this.fail(`expected WHERE or INTO after the source ${quote(path)} but found ${describe(t)}`, t.pos);
    }
    this.lexer.next();
    const sink = this.parseSink();
    const end = this.lexer.next();
    if (end.kind !== 'eof') this.fail(`unexpected ${describe(end)} after the sink`, end.pos);
    return { text: this.text, source: path, sourcePrefix: sourcePrefix(path), condition, sink };
  }

  /** `$upstream` or `BrokeredEndpoint("/modules/<m>/inputs/<i>")` (`EndpointFactory.cs`). */
  private parseSink(): RouteSink {
    const t = this.lexer.next();
    if (t.kind === 'sysprop') {
      if (t.value.toLowerCase() === '$upstream') return { kind: 'upstream' };
      this.fail(`unknown system endpoint ${quote(t.value)}; only $upstream is supported`, t.pos);
    }
    if (t.kind === 'id') {
      if (t.value.toLowerCase() !== 'brokeredendpoint') {
        this.fail(`unknown endpoint ${quote(t.value)}; expected $upstream or BrokeredEndpoint("/modules/<module>/inputs/<input>")`, t.pos);
      }
      this.expectPunct('(', '"(" after BrokeredEndpoint');
      const addr = this.lexer.next();
      if (addr.kind !== 'string') this.fail(`expected a quoted address in BrokeredEndpoint but found ${describe(addr)}`, addr.pos);
      this.expectPunct(')', '")" after the BrokeredEndpoint address');
      // EndpointFactory: trim one leading and one trailing '/', split, exactly 4 segments.
      let a = addr.value;
      if (a.startsWith('/')) a = a.slice(1);
      if (a.endsWith('/')) a = a.slice(0, -1);
      const parts = a.split('/');
      if (parts.length !== 4 || parts[0]?.toLowerCase() !== 'modules' || parts[2]?.toLowerCase() !== 'inputs' || !parts[1] || !parts[3]) {
        this.fail(`invalid BrokeredEndpoint address ${quote(addr.value)}; expected "/modules/<module>/inputs/<input>"`, addr.pos);
      }
      // A module id is an IoT Hub identity id and the input name becomes an MQTT topic level:
      // an address that could never be delivered to is refused here rather than queued forever.
      if (!MODULE_ID.test(parts[1])) this.fail(`invalid module id ${quote(parts[1])} in BrokeredEndpoint (IoT Hub ids: 1-128 of A-Z a-z 0-9 -.%_*?!(),:=@$')`, addr.pos);
      if (!INPUT_NAME.test(parts[3])) this.fail(`invalid input name ${quote(parts[3])} in BrokeredEndpoint (no "#", "+" or spaces, at most 128 characters)`, addr.pos);
      return { kind: 'moduleInput', moduleId: parts[1], inputName: parts[3] };
    }
    this.fail(`expected a sink ($upstream or BrokeredEndpoint(...)) but found ${describe(t)}`, t.pos);
  }

  private enter(position: number): void {
    this.depth += 1;
    if (this.depth > MAX_CONDITION_DEPTH) this.fail(`condition nested deeper than ${MAX_CONDITION_DEPTH} levels`, position);
  }

  private make<N extends ConditionNode>(node: N, ...children: ConditionNode[]): N {
    let d = 0;
    for (const c of children) d = Math.max(d, depthOf(c));
    if (d + 1 > MAX_CONDITION_DEPTH) this.fail(`condition nested deeper than ${MAX_CONDITION_DEPTH} levels`, node.position);
    if (d > 0) nodeDepth.set(node, d + 1);
    return node;
  }

  private parseExpr(): ConditionNode {
    this.enter(this.lexer.peek().pos);
    const node = this.parseLevel(0);
    this.depth -= 1;
    return node;
  }

  /** Left-associative binary operators, one loop per level (no recursion per operator). */
  private parseLevel(level: number): ConditionNode {
    if (level >= LEVELS.length) return this.parseUnary();
    const ops = LEVELS[level] as readonly BinaryOp[];
    let left = this.parseLevel(level + 1);
    for (;;) {
      const t = this.lexer.peek();
      const op = binaryOp(t);
      if (op === undefined || !ops.includes(op)) return left;
      this.lexer.next();
      const right = this.parseLevel(level + 1);
      left = this.make(this.typeBinary(op, left, right, t.pos), left, right);
    }
  }

  private typeBinary(op: BinaryOp, left: ConditionNode, right: ConditionNode, position: number): ConditionNode {
    const mismatch = (expected: string): never =>
      this.fail(
        `operator ${quote(op)} needs ${expected} operands but got ${left.type} and ${right.type}${operandHint(left.type === 'string' ? left : right)}`,
        position,
      );
    let type: StaticType;
    switch (op) {
      case '*':
      case '/':
      case '%':
      case '+':
      case '-':
        if (!fits('number', left.type) || !fits('number', right.type)) mismatch('number');
        type = 'number';
        break;
      case '||':
        if (!fits('string', left.type) || !fits('string', right.type)) mismatch('string');
        type = 'string';
        break;
      case '<':
      case '<=':
      case '>':
      case '>=':
      case '=':
      case '!=':
        // ConditionVisitor.VisitCompare/VisitEquality: both operands must have the left operand's type.
        if (!fits(left.type, right.type)) mismatch('matching');
        type = 'bool';
        break;
      case 'AND':
      case 'OR':
        if (!BOOLISH.has(left.type) || !BOOLISH.has(right.type)) mismatch('boolean');
        type = 'bool';
        break;
      case '??':
        if (!fits(left.type, right.type)) mismatch('matching');
        type = left.type === 'any' || left.type === 'undefined' ? right.type : left.type;
        break;
    }
    return { kind: 'binary', op, left, right, type, position };
  }

  private parseUnary(): ConditionNode {
    const t = this.lexer.peek();
    if ((t.kind === 'punct' && t.value === '-') || (t.kind === 'keyword' && t.value === 'NOT')) {
      this.lexer.next();
      this.enter(t.pos);
      const operand = this.parseUnary();
      this.depth -= 1;
      if (t.kind === 'punct') {
        if (operand.kind === 'literal' && typeof operand.value === 'number') {
          return { ...operand, value: -operand.value, position: t.pos };
        }
        if (!fits('number', operand.type)) this.fail(`unary "-" needs a number but got ${operand.type}${operandHint(operand)}`, t.pos);
        return this.make({ kind: 'unary', op: '-', operand, type: 'number', position: t.pos }, operand);
      }
      if (!BOOLISH.has(operand.type)) this.fail(`NOT needs a boolean but got ${operand.type}${operandHint(operand)}`, t.pos);
      return this.make({ kind: 'unary', op: 'NOT', operand, type: 'bool', position: t.pos }, operand);
    }
    return this.parsePrimary();
  }

  private parsePrimary(): ConditionNode {
    const t = this.lexer.next();
    switch (t.kind) {
      case 'string':
        return { kind: 'literal', value: t.value, type: 'string', position: t.pos };
      case 'number':
        return { kind: 'literal', value: t.value, type: 'number', position: t.pos };
      case 'word':
        return {
          kind: 'literal',
          value: t.value,
          type: t.value === null ? 'null' : t.value === undefined ? 'undefined' : 'bool',
          position: t.pos,
        };
      case 'sysprop':
        return this.property(t.value, false, t.pos);
      case 'id': {
        const after = this.lexer.peek();
        if (after.kind === 'punct' && after.value === '(') return this.parseCall(t.value, t.pos);
        return { kind: 'appProperty', name: t.value, type: 'string', position: t.pos };
      }
      case 'punct':
        if (t.value === '(') {
          const inner = this.parseExpr();
          const close = this.lexer.next();
          if (close.kind !== 'punct' || close.value !== ')') this.fail(`missing closing ")" for "(" at position ${t.pos}; found ${describe(close)}`, close.pos);
          return inner;
        }
        if (t.value === '{') {
          // `{$name}`: system property (or body query) only, never an application property.
          const prop = this.lexer.next();
          if (prop.kind !== 'sysprop') this.fail(`expected a $property after "{" but found ${describe(prop)}`, prop.pos);
          this.expectPunct('}', `"}" after ${quote(prop.value)}`);
          return this.property(prop.value, true, t.pos);
        }
        if (t.value === ')') this.fail('unmatched closing ")"', t.pos);
        break;
      default:
        break;
    }
    this.fail(`expected a value but found ${describe(t)}`, t.pos);
  }

  private property(text: string, escaped: boolean, position: number): ConditionNode {
    const name = text.slice(1);
    if (name.toLowerCase().startsWith('body.')) {
      return { kind: 'bodyQuery', path: parseBodyPath(name.slice(5), position + 6, (m, p) => this.fail(m, p)), text, escaped, type: 'any', position };
    }
    return { kind: 'sysProperty', name, escaped, type: 'string', position };
  }

  private parseCall(name: string, position: number): ConditionNode {
    const key = name.toLowerCase();
    const open = this.lexer.next(); // '('
    if (key === TWIN_CHANGE_INCLUDES) return this.parseTwinChangeIncludes(name, position, open.end);
    const fn = BUILTINS[key];
    if (fn === undefined) this.fail(`unknown function ${quote(name)}`, position);
    const args: ConditionNode[] = [];
    this.enter(position);
    const first = this.lexer.peek();
    if (!(first.kind === 'punct' && first.value === ')')) {
      for (;;) {
        args.push(this.parseExpr());
        const sep = this.lexer.peek();
        if (sep.kind === 'punct' && sep.value === ',') {
          this.lexer.next();
          continue;
        }
        break;
      }
    }
    const close = this.lexer.next();
    if (close.kind !== 'punct' || close.value !== ')') this.fail(`expected "," or ")" in call to ${quote(name)} but found ${describe(close)}`, close.pos);
    this.depth -= 1;
    const min = fn.minArgs ?? fn.params.length;
    const max = fn.variadic ? Infinity : fn.params.length;
    if (args.length < min || args.length > max) {
      const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      this.fail(`${quote(name)} takes ${want} argument${want === '1' ? '' : 's'} but got ${args.length}`, position);
    }
    args.forEach((arg, i) => {
      const expected = paramType(fn, i) as StaticType;
      if (!fits(expected, arg.type)) {
        this.fail(`argument ${i + 1} of ${quote(name)} must be a ${expected} but is a ${arg.type}${operandHint(arg)}`, arg.position);
      }
    });
    return this.make({ kind: 'call', name: key, args, type: fn.returns, position, rawArgs: '' }, ...args);
  }

  /** `twin_change_includes(path)`: raw-text argument, only on `/twinChangeNotifications` (`TwinChangeIncludes.cs`). */
  private parseTwinChangeIncludes(name: string, position: number, argStart: number): ConditionNode {
    if (sourcePrefix(this.source) !== '/twinchangenotifications/') {
      this.fail(`${quote(name)} is only valid in routes FROM /twinChangeNotifications`, position);
    }
    let close = this.lexer.next();
    while (!(close.kind === 'punct' && close.value === ')')) {
      if (close.kind === 'eof') this.fail(`missing closing ")" in call to ${quote(name)}`, close.pos);
      close = this.lexer.next();
    }
    const raw = this.text.slice(argStart, close.pos).trim();
    const parts = raw.split('.');
    if (raw === '' || parts.some((p) => p === '') || (parts[0] !== 'properties' && parts[0] !== 'tags')) {
      this.fail(`${quote(name)} needs a path like properties.reported.<name> but got ${quote(raw)}`, argStart);
    }
    return { kind: 'call', name: TWIN_CHANGE_INCLUDES, args: [], type: 'bool', position, rawArgs: raw };
  }
}

const binaryOp = (t: Token): BinaryOp | undefined => {
  if (t.kind === 'keyword') return t.value === 'AND' || t.value === 'OR' ? t.value : undefined;
  if (t.kind !== 'punct') return undefined;
  switch (t.value) {
    case '<>':
      return '!=';
    case '*':
    case '/':
    case '%':
    case '+':
    case '-':
    case '||':
    case '<':
    case '<=':
    case '>':
    case '>=':
    case '=':
    case '!=':
    case '??':
      return t.value;
    default:
      return undefined;
  }
};

/** `a.b[0].c` → `['a','b',0,'c']`. */
function parseBodyPath(text: string, position: number, fail: (message: string, position: number) => never): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|(\.)/gy;
  let expectName = true;
  let m: RegExpExecArray | null;
  let last = 0;
  while (last < text.length && (m = re.exec(text)) !== null) {
    last = re.lastIndex;
    if (m[1] !== undefined) {
      if (!expectName) fail(`invalid body query path ${quote('$body.' + text)}`, position);
      out.push(m[1]);
      expectName = false;
    } else if (m[2] !== undefined) {
      if (expectName) fail(`invalid body query path ${quote('$body.' + text)}`, position);
      out.push(Number(m[2]));
    } else {
      if (expectName) fail(`invalid body query path ${quote('$body.' + text)}`, position);
      expectName = true;
    }
  }
  if (last < text.length || expectName) fail(`invalid body query path ${quote('$body.' + text)}`, position);
  return out;
}

/**
 * The prefix a route source matches by (`CustomMessageSource.cs`): strip trailing `*`, then
 * trailing `/`, append exactly one `/`; compared case-insensitively, so lower-cased here.
 */
export function sourcePrefix(source: string): string {
  let s = source;
  while (s.endsWith('*')) s = s.slice(0, -1);
  while (s.endsWith('/')) s = s.slice(0, -1);
  return `${s.toLowerCase()}/`;
}
