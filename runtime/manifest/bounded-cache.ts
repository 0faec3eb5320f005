/**
 * A bounded cache for pure functions of a string. The agent and the hub validate the same
 * desired properties again on every twin patch, and a manifest repeats most of its strings
 * between revisions (route texts, image references, createOptions), so re-deriving them is
 * wasted work (issue 2: ≥ 2,000 validations/s of a 50-module manifest).
 *
 * Bounded so hostile input cannot grow memory: keys longer than `maxKeyLength` are never
 * cached, and once `maxEntries` keys are held the oldest is dropped (insertion order).
 * Values are shared between callers: cache only results that callers treat as read-only.
 */
export class BoundedCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxKeyLength: number,
  ) {}

  /** The cached value for `key`, or `compute()` (remembered when the key is not too long). */
  get(key: string, compute: () => T): T {
    if (key.length > this.maxKeyLength) return compute();
    const hit = this.entries.get(key);
    if (hit !== undefined || this.entries.has(key)) return hit as T;
    const value = compute();
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, value);
    return value;
  }
}
