/**
 * The entries of a stored property map — the JSON text `JSON.stringify` made of a string-to-string
 * map (store/message-store.ts `propsJson`) — as key, value, key, value, … where entry `i` is the
 * text `source[i]` from `from[i]` to `to[i]`: the Event Hubs encoder writes them without building
 * an object or a string per entry. Text as `JSON.stringify` writes it (no whitespace) without a
 * backslash has no escaped character (ECMA-404 §9: a quote inside a string is always escaped),
 * so each key and value is the text between two quotes; any other text goes through
 * `JSON.parse`, values made strings. Text that is not a JSON object yields no entries. One
 * instance is reused message after message (`read` overwrites it).
 */
export class JsonStringPairs {
  /** Keys and values: 2 × the number of entries. */
  length = 0;
  readonly source: string[] = [];
  readonly from: number[] = [];
  readonly to: number[] = [];

  read(json: string): this {
    this.length = 0;
    if (json === '{}') return this;
    if (!this.scan(json)) this.parse(json);
    return this;
  }

  /** Entry `i` is `text` (its key or value spelled exactly so). */
  is(i: number, text: string): boolean {
    return this.to[i]! - this.from[i]! === text.length && this.source[i]!.startsWith(text, this.from[i]);
  }

  /** Entry `i` as a string of its own. */
  text(i: number): string {
    return this.source[i]!.slice(this.from[i], this.to[i]);
  }

  private push(source: string, from: number, to: number): void {
    const n = this.length++;
    this.source[n] = source;
    this.from[n] = from;
    this.to[n] = to;
  }

  /** `{"k":"v","k":"v"}` exactly, no backslash; false (nothing kept) otherwise. */
  private scan(json: string): boolean {
    const QUOTE = 0x22;
    const end = json.length;
    if (json.charCodeAt(0) !== 0x7b || json.charCodeAt(end - 1) !== 0x7d || json.includes('\\')) return false;
    let i = 1;
    for (;;) {
      if (json.charCodeAt(i) !== QUOTE) break;
      const keyEnd = json.indexOf('"', i + 1);
      if (keyEnd < 0 || json.charCodeAt(keyEnd + 1) !== 0x3a || json.charCodeAt(keyEnd + 2) !== QUOTE) break;
      const valueEnd = json.indexOf('"', keyEnd + 3);
      if (valueEnd < 0) break;
      this.push(json, i + 1, keyEnd);
      this.push(json, keyEnd + 3, valueEnd);
      const next = json.charCodeAt(valueEnd + 1);
      if (next === 0x7d && valueEnd + 2 === end) return true;
      if (next !== 0x2c) break;
      i = valueEnd + 2;
    }
    this.length = 0;
    return false;
  }

  private parse(json: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
    for (const [k, v] of Object.entries(parsed)) {
      const value = typeof v === 'string' ? v : JSON.stringify(v);
      this.push(k, 0, k.length);
      this.push(value, 0, value.length);
    }
  }
}
