import { describe, expect, it } from 'vitest';
import { parseDuration, parseLogTime } from '../../../../runtime/agent/methods/log-time.js';

const now = Date.parse('2026-06-01T12:00:00Z');
const nowS = now / 1000;

describe('since/until as IoT Edge takes them', () => {
  it.each([
    [1_700_000_000, 1_700_000_000],
    ['1700000000', 1_700_000_000],
    ['10m', nowS - 600],
    ['1h', nowS - 3600],
    ['1 d', nowS - 86_400],
    ['90 m', nowS - 5400],
    ['2 days 3 hours 2 minutes', nowS - (2 * 86_400 + 3 * 3600 + 120)],
    ['1h30m', nowS - 5400],
    ['30 seconds', nowS - 30],
    ['2026-06-01T11:00:00Z', nowS - 3600],
    ['2026-06-01T13:00:00+02:00', nowS - 3600],
  ])('%s', (value, expected) => {
    expect(parseLogTime(value, 'items[0].filter.since', now)).toBeCloseTo(expected, 3);
  });

  it.each([[''], ['yesterday'], ['10 parsecs'], [-1], [true], [{}], ['x'.repeat(200)], ['2026-13-45T99:00:00Z']])('refuses %j naming the field', (value) => {
    expect(() => parseLogTime(value, 'items[0].filter.since', now)).toThrow(expect.objectContaining({ code: 'AGENT_METHOD_BAD_REQUEST', details: { field: 'items[0].filter.since' } }));
  });

  it('reads durations only when the whole text is one', () => {
    expect(parseDuration('5m')).toBe(300);
    expect(parseDuration('5m garbage')).toBeUndefined();
    expect(parseDuration('m')).toBeUndefined();
  });
});
