import { describe, expect, it } from 'vitest';
import { compileSafeRegex, MAX_REGEX_LENGTH } from '../../../../runtime/agent/methods/safe-regex.js';

describe('compiling a regex from a method request', () => {
  it.each([
    ['sensor', 'SimulatedTemperatureSensor', false],
    ['Sensor$', 'SimulatedTemperatureSensor', true],
    ['^filter$', 'filter', true],
    ['^filter$', 'filter2', false],
  ])('%s against %s', (source, text, expected) => {
    expect(compileSafeRegex(source, 'id').test(text)).toBe(expected);
  });

  it('matches case-insensitively when asked (module ids)', () => {
    expect(compileSafeRegex('^FILTER$', 'id', { ignoreCase: true }).test('filter')).toBe(true);
  });

  it('runs a catastrophic pattern over a long line in linear time (RE2), so it cannot hang the process', () => {
    const re = compileSafeRegex('(a+)+$', 'filter.regex');
    expect(re.test(`${'a'.repeat(50_000)}b`)).toBe(false);
    expect(compileSafeRegex('(x+x+)+y', 'filter.regex').test('x'.repeat(20_000))).toBe(false);
  });

  it.each([
    ['(unclosed', 'not a valid regular expression'],
    ['(?=lookahead)', 'no backreferences or lookaround'],
    ['(a)\\1', 'not a valid regular expression'],
    ['a'.repeat(MAX_REGEX_LENGTH + 1), `at most ${MAX_REGEX_LENGTH} characters`],
  ])('refuses %s with a 400 that names the field', (source, message) => {
    expect(() => compileSafeRegex(source, 'items[0].filter.regex')).toThrow(expect.objectContaining({ code: 'AGENT_METHOD_BAD_REQUEST', details: { field: 'items[0].filter.regex' }, message: expect.stringContaining(message) }));
  });
});
