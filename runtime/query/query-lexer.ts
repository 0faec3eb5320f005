/**
 * The lexer of IoT Hub's query language for device and module twins
 * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language). Hand-written and
 * loop-only like the route language's lexer (runtime/route-language/route-lexer.ts), but its
 * own: the twin query grammar has `[ ]` array literals and bracket member access, `.` paths
 * whose names may start with `$` (`properties.reported.$metadata`), `GROUP BY`, `TOP`, `IN`
 * and `NIN`, and no `{$sysprop}`, `||` or `??` — one token set for both would accept each
 * language's syntax in the other. Every loop advances, so hostile input costs O(n).
 */

export type QueryKeyword = 'SELECT' | 'TOP' | 'FROM' | 'WHERE' | 'GROUP' | 'BY' | 'AS' | 'AND' | 'OR' | 'NOT' | 'IN' | 'NIN';
export type QueryPunct = '(' | ')' | '[' | ']' | ',' | '.' | '+' | '-' | '*' | '/' | '%' | '=' | '!=' | '<>' | '<=' | '>=' | '<' | '>';

export type QueryToken =
  | { kind: 'keyword'; value: QueryKeyword; pos: number; end: number }
  /** A name: letters, digits, `_` and `$`, not starting with a digit. */
  | { kind: 'name'; value: string; pos: number; end: number }
  | { kind: 'string'; value: string; pos: number; end: number }
  | { kind: 'number'; value: number; pos: number; end: number }
  /** `true`, `false`, `null` (any case). */
  | { kind: 'literal'; value: boolean | null; pos: number; end: number }
  | { kind: 'punct'; value: QueryPunct; pos: number; end: number }
  | { kind: 'eof'; pos: number; end: number };

/** A lexical or syntax error with its 0-based character offset. */
export class QuerySyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const KEYWORDS: ReadonlyMap<string, QueryKeyword> = new Map(
  (['SELECT', 'TOP', 'FROM', 'WHERE', 'GROUP', 'BY', 'AS', 'AND', 'OR', 'NOT', 'IN', 'NIN'] as const).map((k) => [k.toLowerCase(), k]),
);
const LITERALS: ReadonlyMap<string, boolean | null> = new Map<string, boolean | null>([
  ['true', true],
  ['false', false],
  ['null', null],
]);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(c);
const isNameStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_$]/.test(c);
const isNameChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c);

/** Shows at most 40 characters of offending text in an error message. */
export const quoteText = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** Tokenises the whole query text (the parser needs look-ahead of two tokens for `GROUP BY`). */
export function lexQuery(text: string): QueryToken[] {
  const tokens: QueryToken[] = [];
  let pos = 0;
  const t = text;
  while (true) {
    while (pos < t.length && /\s/.test(t[pos] as string)) pos += 1;
    if (pos >= t.length) {
      tokens.push({ kind: 'eof', pos, end: pos });
      return tokens;
    }
    const c = t[pos] as string;
    const c2 = t[pos + 1];
    if (c === "'" || c === '"') {
      const token = lexString(t, pos, c);
      tokens.push(token);
      pos = token.end;
      continue;
    }
    if (isDigit(c)) {
      const token = lexNumber(t, pos);
      tokens.push(token);
      pos = token.end;
      continue;
    }
    // `[[name]]` after `.` is a property name with any characters but `]]`, IoT Hub's escape for
    // names such as a deployment id in `configurations.[[my-deployment]].status`
    // (learn.microsoft.com/azure/iot-edge/module-deployment-monitoring, "Monitor a deployment").
    const before = tokens.at(-1);
    if (c === '[' && c2 === '[' && before?.kind === 'punct' && before.value === '.') {
      const close = t.indexOf(']]', pos + 2);
      if (close < 0) throw new QuerySyntaxError('unterminated [[name]]', pos);
      const word = t.slice(pos + 2, close);
      if (word === '') throw new QuerySyntaxError('empty [[name]]', pos);
      tokens.push({ kind: 'name', value: word, pos, end: close + 2 });
      pos = close + 2;
      continue;
    }
    if (isNameStart(c)) {
      let end = pos + 1;
      while (isNameChar(t[end])) end += 1;
      const word = t.slice(pos, end);
      const lower = word.toLowerCase();
      // A keyword right after `.` is a property name (`tags.from`, `properties.desired.top`).
      const prev = tokens.at(-1);
      const afterDot = prev?.kind === 'punct' && prev.value === '.';
      const keyword = afterDot ? undefined : KEYWORDS.get(lower);
      if (keyword !== undefined) tokens.push({ kind: 'keyword', value: keyword, pos, end });
      else if (!afterDot && LITERALS.has(lower)) tokens.push({ kind: 'literal', value: LITERALS.get(lower) as boolean | null, pos, end });
      else tokens.push({ kind: 'name', value: word, pos, end });
      pos = end;
      continue;
    }
    const two = c + (c2 ?? '');
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      tokens.push({ kind: 'punct', value: two, pos, end: pos + 2 });
      pos += 2;
      continue;
    }
    if ('()[],.+-*/%=<>'.includes(c)) {
      tokens.push({ kind: 'punct', value: c as QueryPunct, pos, end: pos + 1 });
      pos += 1;
      continue;
    }
    throw new QuerySyntaxError(`unexpected character ${quoteText(c)}`, pos);
  }
}

/** `'…'` or `"…"` with JSON's backslash escapes (`\'` too). */
function lexString(t: string, pos: number, quoteChar: string): QueryToken {
  let i = pos + 1;
  let out = '';
  let chunk = i;
  const simple: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  while (i < t.length) {
    const c = t[i] as string;
    if (c === quoteChar) {
      out += t.slice(chunk, i);
      return { kind: 'string', value: out, pos, end: i + 1 };
    }
    if (c === '\\') {
      out += t.slice(chunk, i);
      const e = t[i + 1];
      if (e !== undefined && simple[e] !== undefined) {
        out += simple[e];
        i += 2;
      } else if (e === 'u' && isHex(t[i + 2]) && isHex(t[i + 3]) && isHex(t[i + 4]) && isHex(t[i + 5])) {
        out += String.fromCharCode(parseInt(t.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        throw new QuerySyntaxError(`invalid escape ${quoteText(t.slice(i, i + 2))} in a string`, i);
      }
      chunk = i;
      continue;
    }
    i += 1;
  }
  throw new QuerySyntaxError(`unterminated string ${quoteText(t.slice(pos))}`, pos);
}

/** Integers and reals with an optional exponent (a leading `-` is the unary operator). */
function lexNumber(t: string, pos: number): QueryToken {
  let i = pos;
  while (isDigit(t[i])) i += 1;
  if (t[i] === '.' && isDigit(t[i + 1])) {
    i += 1;
    while (isDigit(t[i])) i += 1;
  }
  if (t[i] === 'e' || t[i] === 'E') {
    let j = i + 1;
    if (t[j] === '+' || t[j] === '-') j += 1;
    if (isDigit(t[j])) {
      while (isDigit(t[j])) j += 1;
      i = j;
    }
  }
  if (isNameStart(t[i])) throw new QuerySyntaxError(`invalid number ${quoteText(t.slice(pos, i + 1))}`, pos);
  const value = Number(t.slice(pos, i));
  if (!Number.isFinite(value)) throw new QuerySyntaxError(`number out of range ${quoteText(t.slice(pos, i))}`, pos);
  return { kind: 'number', value, pos, end: i };
}
