/**
 * Group commit: items submitted during one event-loop turn are written together by one call
 * of `write` (one SQLite transaction), then every submitter learns the outcome. This is what
 * lets the hub acknowledge each QoS 1 message only after it is durable (store-and-forward's
 * rule, docs/routing.md) and still ingest tens of thousands of messages per second: the cost
 * of a commit is shared by all messages that arrived in the same turn, and the batch grows by
 * itself with the load (everything that arrived while the previous batch was written), up to
 * `maxBatch` per transaction.
 */
export interface GroupCommit<T, R> {
  /** Queues `item`; resolves with its own result once its batch is written. */
  submit(item: T): Promise<R>;
  /**
   * Queues `item`; returns its batch's promise, shared by every item of the batch, settled once
   * the batch is written. The hot path: no promise and no result object per item.
   */
  join(item: T): Promise<void>;
  /** Writes whatever is queued now (shutdown). */
  flush(): void;
}

/** What `write` returns: every item's result, as an array or read by index (computed only when asked for). */
export type BatchResults<R> = readonly R[] | ((index: number) => R);

interface Waiter<R> {
  index: number;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}
interface Batch<T, R> {
  items: T[];
  waiters: Array<Waiter<R>> | undefined;
  shared: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
}

export function createGroupCommit<T, R>(write: (items: T[]) => BatchResults<R>, options: { maxBatch?: number } = {}): GroupCommit<T, R> {
  const maxBatch = options.maxBatch ?? 10_000;
  let batches: Array<Batch<T, R>> = [];
  let scheduled = false;

  const current = (): Batch<T, R> => {
    const last = batches.at(-1);
    if (last && last.items.length < maxBatch) return last;
    const batch: Batch<T, R> = { items: [], waiters: undefined, shared: undefined };
    batches.push(batch);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    return batch;
  };

  const flush = (): void => {
    scheduled = false;
    while (batches.length > 0) {
      const todo = batches;
      batches = [];
      for (const batch of todo) {
        let results: BatchResults<R>;
        try {
          results = write(batch.items);
        } catch (error) {
          batch.shared?.reject(error);
          if (batch.waiters) for (const w of batch.waiters) w.reject(error);
          continue;
        }
        batch.shared?.resolve();
        if (batch.waiters) {
          const at = typeof results === 'function' ? results : (i: number) => results[i]!;
          for (const w of batch.waiters) w.resolve(at(w.index));
        }
      }
    }
  };

  return {
    submit(item) {
      const batch = current();
      const index = batch.items.push(item) - 1;
      return new Promise<R>((resolve, reject) => (batch.waiters ??= []).push({ index, resolve, reject }));
    },
    join(item) {
      const batch = current();
      batch.items.push(item);
      if (!batch.shared) {
        let resolve!: () => void;
        let reject!: (e: unknown) => void;
        const promise = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        batch.shared = { promise, resolve, reject };
      }
      return batch.shared.promise;
    },
    flush,
  };
}
