/**
 * A bounded cache for pure functions of a string. The agent and the hub validate the same
 * desired properties again on every twin patch, and a manifest repeats most of its strings
 * between revisions (route texts, image references, createOptions), so re-deriving them is
 * wasted work (docs/manifest.md: ≥ 2,000 validations/s of a 50-module manifest).
 *
 * - A key is cached the second time it is computed: strings seen once (a stream of ever
 *   new manifests) cost a set entry, not a retained result, so a cache that never hits
 *   costs about nothing.
 * - Bounded so hostile input cannot grow memory: keys longer than `maxKeyLength` are never
 *   cached; results are held in two generations of at most `maxEntries` keys: when the
 *   current one is full it becomes the old one (the previous old one is dropped), and a key
 *   found in the old generation moves to the current one. Every operation is O(1)
 *   (evicting single entries from the front of a Map is not: its iterator walks over the
 *   deleted slots).
 *
 * Values are shared between callers: cache only results that callers treat as read-only.
 */
export class BoundedCache<T extends object | string> {
  private current = new Map<string, T>();
  private previous = new Map<string, T>();
  /** Keys computed once but not cached yet (a key is cached when it comes back). */
  private seenOnce = new Set<string>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxKeyLength: number,
  ) {}

  /** The cached value for `key`, or `compute()` (remembered when the key is not too long). */
  get(key: string, compute: () => T): T {
    if (key.length > this.maxKeyLength) return compute();
    const hit = this.current.get(key);
    if (hit !== undefined) return hit;
    let value: T;
    const old = this.previous.get(key);
    if (old !== undefined) value = old;
    else {
      value = compute();
      if (!this.seenOnce.has(key)) {
        if (this.seenOnce.size >= this.maxEntries) this.seenOnce = new Set();
        this.seenOnce.add(key);
        return value;
      }
    }
    if (this.current.size >= this.maxEntries) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
    return value;
  }
}
