/**
 * How large V8's young generation may grow in the hub process. New space (two semi-spaces,
 * nodejs.org/api/cli.html#--max-semi-space-sizesize-in-mib) doubles whenever enough of it
 * survives scavenges, up to 2 × 16 MiB on 64-bit, and never gives those pages back. A burst of
 * TLS connections is enough to grow it all the way: 2,000 idle clients then cost 8–9 KB of RSS
 * each for a young generation that, on an idle hub, only buys fewer scavenges. Under message
 * load it is worth its memory: held at 2 × 1 MiB, scavenges took ~60 % more hub CPU per message
 * at 100 clients (docs/hub.md "Performance").
 *
 * So the hub starts with V8's `--semi-space-growth-factor` at 1 (the young generation stays at
 * its initial size; V8 reads the flag at every resize, so changing it at run time takes effect)
 * and gives V8 its default factor back, once, when messages arrive at `minPerSecond` or more for
 * `sustainSamples` samples in a row. Only the growth is decided here: what is already grown
 * stays (V8 has no way to shrink it back).
 */

import type { Logger } from '../log/create-logger.js';

/** When the young generation may grow: a sustained message rate. */
export interface YoungGenerationRule {
  /** Messages per second (accepted from clients) that count as load. */
  minPerSecond: number;
  /** Consecutive samples at or above it before the young generation may grow. */
  sustainSamples: number;
}

export const YOUNG_GENERATION_RULE: Readonly<YoungGenerationRule> = Object.freeze({ minPerSecond: 1000, sustainSamples: 2 });
/** V8's own growth factor (`node --v8-options`: `--semi-space-growth-factor`, default 2). */
export const V8_SEMI_SPACE_GROWTH_FACTOR = 2;
/** Sampling period of `startYoungGenerationPolicy`. */
export const YOUNG_GENERATION_SAMPLE_MS = 500;

/** Whether the rates (messages per second, oldest first) show the sustained load `rule` asks for. */
export function sustainedLoad(rates: readonly number[], rule: YoungGenerationRule = YOUNG_GENERATION_RULE): boolean {
  if (rule.sustainSamples < 1 || rates.length < rule.sustainSamples) return false;
  for (let i = rates.length - rule.sustainSamples; i < rates.length; i++) if (!(rates[i]! >= rule.minPerSecond)) return false;
  return true;
}

export interface YoungGenerationDeps {
  /** Messages accepted so far (a counter that only grows). */
  accepted: () => number;
  /** Sets V8's `--semi-space-growth-factor` (v8.setFlagsFromString in the composition root). */
  setGrowthFactor: (factor: number) => void;
  /** Milliseconds, monotonic (performance.now in the composition root). */
  now: () => number;
  /** Calls `fn` every `ms` until the returned stop function is called. */
  every: (ms: number, fn: () => void) => () => void;
  rule?: YoungGenerationRule;
  logger: Logger;
}

export interface YoungGenerationPolicy {
  /** Whether the young generation has been allowed to grow. */
  readonly grown: boolean;
  /** Stops sampling and gives V8 its default growth factor back. */
  close(): void;
}

/** Holds the young generation at its initial size until sustained message load (see above). */
export function startYoungGenerationPolicy(deps: YoungGenerationDeps): YoungGenerationPolicy {
  const rule = deps.rule ?? YOUNG_GENERATION_RULE;
  const rates: number[] = [];
  let grown = false;
  let closed = false;
  let lastCount = deps.accepted();
  let lastAt = deps.now();
  deps.setGrowthFactor(1);
  const stop = deps.every(YOUNG_GENERATION_SAMPLE_MS, () => {
    const count = deps.accepted();
    const at = deps.now();
    const seconds = (at - lastAt) / 1000;
    if (seconds > 0) {
      rates.push((count - lastCount) / seconds);
      if (rates.length > rule.sustainSamples) rates.shift();
    }
    lastCount = count;
    lastAt = at;
    if (!sustainedLoad(rates, rule)) return;
    grown = true;
    stop();
    deps.setGrowthFactor(V8_SEMI_SPACE_GROWTH_FACTOR);
    deps.logger.info({ messagesPerSecond: Math.round(rates.at(-1)!) }, "messages flow: V8's young generation may grow now");
  });
  return {
    get grown() {
      return grown;
    },
    close() {
      if (closed) return;
      closed = true;
      stop();
      if (!grown) deps.setGrowthFactor(V8_SEMI_SPACE_GROWTH_FACTOR);
    },
  };
}
