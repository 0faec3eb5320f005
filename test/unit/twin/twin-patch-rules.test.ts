import { describe, expect, it } from 'vitest';
import { checkSectionSize, checkTwinPatch } from '../../../runtime/twin/index.js';

const nest = (depth: number): Record<string, unknown> => (depth === 0 ? { leaf: 1 } : { n: nest(depth - 1) });

describe('IoT Hub twin rules', () => {
  const valid: Array<[string, unknown]> = [
    ['a flat object', { temperature: 21.5, status: 'ok', on: true, none: null }],
    ['ten levels of nesting', nest(10)],
    ['arrays of scalars and objects', { list: [1, 'a', { b: 2 }] }],
    ['a 1024-byte key', { ['k'.repeat(1024)]: 1 }],
    ['a 4096-byte string', { s: 'x'.repeat(4096) }],
  ];
  it.each(valid)('accepts %s', (_name, patch) => {
    expect(checkTwinPatch(patch)).toEqual([]);
  });

  const invalid: Array<[string, unknown, string]> = [
    ['a non-object', [1, 2], 'must be a JSON object'],
    ['null', null, 'must be a JSON object'],
    ['a key with a dot', { 'a.b': 1 }, "cannot contain '.'"],
    ['a key with a dollar', { $x: 1 }, "cannot contain '.'"],
    ['a key with a space', { 'a b': 1 }, "cannot contain '.'"],
    ['a key with #', { 'a#': 1 }, "cannot contain '.'"],
    ['a key with a control character', { 'a\u0001': 1 }, "cannot contain '.'"],
    ['an empty key', { '': 1 }, 'empty property name'],
    ['eleven levels of nesting', nest(11), 'maximum depth'],
    ['a 1025-byte key', { ['k'.repeat(1025)]: 1 }, 'longer than 1024'],
    ['a 4097-byte string', { s: 'x'.repeat(4097) }, 'longer than 4096'],
    ['an unsafe integer', { n: 2 ** 60 }, '2^52'],
    ['a bad key deep inside', { a: { b: { 'c.d': 1 } } }, "cannot contain '.'"],
  ];
  it.each(invalid)('refuses %s', (_name, patch, message) => {
    const issues = checkTwinPatch(patch);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]!.message).toContain(message);
  });

  it('refuses a section larger than 32 KB and accepts one just under', () => {
    expect(checkSectionSize({ s: 'x'.repeat(32 * 1024) }, 'reported')[0]!.message).toContain('more than 32768');
    expect(checkSectionSize({ s: 'x'.repeat(32 * 1024 - 20) }, 'reported')).toEqual([]);
  });
});
