import { describe, expect, it } from 'vitest';
import { decide, parseThreshold, MAX_BODY_BYTES } from '../../../modules/filter/filter-rule.js';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('parseThreshold', () => {
  it('returns undefined when the desired document does not mention the threshold', () => {
    expect(parseThreshold({ $version: 3, other: 1 })).toBeUndefined();
  });

  it.each([
    [30, 30],
    ['27.5', 27.5],
    [-5, -5],
  ])('accepts %j', (value, expected) => {
    expect(parseThreshold({ TemperatureThreshold: value })).toEqual({ ok: true, value: expected });
  });

  it.each([[null], ['hot'], [''], [{ value: 3 }], [true]])('refuses %j with a reason', (value) => {
    const result = parseThreshold({ TemperatureThreshold: value });
    expect(result?.ok).toBe(false);
  });
});

describe('decide', () => {
  it.each([
    [{ machine: { temperature: 30 } }, 25, 'forward'],
    [{ machine: { temperature: 25 } }, 25, 'drop'],
    [{ machine: { temperature: 24.9 } }, 25, 'drop'],
    [{ machine: { temperature: -1 } }, -2, 'forward'],
  ])('%j against threshold %d: %s', (value, threshold, action) => {
    expect(decide(body(value), threshold).action).toBe(action);
  });

  it.each([
    [Buffer.from('not json'), /not JSON/],
    [body(null), /machine.temperature/],
    [body([1, 2]), /machine.temperature/],
    [body({ machine: { temperature: '30' } }), /machine.temperature/],
    [body({ machine: null }), /machine.temperature/],
    [Buffer.alloc(MAX_BODY_BYTES + 1, 0x20), /exceeds/],
  ])('rejects a malformed body (%#)', (input, reason) => {
    const decision = decide(input, 25);
    expect(decision.action).toBe('reject');
    if (decision.action === 'reject') expect(decision.reason).toMatch(reason);
  });
});
