import { describe, expect, it } from 'vitest';
import { checkSectionSize, checkTwinPatch, checkTwinSection, dottedPath, twinKeyRule, type TwinProblemCode } from '../../../runtime/twin/index.js';

/** `levels` objects nested below the section, the innermost holding `leaf`. */
const nest = (levels: number, leaf: unknown = 1): Record<string, unknown> => {
  let d: Record<string, unknown> = { leaf };
  for (let i = levels; i >= 1; i--) d = i === 1 ? d : { [`l${i}`]: d };
  return levels === 0 ? { leaf } : { l1: d };
};
const codes = (doc: Record<string, unknown>) => checkTwinSection(doc, 'desired').map((p) => p.code);
const patchCodes = (doc: unknown) => checkTwinPatch(doc).map((p) => p.code);
/** A section whose compact JSON is exactly `bytes` long. */
const sectionOf = (bytes: number): Record<string, unknown> => ({ p: 'x'.repeat(bytes - '{"p":""}'.length) });

describe('the one set of twin rules, at its boundaries', () => {
  const integers: Array<[string, number, TwinProblemCode[]]> = [
    ['2^52−1 (the largest allowed)', 2 ** 52 - 1, []],
    ['2^52', 2 ** 52, ['integer-out-of-range']],
    ['−2^52 (the smallest allowed)', -(2 ** 52), []],
    ['−2^52−1', -(2 ** 52) - 1, ['integer-out-of-range']],
    ['2^53−1 (JSON-safe, but beyond IoT Hub)', 2 ** 53 - 1, ['integer-out-of-range']],
    ['2^53', 2 ** 53, ['integer-out-of-range']],
    ['−(2^53)', -(2 ** 53), ['integer-out-of-range']],
    ['a float beyond the integer range', 1e300, []],
    ['a fraction', 4503599627370495.5, []],
  ];
  it.each(integers)('integer %s', (_name, n, expected) => {
    expect(codes({ n })).toEqual(expected);
    expect(patchCodes({ n })).toEqual(expected);
  });

  const depths: Array<[string, Record<string, unknown>, TwinProblemCode[]]> = [
    ['10 levels of objects (IoT Hub\'s own valid example)', nest(10), []],
    ['11 levels of objects', nest(11), ['too-deep']],
    ['10 levels whose innermost key holds an empty object', nest(10, {}), ['too-deep']],
    ['10 levels whose innermost key holds an array of scalars', nest(10, [1, 2]), []],
    ['10 levels whose innermost key holds an array of objects', nest(10, [{ a: 1 }]), ['too-deep']],
    ['arrays do not count: 9 objects, then 50 nested arrays, then an object', nest(9, JSON.parse(`${'['.repeat(50)}{"a":1}${']'.repeat(50)}`)), []],
    ['nesting of any kind stops at 100 levels', { a: JSON.parse(`${'['.repeat(100)}1${']'.repeat(100)}`) }, ['too-nested']],
    ['99 nested arrays are fine', { a: JSON.parse(`${'['.repeat(99)}1${']'.repeat(99)}`) }, []],
  ];
  it.each(depths)('depth: %s', (_name, doc, expected) => {
    expect(codes(doc)).toEqual(expected);
    expect(patchCodes(doc)).toEqual(expected);
  });

  it('places a depth problem at the key holding the 11th object', () => {
    const [problem] = checkTwinPatch(nest(11));
    expect(dottedPath(problem!.segments)).toBe('l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11');
    expect(problem!.message).toContain('maximum depth');
  });

  const keys: Array<[string, string, TwinProblemCode | undefined]> = [
    ['a plain key', 'temperature', undefined],
    ['non-ASCII letters', 'ünïcode', undefined],
    ['exactly 1024 bytes', 'k'.repeat(1024), undefined],
    ['1025 bytes', 'k'.repeat(1025), 'key-too-long'],
    ['512 two-byte characters (1024 bytes)', 'é'.repeat(512), undefined],
    ['513 two-byte characters (1026 bytes)', 'é'.repeat(513), 'key-too-long'],
    ['empty', '', 'key-empty'],
    ['a dot', 'a.b', 'key-character'],
    ['a dollar', '$version', 'key-character'],
    ['a hash', 'a#b', 'key-character'],
    ['a space', 'a b', 'key-character'],
    ['a tab (C0 control)', 'a\tb', 'key-character'],
    ['DEL', 'a\u007fb', 'key-character'],
    ['a C1 control character', 'a\u0085b', 'key-character'],
    ['a no-break space (whitespace)', 'a\u00a0b', 'key-character'],
  ];
  it.each(keys)('key: %s', (_name, key, expected) => {
    expect(twinKeyRule(key)?.code).toBe(expected);
    expect(patchCodes({ [key]: 1 })).toEqual(expected ? [expected] : []);
  });

  it('checks keys inside objects inside arrays', () => {
    expect(checkTwinPatch({ list: [1, { 'x.y': 1 }] }).map((p) => dottedPath(p.segments))).toEqual(['list[1].x.y']);
  });

  it.each([
    ['4096 bytes', 'x'.repeat(4096), []],
    ['4097 bytes', 'x'.repeat(4097), ['string-too-long']],
    ['2048 two-byte characters (4096 bytes)', 'é'.repeat(2048), []],
    ['2049 two-byte characters (4098 bytes)', 'é'.repeat(2049), ['string-too-long']],
  ])('string value of %s', (_name, s, expected) => {
    expect(codes({ s })).toEqual(expected);
  });

  const sizes: Array<['tags' | 'desired' | 'reported', number, boolean]> = [
    ['tags', 8 * 1024, true],
    ['tags', 8 * 1024 + 1, false],
    ['desired', 32 * 1024, true],
    ['desired', 32 * 1024 + 1, false],
    ['reported', 32 * 1024, true],
    ['reported', 32 * 1024 + 1, false],
  ];
  it.each(sizes)('a %s section of %i bytes is accepted: %s', (kind, bytes, ok) => {
    // string values stay under 4 KB: the size rule alone decides
    const section: Record<string, unknown> = {};
    let left = bytes - 2;
    for (let i = 0; left > 0; i++) {
      const key = `k${String(i).padStart(2, '0')}`;
      const overhead = (i === 0 ? 0 : 1) + key.length + 5; // ,"kNN":""
      const len = Math.min(4000, left - overhead);
      section[key] = 'x'.repeat(len);
      left -= overhead + len;
    }
    expect(Buffer.byteLength(JSON.stringify(section))).toBe(bytes);
    expect(checkSectionSize(section, kind).map((p) => p.code)).toEqual(ok ? [] : ['section-too-large']);
    expect(checkTwinSection(section, kind).map((p) => p.code)).toEqual(ok ? [] : ['section-too-large']);
  });

  it('names the limit of the section kind in the size message', () => {
    expect(checkSectionSize(sectionOf(8 * 1024 + 1), 'tags')[0]!.message).toContain('more than 8192 bytes (8 KB)');
    expect(checkSectionSize(sectionOf(32 * 1024 + 1), 'reported')[0]!.message).toBe(
      "the reported section would be 32769 bytes, more than 32768 bytes (32 KB), IoT Hub's limit for a twin's reported section",
    );
  });

  it('refuses a patch that is not an object', () => {
    expect(patchCodes([1])).toEqual(['not-an-object']);
    expect(patchCodes('text')).toEqual(['not-an-object']);
    expect(patchCodes(null)).toEqual(['not-an-object']);
  });
});
