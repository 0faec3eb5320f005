import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../../runtime/hub/limits/token-bucket.js';
import { resolveHubLimits, DEFAULT_HUB_LIMITS } from '../../../../runtime/hub/limits/hub-limits.js';

describe('RateLimiter', () => {
  it('allows a burst, then the rate, per key', () => {
    let now = 0;
    const limiter = new RateLimiter(10, 5, () => now);
    expect(Array.from({ length: 7 }, () => limiter.allow('a'))).toEqual([true, true, true, true, true, false, false]);
    expect(limiter.allow('b')).toBe(true); // another key has its own bucket
    now += 100; // 0.1 s at 10/s: one token
    expect([limiter.allow('a'), limiter.allow('a')]).toEqual([true, false]);
    now += 10_000; // refills to the burst, not beyond
    expect(Array.from({ length: 6 }, () => limiter.allow('a')).filter(Boolean)).toHaveLength(5);
  });

  it('never throttles at rate 0 and forgets the oldest key past its key limit', () => {
    expect(Array.from({ length: 1000 }, () => new RateLimiter(0, 0, () => 0).allow('a')).every(Boolean)).toBe(true);
    const limiter = new RateLimiter(1, 1, () => 0, 2);
    expect([limiter.allow('a'), limiter.allow('a')]).toEqual([true, false]);
    limiter.allow('b');
    limiter.allow('c'); // 'a' is forgotten and starts again with a full bucket
    expect(limiter.allow('a')).toBe(true);
  });
});

describe('resolveHubLimits', () => {
  it('fills defaults and refuses a negative or non-numeric limit naming it', () => {
    expect(resolveHubLimits({ writeBufferBytes: 1 })).toEqual({ ...DEFAULT_HUB_LIMITS, writeBufferBytes: 1 });
    expect(() => resolveHubLimits({ maxConnections: -1 })).toThrow(/maxConnections/);
    expect(() => resolveHubLimits({ twinGetsPerSecond: Number.NaN })).toThrow(/twinGetsPerSecond/);
  });
});
