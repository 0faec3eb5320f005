import { describe, expect, it } from 'vitest';
import { JsonStringPairs } from '../../../runtime/hub/amqp/json-string-pairs.js';

const entries = (map: Record<string, string>) => Object.entries(map).flat();
const pairs = new JsonStringPairs();
const read = (json: string) => {
  pairs.read(json);
  return Array.from({ length: pairs.length }, (_, i) => pairs.text(i));
};

describe('the stored property map read as key/value pairs', () => {
  it.each<[string, Record<string, string>]>([
    ['an empty map', {}],
    ['one entry', { mid: '1' }],
    ['several entries in insertion order', { mid: 'm-1', ct: 'application/json', ce: 'utf-8' }],
    ['empty keys and values', { '': '', a: '' }],
    ['non-ASCII text', { 'ü-key': 'wert ✓', emoji: '🌡️' }],
    ['text that looks like JSON syntax', { ':': ',', '{': '}', 'a":"b': 'c', '},{': '":"' }],
    ['escaped quotes, backslashes and control characters', { 'say "hi"': 'c:\\dir', tab: '\t', nl: '\n', ctl: '\u0001' }],
  ])('gives back %s as JSON.parse does', (_, map) => {
    expect(read(JSON.stringify(map))).toEqual(entries(map));
  });

  it('makes non-string values strings, reads JSON with whitespace, and yields nothing for text that is not a JSON object', () => {
    expect(read('{"n":1,"b":true,"o":{"x":"y"}}')).toEqual(['n', '1', 'b', 'true', 'o', '{"x":"y"}']);
    expect(read('{"a":"b" , "c":"d"}')).toEqual(['a', 'b', 'c', 'd']);
    expect(read('{"a":"b",')).toEqual([]);
    expect(read('{"a":"b"}}')).toEqual([]);
    expect(read('["a","b"]')).toEqual([]);
    expect(read('null')).toEqual([]);
    expect(read('')).toEqual([]);
  });

  it('is reused: a read forgets the previous one, and names an entry exactly', () => {
    pairs.read('{"mid":"1","ct":"x"}');
    expect(pairs.is(0, 'mid')).toBe(true);
    expect(pairs.is(0, 'mi')).toBe(false);
    expect(pairs.is(2, 'ct')).toBe(true);
    expect(read('{}')).toEqual([]);
  });
});
