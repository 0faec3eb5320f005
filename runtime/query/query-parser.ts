import type { AggregateName, BinaryOp, ParseQueryResult, ParsedQuery, QueryCollection, QueryExpr, SelectItem } from './query-ast.js';
import { FUNCTION_NAMES, lookupFunction } from './query-functions.js';
import { QuerySyntaxError, lexQuery, quoteText, type QueryKeyword, type QueryPunct, type QueryToken } from './query-lexer.js';

/** Longest query text accepted (edgemu's bound; a query longer than this is refused before lexing). */
export const MAX_QUERY_LENGTH = 8192;
/** Deepest expression accepted (parentheses, NOT chains and operator chains all count). */
export const MAX_QUERY_DEPTH = 64;
/** Most items in an `IN [ … ]` list. */
export const MAX_IN_LIST = 1000;

const AGGREGATES: ReadonlySet<string> = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);

/**
 * Parses an IoT Hub twin query (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language):
 * `SELECT [TOP n] * | <expr> [AS alias], … FROM devices | devices.modules [WHERE <cond>] [GROUP BY <path>, …]`.
 * Keywords and function names are case-insensitive; property paths may carry the collection
 * prefix (`devices.deviceId`, `devices.modules.moduleId`), which is removed. Never throws:
 * errors come back with a message quoting the offending text and its 0-based position.
 */
export function parseQuery(text: string): ParseQueryResult {
  if (typeof text !== 'string') return { ok: false, error: { message: 'the query must be a string', position: 0 } };
  if (text.trim() === '') return { ok: false, error: { message: 'the query is empty', position: 0 } };
  if (text.length > MAX_QUERY_LENGTH) {
    return { ok: false, error: { message: `the query is ${text.length} characters long; the limit is ${MAX_QUERY_LENGTH}`, position: MAX_QUERY_LENGTH } };
  }
  try {
    return { ok: true, query: new Parser(text, lexQuery(text)).parse() };
  } catch (error) {
    if (error instanceof QuerySyntaxError) return { ok: false, error: { message: error.message, position: error.position } };
    /* c8 ignore next 2 -- a bug in the parser, still reported as a parse error rather than thrown */
    return { ok: false, error: { message: `internal query parser error: ${String(error)}`, position: 0 } };
  }
}

const describe = (t: QueryToken): string => {
  switch (t.kind) {
    case 'eof':
      return 'the end of the query';
    case 'string':
      return `string ${quoteText(t.value)}`;
    case 'number':
      return `number ${t.value}`;
    case 'literal':
      return String(t.value);
    default:
      return quoteText(String(t.value));
  }
};

const pathKey = (segments: readonly (string | number)[]): string => JSON.stringify(segments);

class Parser {
  private i = 0;
  private depth = 0;
  private readonly from: QueryCollection;

  constructor(
    private readonly text: string,
    private readonly tokens: readonly QueryToken[],
  ) {
    this.from = this.scanFrom();
  }

  /** The collection is needed to strip path prefixes in the SELECT list, which comes before FROM. */
  private scanFrom(): QueryCollection {
    const at = this.tokens.findIndex((t) => t.kind === 'keyword' && t.value === 'FROM');
    if (at < 0) return 'devices';
    const a = this.tokens[at + 1];
    const dot = this.tokens[at + 2];
    const b = this.tokens[at + 3];
    if (a?.kind === 'name' && a.value.toLowerCase() === 'devices' && dot?.kind === 'punct' && dot.value === '.' && b?.kind === 'name' && b.value.toLowerCase() === 'modules') {
      return 'devices.modules';
    }
    return 'devices';
  }

