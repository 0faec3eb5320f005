import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { startYoungGenerationPolicy, sustainedLoad, V8_SEMI_SPACE_GROWTH_FACTOR, YOUNG_GENERATION_RULE, YOUNG_GENERATION_SAMPLE_MS } from '../../../runtime/server/young-generation.js';

describe('whether message rates show sustained load', () => {
  const rule = { minPerSecond: 1000, sustainSamples: 2 };
  it.each([
    ['no samples yet', [], false],
    ['one sample at the rate is not yet sustained', [5000], false],
    ['two samples in a row at the rate', [1000, 1000], true],
    ['the last two of several', [0, 3, 1200, 80_000], true],
    ['a burst followed by a quiet second', [50_000, 999], false],
    ['a quiet second between two bursts', [50_000, 0, 50_000], false],
    ['just below the rate', [999.9, 999.9], false],
    ['a rate that is not a number never counts', [NaN, 2000], false],
  ])('%s', (_name, rates, expected) => {
    expect(sustainedLoad(rates, rule)).toBe(expected);
  });

  it('asks for no samples at all only when the rule is nonsense: then it never grows', () => {
    expect(sustainedLoad([1e9, 1e9], { minPerSecond: 0, sustainSamples: 0 })).toBe(false);
  });

  it('uses 1,000 messages per second for two samples by default', () => {
    expect(YOUNG_GENERATION_RULE).toEqual({ minPerSecond: 1000, sustainSamples: 2 });
    expect(sustainedLoad([1000, 1000])).toBe(true);
    expect(sustainedLoad([1000, 10])).toBe(false);
  });
});

/** The policy with a hand-driven counter, clock and timer. */
function driven() {
  let accepted = 0;
  let now = 0;
  const factors: number[] = [];
  let tick: (() => void) | undefined;
  let interval: number | undefined;
  const policy = startYoungGenerationPolicy({
    accepted: () => accepted,
    setGrowthFactor: (f) => factors.push(f),
    now: () => now,
    logger: silentLogger(),
    every: (ms, fn) => {
      interval = ms;
      tick = fn;
      return () => {
        tick = undefined;
      };
    },
  });
  return {
    policy,
    factors,
    interval: () => interval,
    running: () => tick !== undefined,
    /** One sample period in which `messages` messages were accepted. */
    second(messages: number, ms = 1000) {
      accepted += messages;
      now += ms;
      tick?.();
    },
  };
}

describe('the young generation policy of the hub process', () => {
  it('holds the young generation at its initial size from the start, sampling every half second', () => {
    const d = driven();
    expect(d.factors).toEqual([1]);
    expect(d.interval()).toBe(YOUNG_GENERATION_SAMPLE_MS);
    expect(d.policy.grown).toBe(false);
  });

  it('lets it grow with V8 default factor after two samples of at least 1,000 messages per second each, and stops sampling', () => {
    const d = driven();
    d.second(1500);
    expect(d.factors).toEqual([1]);
    d.second(1000);
    expect(d.factors).toEqual([1, V8_SEMI_SPACE_GROWTH_FACTOR]);
    expect(d.policy.grown).toBe(true);
    expect(d.running()).toBe(false);
  });

  it('keeps it small for idle connections and for a short burst', () => {
    const d = driven();
    for (let i = 0; i < 30; i++) d.second(i % 10 === 0 ? 20_000 : 50);
    expect(d.factors).toEqual([1]);
    expect(d.policy.grown).toBe(false);
  });

  it('measures the rate over the time that really passed (a late timer is not a faster second)', () => {
    const d = driven();
    d.second(1800, 2000); // 900 msg/s over a late 2 s tick
    d.second(1800, 2000);
    expect(d.policy.grown).toBe(false);
    d.second(2200, 2000);
    d.second(2200, 2000);
    expect(d.policy.grown).toBe(true);
  });

  it('gives V8 its default back on close when it never grew, and only once', () => {
    const d = driven();
    d.policy.close();
    d.policy.close();
    expect(d.factors).toEqual([1, V8_SEMI_SPACE_GROWTH_FACTOR]);
    expect(d.running()).toBe(false);
  });

  it('sets nothing more on close once it grew', () => {
    const d = driven();
    d.second(5000);
    d.second(5000);
    d.policy.close();
    expect(d.factors).toEqual([1, V8_SEMI_SPACE_GROWTH_FACTOR]);
  });
});
