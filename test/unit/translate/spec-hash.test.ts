import { describe, expect, it } from 'vitest';
import { canonicalJson, specHash } from '../../../runtime/translate/spec-hash.js';

/** The reference: JSON.stringify of a copy with keys sorted at every level. */
function reference(value: unknown): string {
  const sortDeep = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortDeep);
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sortDeep(value)) ?? 'null';
}

describe('canonicalJson', () => {
  it.each<[string, unknown]>([
    ['nested objects', { b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } }],
    ['strings that need escaping', { 'k"ey': 'line\nbreak "quoted" \u2028', 'é': 'ü', '\u0000': '\u0007' }],
    ['numbers', { a: 0, b: -0, c: 1e21, d: 1.5, e: -3, f: Number.NaN, g: Number.POSITIVE_INFINITY, h: 2 ** 53 }],
    ['booleans and null', [true, false, null]],
    ['undefined members and array slots', { a: undefined, b: [undefined, 1], c: { d: undefined } }],
    ['empty containers', { a: {}, b: [], c: '' }],
  ])('equals JSON.stringify of a key-sorted copy for %s', (_name, value) => {
    expect(canonicalJson(value)).toBe(reference(value));
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(reference(value)));
  });

  it('orders every key by UTF-16 code unit, integer-like keys included (unlike object property order)', () => {
    expect(canonicalJson({ B: 1, a: 2, _: 3, '10': 4, '9': 5, 'a/b': 6, 'a.b': 7 })).toBe('{"10":4,"9":5,"B":1,"_":3,"a":2,"a.b":7,"a/b":6}');
  });

  it('does not depend on key order', () => {
    expect(specHash({ a: 1, b: { c: 2, d: 3 } })).toBe(specHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(specHash({ a: 1 })).not.toBe(specHash({ a: 2 }));
    expect(specHash({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });
});