  parse(): ParsedQuery {
    this.expectKeyword('SELECT');
    let top: number | undefined;
    if (this.acceptKeyword('TOP')) {
      const t = this.next();
      if (t.kind !== 'number' || !Number.isInteger(t.value) || t.value < 0) throw this.error(`TOP needs a whole number, found ${describe(t)}`, t.pos);
      top = t.value;
    }
    let select: ParsedQuery['select'];
    if (this.acceptPunct('*')) select = { kind: 'star' };
    else select = { kind: 'list', items: this.selectList() };
    this.expectKeyword('FROM');
    this.collection();
    let where: QueryExpr | undefined;
    if (this.acceptKeyword('WHERE')) where = this.expr();
    const groupBy: (readonly (string | number)[])[] = [];
    if (this.acceptKeyword('GROUP')) {
      this.expectKeyword('BY');
      do {
        const e = this.additive();
        if (e.kind !== 'path') throw this.error('GROUP BY takes property paths (e.g. tags.location.region)', e.pos);
        groupBy.push(e.segments);
      } while (this.acceptPunct(','));
    }
    const end = this.peek();
    if (end.kind !== 'eof') throw this.error(`unexpected ${describe(end)} after the end of the query`, end.pos);
    const aggregated = select.kind === 'list' && select.items.some((item) => item.expr.kind === 'aggregate');
    if (groupBy.length > 0 || aggregated) {
      if (select.kind === 'star') throw this.error('SELECT * cannot be grouped; list the GROUP BY properties and aggregates (e.g. SELECT tags.env, COUNT() AS n)', 0);
      const grouped = new Set(groupBy.map(pathKey));
      for (const item of select.items) {
        if (item.expr.kind === 'aggregate') continue;
        if (item.expr.kind !== 'path' || !grouped.has(pathKey(item.expr.segments))) {
          throw this.error(`${quoteText(item.name)} must be an aggregate or appear in GROUP BY`, item.expr.pos);
        }
      }
    }
    return { text: this.text, select, ...(top !== undefined ? { top } : {}), from: this.from, ...(where ? { where } : {}), groupBy, aggregated };
  }

  private collection(): void {
    const t = this.next();
    if (t.kind !== 'name' || t.value.toLowerCase() !== 'devices') {
      throw this.error(`FROM takes devices or devices.modules, found ${describe(t)}`, t.pos);
    }
    if (this.acceptPunct('.')) {
      const m = this.next();
      if (m.kind !== 'name' || m.value.toLowerCase() !== 'modules') {
        const hint = m.kind === 'name' && m.value.toLowerCase() === 'jobs' ? ' (job queries are not emulated)' : '';
        throw this.error(`FROM takes devices or devices.modules, found devices.${m.kind === 'name' ? m.value : describe(m)}${hint}`, m.pos);
      }
    }
  }

  private selectList(): SelectItem[] {
    const items: SelectItem[] = [];
    const names = new Set<string>();
    do {
      const start = this.peek();
      const expr = this.selectExpr();
      let name: string | undefined;
      if (this.acceptKeyword('AS')) {
        const alias = this.next();
        if (alias.kind !== 'name') throw this.error(`AS needs a name, found ${describe(alias)}`, alias.pos);
        name = alias.value;
      } else if (expr.kind === 'path' && typeof expr.segments.at(-1) === 'string') {
        name = expr.segments.at(-1) as string;
      } else if (expr.kind === 'aggregate') {
        name = `$${items.length + 1}`;
      } else {
        throw this.error(`${quoteText(this.text.slice(start.pos, this.peek().pos).trim())} needs a name: add AS <name>`, start.pos);
      }
      if (names.has(name)) throw this.error(`the select list names ${quoteText(name)} twice; give one of them another name with AS`, start.pos);
      names.add(name);
      items.push({ expr, name });
    } while (this.acceptPunct(','));
    return items;
  }

  private selectExpr(): QueryExpr {
    const t = this.peek();
    const open = this.tokens[this.i + 1];
    if (t.kind === 'name' && AGGREGATES.has(t.value.toUpperCase()) && open?.kind === 'punct' && open.value === '(') {
      this.i += 2;
      const name = t.value.toUpperCase() as AggregateName;
      if (name === 'COUNT') {
        this.expectPunct(')');
        return { kind: 'aggregate', name, pos: t.pos };
      }
      const arg = this.expr();
      this.expectPunct(')');
      return { kind: 'aggregate', name, arg, pos: t.pos };
    }
    return this.expr();
  }

