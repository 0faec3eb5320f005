/**
 * Group commit: items submitted during one event-loop turn are written together by one call
 * of `write` (one SQLite transaction), then every submitter's promise settles. This is what
 * lets the hub acknowledge each QoS 1 message only after it is durable (store-and-forward's
 * rule) and still ingest tens of thousands of messages per second: the cost of a commit is
 * shared by all messages that arrived in the same few milliseconds.
 */
export interface GroupCommit<T, R> {
  submit(item: T): Promise<R>;
  /** Writes whatever is queued now (shutdown). */
  flush(): void;
}

export function createGroupCommit<T, R>(write: (items: T[]) => R[], options: { maxBatch?: number } = {}): GroupCommit<T, R> {
  const maxBatch = options.maxBatch ?? 5000;
  let queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue.length > maxBatch ? queue.splice(0, maxBatch) : queue;
      if (batch === queue) queue = [];
      let results: R[];
      try {
        results = write(batch.map((b) => b.item));
      } catch (error) {
        for (const b of batch) b.reject(error);
        continue;
      }
      batch.forEach((b, i) => b.resolve(results[i]!));
    }
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    flush,
  };
}
