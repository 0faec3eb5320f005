import { describe, expect, it } from 'vitest';
import { mergePatchBetween } from '../../../runtime/web/app/merge-patch.js';
import { numericFields } from '../../../runtime/web/app/numeric-fields.js';

describe('the merge patch the twin editor sends (RFC 7386)', () => {
  it.each([
    [{ a: 1 }, { a: 1 }, {}],
    [{ a: 1 }, { a: 2 }, { a: 2 }],
    [{ a: 1, b: 2 }, { a: 1 }, { b: null }],
    [{ a: { x: 1, y: 2 } }, { a: { x: 1, y: 3 } }, { a: { y: 3 } }],
    [{ a: { x: 1 } }, { a: 5 }, { a: 5 }],
    [{ a: [1, 2] }, { a: [1, 2] }, {}],
    [{ a: [1, 2] }, { a: [2] }, { a: [2] }],
    [{}, { n: { deep: { er: true } } }, { n: { deep: { er: true } } }],
  ])('%j → %j is %j', (before, after, patch) => {
    expect(mergePatchBetween(before, after)).toEqual(patch);
  });
});

describe('the numeric fields the chart can plot', () => {
  it('finds numbers by dotted path, skips arrays, non-finite values and what is too deep', () => {
    const fields = numericFields({ machine: { temperature: 21.5, pressure: 1 }, ambient: { humidity: 25 }, tags: [1, 2], name: 'x', a: { b: { c: { d: { e: 1 } } } }, ok: true });
    expect([...fields]).toEqual([
      ['machine.temperature', 21.5],
      ['machine.pressure', 1],
      ['ambient.humidity', 25],
    ]);
    expect([...numericFields(42)]).toEqual([['', 42]]);
    expect(numericFields(undefined).size).toBe(0);
    expect(numericFields(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, i]))).size).toBe(50);
  });
});