  // Precedence, lowest first: OR, AND, NOT, comparison/IN, + -, * / %, unary - +.
  private expr(): QueryExpr {
    return this.nested(() => this.binaryLevel(['OR'], () => this.binaryLevel(['AND'], () => this.notLevel())));
  }

  private nested<T>(fn: () => T): T {
    this.depth += 1;
    if (this.depth > MAX_QUERY_DEPTH) throw this.error(`the expression is nested deeper than ${MAX_QUERY_DEPTH} levels`, this.peek().pos);
    try {
      return fn();
    } finally {
      this.depth -= 1;
    }
  }

  private binaryLevel(ops: readonly BinaryOp[], operand: () => QueryExpr): QueryExpr {
    let left = operand();
    for (let count = 0; ; count++) {
      const t = this.peek();
      const op = (t.kind === 'keyword' || t.kind === 'punct') && ops.includes(t.value as BinaryOp) ? (t.value as BinaryOp) : undefined;
      if (!op) return left;
      if (count >= MAX_QUERY_DEPTH * 4) throw this.error(`more than ${MAX_QUERY_DEPTH * 4} operators in a row`, t.pos);
      this.i += 1;
      left = { kind: 'binary', op, left, right: operand(), pos: t.pos };
    }
  }

  private notLevel(): QueryExpr {
    const t = this.peek();
    if (this.acceptKeyword('NOT')) return this.nested(() => ({ kind: 'unary', op: 'NOT', operand: this.notLevel(), pos: t.pos }));
    return this.comparison();
  }

  private comparison(): QueryExpr {
    const left = this.additive();
    const t = this.peek();
    if (t.kind === 'keyword' && (t.value === 'IN' || t.value === 'NIN')) {
      this.i += 1;
      const list = this.arrayLiteral();
      return { kind: 'in', negated: t.value === 'NIN', operand: left, list: list.items, pos: t.pos };
    }
    const following = this.tokens[this.i + 1];
    if (t.kind === 'keyword' && t.value === 'NOT' && following?.kind === 'keyword' && following.value === 'IN') {
      this.i += 2;
      const list = this.arrayLiteral();
      return { kind: 'in', negated: true, operand: left, list: list.items, pos: t.pos };
    }
    if (t.kind === 'punct' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(t.value)) {
      this.i += 1;
      const op = (t.value === '<>' ? '!=' : t.value) as BinaryOp;
      const right = this.additive();
      const after = this.peek();
      if (after.kind === 'punct' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(after.value)) {
        throw this.error(`comparisons do not chain: ${quoteText(String(after.value))} after a comparison (use AND)`, after.pos);
      }
      return { kind: 'binary', op, left, right, pos: t.pos };
    }
    return left;
  }

  private additive(): QueryExpr {
    return this.binaryLevel(['+', '-'], () => this.binaryLevel(['*', '/', '%'], () => this.unary()));
  }

  private unary(): QueryExpr {
    const t = this.peek();
    if (t.kind === 'punct' && (t.value === '-' || t.value === '+')) {
      this.i += 1;
      return this.nested(() => ({ kind: 'unary', op: t.value as '-' | '+', operand: this.unary(), pos: t.pos }));
    }
    return this.primary();
  }

  private primary(): QueryExpr {
    const t = this.peek();
    switch (t.kind) {
      case 'string':
      case 'number':
      case 'literal':
        this.i += 1;
        return { kind: 'literal', value: t.value, pos: t.pos };
      case 'punct':
        if (t.value === '(') {
          this.i += 1;
          const inner = this.expr();
          this.expectPunct(')');
          return inner;
        }
        if (t.value === '[') return this.arrayLiteral();
        break;
      case 'name': {
        const open = this.tokens[this.i + 1];
        if (open?.kind === 'punct' && open.value === '(') return this.call();
        return this.path();
      }
      default:
        break;
    }
    throw this.error(`expected a value, a property or a function but found ${describe(t)}`, t.pos);
  }

