/**
 * A hand-written, on-demand lexer for edgeHub route text (rules from iotedge
 * `Routing.Core/grammar/GrammarLexer.g4`). On demand because the source path
 * (`/messages/modules/1sensor/*`) is read character-wise while conditions are tokenised.
 * It never recurses and every loop advances, so hostile input costs O(n).
 *
 * Deliberate differences from the ANTLR lexer, all making more routes readable rather than
 * fewer: identifiers and `$` properties stop at `! | & ' + * %` (ANTLR would swallow
 * `a!` in `a!=1` into the name), and `/*` inside a source path is a path segment, never a comment.
 */

export type Keyword = 'SELECT' | 'FROM' | 'WHERE' | 'INTO' | 'AND' | 'OR' | 'NOT';
export type Punct =
  | '('
  | ')'
  | ','
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '='
  | '!='
  | '<>'
  | '<='
  | '>='
  | '<'
  | '>'
  | '||'
  | '??'
  | '{'
  | '}';

export type Token =
  | { kind: 'keyword'; value: Keyword; pos: number; end: number }
  | { kind: 'id'; value: string; pos: number; end: number }
  /** `$name`; value includes the `$`. */
  | { kind: 'sysprop'; value: string; pos: number; end: number }
  | { kind: 'string'; value: string; pos: number; end: number }
  | { kind: 'number'; value: number; pos: number; end: number }
  /** `true false null undefined` (lower-case only, as in the grammar). */
  | { kind: 'word'; value: boolean | null | undefined; pos: number; end: number }
  | { kind: 'punct'; value: Punct; pos: number; end: number }
  | { kind: 'eof'; pos: number; end: number };

/** A lexical error; the parser turns it into `{ ok: false, error }`. */
export class RouteLexError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const KEYWORDS: ReadonlyMap<string, Keyword> = new Map(
  (['SELECT', 'FROM', 'WHERE', 'INTO', 'AND', 'OR', 'NOT'] as const).map((k) => [k.toLowerCase(), k]),
);
const WORDS: ReadonlyMap<string, boolean | null | undefined> = new Map<string, boolean | null | undefined>([
  ['true', true],
  ['false', false],
  ['null', null],
  ['undefined', undefined],
]);

/** Characters that end an identifier (GrammarLexer `ID_CHARS` exclusions plus operator characters). */
const ID_STOP = new Set([...'()<>@,;:\\"/[]?={}\'+*%!|&', ' ', '\t', '\n', '\r']);
/** `QUERY_PATH_CHARS` exclusions: like identifiers, but `[` and `]` are allowed (body paths). */
const PATH_STOP = new Set([...'()<>@,;:\\"/?={}\'+*%!|&', ' ', '\t', '\n', '\r']);
/** Characters that end a source-path segment. */
const SEGMENT_STOP = new Set([...'()<>@,;:\\"/[]?={}\'', ' ', '\t', '\n', '\r']);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(c);

/** Shows at most 40 characters of offending text in an error message. */
export const quote = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

export class RouteLexer {
  pos = 0;
  private peeked: Token | undefined;

  constructor(readonly text: string) {}

