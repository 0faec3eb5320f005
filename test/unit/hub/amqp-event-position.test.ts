import { describe, expect, it } from 'vitest';
import { parseEventPosition, partitionOf, selectorOf } from '../../../runtime/hub/amqp/event-position.js';

describe('Event Hubs start positions from the selector filter', () => {
  it.each([
    [undefined, { kind: 'latest' }],
    ["amqp.annotation.x-opt-offset > '-1'", { kind: 'after-seq', seq: 0 }],
    ["amqp.annotation.x-opt-offset > '@latest'", { kind: 'latest' }],
    ["amqp.annotation.x-opt-offset > '12'", { kind: 'after-seq', seq: 12 }],
    ["amqp.annotation.x-opt-offset >= '12'", { kind: 'after-seq', seq: 11 }],
    ["amqp.annotation.x-opt-sequence-number > '7'", { kind: 'after-seq', seq: 7 }],
    ['amqp.annotation.x-opt-sequence-number >= 7', { kind: 'after-seq', seq: 6 }],
    ["amqp.annotation.x-opt-enqueued-time > '1700000000000'", { kind: 'after-time', epochMs: 1_700_000_000_000 }],
  ])('%s', (selector, expected) => {
    expect(parseEventPosition(selector)).toEqual(expected);
  });

  it.each(["amqp.annotation.x-opt-offset > 'abc'", 'drop table', "amqp.annotation.x-opt-enqueued-time > 'soon'"])('refuses %s', (selector) => {
    expect(parseEventPosition(selector)).toBeUndefined();
  });

  it('finds the selector inside a described filter map', () => {
    expect(selectorOf({ 'apache.org:selector-filter:string': { descriptor: 0x468c00000004, value: "amqp.annotation.x-opt-offset > '-1'" } })).toBe("amqp.annotation.x-opt-offset > '-1'");
    expect(selectorOf(undefined)).toBeUndefined();
  });

  it('puts a device in one stable partition', () => {
    expect(partitionOf('dev1', 4)).toBe(partitionOf('dev1', 4));
    const spread = new Set(Array.from({ length: 64 }, (_, i) => partitionOf(`d${i}`, 4)));
    expect(spread.size).toBe(4);
  });
});
