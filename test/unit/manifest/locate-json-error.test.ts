import { describe, expect, it } from 'vitest';
import { lineAndColumn, locateJsonError } from '../../../runtime/manifest/locate-json-error.js';

describe('locateJsonError', () => {
  it.each<[string, number, string]>([
    ['{"a":1,}', 7, 'property name'],
    ['{"a" 1}', 5, '":"'],
    ['{"a":}', 5, 'a value'],
    ['[1 2]', 3, '"," or "]"'],
    ['{"a":1', 6, 'end of input'],
    ['{"a":"x', 7, 'unterminated string'],
    ['"\\q"', 1, 'escape'],
    ['"a\nb"', 2, 'control character'],
    ['{} {}', 3, 'end of the document'],
    ["{'a':1}", 1, 'double quotes'],
    ['[tru]', 1, 'a value'],
    ['-', 0, 'a number'],
    ['', 0, 'end of input'],
  ])('finds the error in %j at %i', (text, position, words) => {
    expect(() => JSON.parse(text)).toThrow();
    const e = locateJsonError(text);
    expect(e?.position).toBe(position);
    expect(e?.message).toContain(words);
  });

  it('returns undefined for valid JSON', () => {
    for (const text of ['{}', '[]', '{"a":[1,-2.5e3,true,false,null,"\\u00e9\\n"]}', ' 0 ']) expect(locateJsonError(text)).toBeUndefined();
  });

  it('survives a million opening brackets', () => {
    const text = '['.repeat(1_000_000);
    expect(locateJsonError(text)).toMatchObject({ position: 1_000_000 });
  });

  it('gives 1-based line and column', () => {
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn('ab', 0)).toEqual({ line: 1, column: 1 });
  });
});
