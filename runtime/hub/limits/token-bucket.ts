/**
 * Per-key token buckets: each key may do `ratePerSecond` operations a second on average and
 * `burst` at once. IoT Hub's operation throttles work this way — a client over the rate gets
 * 429 and should back off (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling).
 * Pure: time comes from `now()`.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
    /** Most keys remembered; the oldest is forgotten first (it starts again with a full bucket). */
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for `key`; false when its bucket is empty (the operation is throttled). */
  allow(key: string): boolean {
    if (!(this.ratePerSecond > 0)) return true;
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSecond);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
