/**
 * Where and why text is not JSON (RFC 8259), for messages a person can act on: V8's
 * `JSON.parse` errors do not always carry a position. Iterative (an explicit stack), so
 * hostile input such as a million `[` cannot overflow the call stack. Only called after
 * `JSON.parse` failed; returns undefined if the text is in fact valid.
 */
export function locateJsonError(text: string): { position: number; message: string } | undefined {
  let i = 0;
  const stack: string[] = [];
  const n = text.length;
  const fail = (expected: string) => ({
    position: i,
    message: i >= n ? `unexpected end of input, expected ${expected}` : `unexpected ${JSON.stringify(text[i])}, expected ${expected}`,
  });
  const skipWhitespace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  /** Scans a string starting at `"`; returns an error or undefined. */
  const scanString = () => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return { position: i, message: 'unescaped control character in a string' };
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else return { position: i, message: 'invalid escape sequence in a string' };
      } else i++;
    }
    return { position: i, message: 'unterminated string' };
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  type State = 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'afterValue';
  let state: State = 'value';
  for (;;) {
    skipWhitespace();
    switch (state) {
      case 'value':
      case 'valueOrEnd': {
        const c = text[i];
        if (state === 'valueOrEnd' && c === ']') {
          i++;
          stack.pop();
          state = 'afterValue';
        } else if (c === '{') {
          stack.push('}');
          i++;
          state = 'keyOrEnd';
        } else if (c === '[') {
          stack.push(']');
          i++;
          state = 'valueOrEnd';
        } else if (c === '"') {
          const e = scanString();
          if (e) return e;
          state = 'afterValue';
        } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
          NUMBER.lastIndex = i;
          if (!NUMBER.test(text)) return fail('a number');
          i = NUMBER.lastIndex;
          state = 'afterValue';
        } else {
          const literal = ['true', 'false', 'null'].find((l) => text.startsWith(l, i));
          if (!literal) return fail('a value');
          i += literal.length;
          state = 'afterValue';
        }
        break;
      }
      case 'key':
      case 'keyOrEnd':
        if (state === 'keyOrEnd' && text[i] === '}') {
          i++;
          stack.pop();
          state = 'afterValue';
        } else if (text[i] === '"') {
          const e = scanString();
          if (e) return e;
          state = 'colon';
        } else return fail('a property name in double quotes');
        break;
      case 'colon':
        if (text[i] !== ':') return fail('":"');
        i++;
        state = 'value';
        break;
      case 'afterValue': {
        const close = stack.at(-1);
        if (close === undefined) return i >= n ? undefined : fail('the end of the document');
        if (text[i] === ',') {
          i++;
          state = close === ']' ? 'value' : 'key';
        } else if (text[i] === close) {
          i++;
          stack.pop();
        } else return fail(`"," or "${close}"`);
        break;
      }
    }
  }
}

/** `line L, column C` (1-based) of a character offset. */
export function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}
