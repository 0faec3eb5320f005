import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../../runtime/manifest/bounded-cache.js';

/** A cache whose compute function counts how often it ran per key. */
function counting(maxEntries: number, maxKeyLength: number) {
  const cache = new BoundedCache<{ key: string }>(maxEntries, maxKeyLength);
  const computed = new Map<string, number>();
  const get = (key: string) =>
    cache.get(key, () => {
      computed.set(key, (computed.get(key) ?? 0) + 1);
      return { key };
    });
  return { get, computed };
}

describe('BoundedCache', () => {
  it('computes a key on its first two requests and serves it from the cache afterwards', () => {
    const { get, computed } = counting(10, 100);
    const first = get('a');
    const second = get('a');
    expect(get('a')).toBe(second);
    expect(get('a')).toBe(second);
    expect(first).toEqual({ key: 'a' });
    expect(computed.get('a')).toBe(2);
  });

  it('never caches keys longer than the key limit', () => {
    const { get, computed } = counting(10, 3);
    for (let i = 0; i < 5; i++) get('long');
    expect(computed.get('long')).toBe(5);
  });

  it('keeps recently used keys and drops old ones once two generations are full', () => {
    const { get, computed } = counting(4, 100);
    get('keep');
    get('keep');
    for (let i = 0; i < 20; i++) {
      get(`k${i}`);
      get(`k${i}`);
      get('keep'); // used all the time: moves to the current generation whenever it ages
    }
    expect(computed.get('keep')).toBe(2);
    get('k0'); // cached long ago and not used since: dropped
    expect(computed.get('k0')).toBe(3);
    get('k19'); // cached last: still there
    expect(computed.get('k19')).toBe(2);
  });
});