  /** Skips whitespace and complete `/* … *\/` comments (an unclosed `/*` is not a comment). */
  private skipTrivia(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.pos += 1;
      } else if (c === '/' && t[this.pos + 1] === '*') {
        const close = t.indexOf('*/', this.pos + 2);
        if (close < 0) return;
        this.pos = close + 2;
      } else {
        return;
      }
    }
  }

  peek(): Token {
    this.peeked ??= this.lex();
    return this.peeked;
  }

  next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    return token;
  }

  /**
   * Reads a source path `('/' ('*' | segment))+` starting at the next non-blank character.
   * Returns the path text and its start offset.
   */
  readPath(): { path: string; pos: number } {
    if (this.peeked !== undefined) throw new Error('readPath after peek');
    this.skipTrivia();
    const t = this.text;
    const start = this.pos;
    if (t[start] !== '/') {
      throw new RouteLexError(`expected a source path starting with "/" but found ${quote(t.slice(start, start + 20) || 'end of text')}`, start);
    }
    while (t[this.pos] === '/') {
      this.pos += 1;
      if (t[this.pos] === '*') {
        this.pos += 1;
        continue;
      }
      const segStart = this.pos;
      while (this.pos < t.length && !SEGMENT_STOP.has(t[this.pos] as string) && t[this.pos] !== '*') this.pos += 1;
      if (this.pos === segStart) {
        throw new RouteLexError(`empty segment in source path ${quote(t.slice(start, this.pos + 1))}`, this.pos);
      }
    }
    return { path: t.slice(start, this.pos), pos: start };
  }

  private lex(): Token {
    this.skipTrivia();
    const t = this.text;
    const pos = this.pos;
    if (pos >= t.length) return { kind: 'eof', pos, end: pos };
    const c = t[pos] as string;
    const c2 = t[pos + 1];

    if (c === '"' || c === "'") return this.lexString(c);
    if (isDigit(c) || (c === '.' && isDigit(c2))) return this.lexNumber();
    if (c === '$') {
      let end = pos + 1;
      while (end < t.length && !PATH_STOP.has(t[end] as string)) end += 1;
      if (end === pos + 1) throw new RouteLexError('expected a property name after "$"', pos);
      this.pos = end;
      return { kind: 'sysprop', value: t.slice(pos, end), pos, end };
    }
    const two = c + (c2 ?? '');
    for (const p of ['!=', '<>', '<=', '>=', '||', '??'] as const) {
      if (two === p) {
        this.pos += 2;
        return { kind: 'punct', value: p, pos, end: pos + 2 };
      }
    }
    if ('(),+-*/%=<>{}'.includes(c)) {
      this.pos += 1;
      return { kind: 'punct', value: c as Punct, pos, end: pos + 1 };
    }
    if (!ID_STOP.has(c) && c !== '.' && c !== '$') {
      let end = pos + 1;
      while (end < t.length && !ID_STOP.has(t[end] as string)) end += 1;
      this.pos = end;
      const text = t.slice(pos, end);
      const keyword = KEYWORDS.get(text.toLowerCase());
      if (keyword !== undefined) return { kind: 'keyword', value: keyword, pos, end };
      if (WORDS.has(text)) return { kind: 'word', value: WORDS.get(text), pos, end };
      return { kind: 'id', value: text, pos, end };
    }
    throw new RouteLexError(`unexpected character ${quote(c)}`, pos);
  }

  /** `"…"` or `'…'` with `\"`, `\'`, `\\` and `\uXXXX` escapes (GrammarLexer `ESC`). */
  private lexString(quoteChar: string): Token {
    const t = this.text;
    const pos = this.pos;
    let i = pos + 1;
    let out = '';
    let chunkStart = i;
    while (i < t.length) {
      const c = t[i];
      if (c === quoteChar) {
        out += t.slice(chunkStart, i);
        this.pos = i + 1;
        return { kind: 'string', value: out, pos, end: i + 1 };
      }
      if (c === '\\') {
        out += t.slice(chunkStart, i);
        const e = t[i + 1];
        if (e === '"' || e === "'" || e === '\\') {
          out += e;
          i += 2;
        } else if ((e === 'u' || e === 'U') && isHex(t[i + 2]) && isHex(t[i + 3]) && isHex(t[i + 4]) && isHex(t[i + 5])) {
          out += String.fromCharCode(parseInt(t.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          throw new RouteLexError(`invalid escape ${quote(t.slice(i, i + 2))} in string (allowed: \\" \\' \\\\ \\uXXXX)`, i);
        }
        chunkStart = i;
        continue;
      }
      i += 1;
    }
    throw new RouteLexError(`unterminated string ${quote(t.slice(pos))}`, pos);
  }

  /** Integers, reals with exponent, and `0x` hex (GrammarLexer `INTEGER_LITERAL`, `REAL_LITERAL`, `HEX_INTEGER_LITERAL`). */
  private lexNumber(): Token {
    const t = this.text;
    const pos = this.pos;
    let i = pos;
    if (t[i] === '0' && (t[i + 1] === 'x' || t[i + 1] === 'X')) {
      i += 2;
      const digitsStart = i;
      while (isHex(t[i])) i += 1;
      if (i === digitsStart) throw new RouteLexError(`invalid hex number ${quote(t.slice(pos, i + 1))}`, pos);
      this.pos = i;
      return { kind: 'number', value: parseInt(t.slice(digitsStart, i), 16), pos, end: i };
    }
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
    const value = Number(t.slice(pos, i));
    if (!Number.isFinite(value)) throw new RouteLexError(`number out of range ${quote(t.slice(pos, i))}`, pos);
    this.pos = i;
    return { kind: 'number', value, pos, end: i };
  }
}