  private call(): QueryExpr {
    const t = this.next() as Extract<QueryToken, { kind: 'name' }>;
    this.i += 1; // (
    if (AGGREGATES.has(t.value.toUpperCase())) throw this.error(`${t.value.toUpperCase()}() is an aggregate: use it in the SELECT list`, t.pos);
    const fn = lookupFunction(t.value);
    if (!fn) throw this.error(`unknown function ${quoteText(t.value)} (known: ${FUNCTION_NAMES.join(', ')})`, t.pos);
    const args: QueryExpr[] = [];
    if (!this.acceptPunct(')')) {
      do args.push(this.expr());
      while (this.acceptPunct(','));
      this.expectPunct(')');
    }
    if (args.length !== fn.arity) throw this.error(`${fn.name} takes ${fn.arity} argument${fn.arity === 1 ? '' : 's'}, given ${args.length}`, t.pos);
    return { kind: 'call', name: fn.name, args, pos: t.pos };
  }

  private path(): QueryExpr {
    const first = this.next() as Extract<QueryToken, { kind: 'name' }>;
    const segments: (string | number)[] = [first.value];
    while (true) {
      if (this.acceptPunct('.')) {
        const n = this.next();
        if (n.kind !== 'name') throw this.error(`expected a property name after "." but found ${describe(n)}`, n.pos);
        segments.push(n.value);
      } else if (this.peekPunct('[')) {
        this.i += 1;
        const key = this.next();
        if (key.kind === 'string') segments.push(key.value);
        else if (key.kind === 'number' && Number.isInteger(key.value) && key.value >= 0) segments.push(key.value);
        else throw this.error(`[ ] after a property takes a quoted name or an array index, found ${describe(key)}`, key.pos);
        this.expectPunct(']');
      } else {
        break;
      }
    }
    return { kind: 'path', segments: this.stripCollection(segments), pos: first.pos };
  }

  /** `devices.tags.x` → `tags.x`; over devices.modules also `devices.modules.moduleId` → `moduleId`. */
  private stripCollection(segments: (string | number)[]): (string | number)[] {
    const lower = (s: string | number | undefined) => (typeof s === 'string' ? s.toLowerCase() : s);
    if (this.from === 'devices.modules' && lower(segments[0]) === 'devices' && lower(segments[1]) === 'modules' && segments.length > 2) return segments.slice(2);
    if (lower(segments[0]) === 'devices' && segments.length > 1) return segments.slice(1);
    return segments;
  }

  private arrayLiteral(): Extract<QueryExpr, { kind: 'array' }> {
    const open = this.peek();
    this.expectPunct('[');
    const items: QueryExpr[] = [];
    if (!this.acceptPunct(']')) {
      do {
        if (items.length >= MAX_IN_LIST) throw this.error(`more than ${MAX_IN_LIST} items in a list`, this.peek().pos);
        items.push(this.additive());
      } while (this.acceptPunct(','));
      this.expectPunct(']');
    }
    return { kind: 'array', items, pos: open.pos };
  }

  private peek(): QueryToken {
    return this.tokens[this.i]!;
  }

  private next(): QueryToken {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'eof') this.i += 1;
    return t;
  }

  private peekPunct(p: QueryPunct): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.value === p;
  }

  private acceptPunct(p: QueryPunct): boolean {
    if (!this.peekPunct(p)) return false;
    this.i += 1;
    return true;
  }

  private expectPunct(p: QueryPunct): void {
    const t = this.peek();
    if (!this.acceptPunct(p)) throw this.error(`expected ${quoteText(p)} but found ${describe(t)}`, t.pos);
  }

  private acceptKeyword(k: QueryKeyword): boolean {
    const t = this.peek();
    if (t.kind !== 'keyword' || t.value !== k) return false;
    this.i += 1;
    return true;
  }

  private expectKeyword(k: QueryKeyword): void {
    const t = this.peek();
    if (!this.acceptKeyword(k)) throw this.error(`expected ${k} but found ${describe(t)}`, t.pos);
  }

  private error(message: string, position: number): QuerySyntaxError {
    return new QuerySyntaxError(message, position);
  }
}
