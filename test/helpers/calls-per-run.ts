/**
 * How many calls of a method happen in one go, without the event loop running in between: the
 * calls made in one synchronous run (one callback of the loop, until its stack unwinds and its
 * microtasks run: nodejs.org/api/process.html#when-to-use-queuemicrotask-vs-processnexttick)
 * count together. For tests that check how much of a client's work the hub does per loop turn,
 * without timing it.
 */
export function countCallsPerRun<T extends object, K extends keyof T>(target: T, method: K): { readonly most: number; readonly calls: number; restore(): void } {
  const original = target[method] as (...args: unknown[]) => unknown;
  let inRun = 0;
  let most = 0;
  let calls = 0;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    if (inRun === 0) queueMicrotask(() => (inRun = 0));
    most = Math.max(most, ++inRun);
    calls++;
    return original.apply(this, args);
  };
  target[method] = wrapped as T[K];
  return {
    get most() {
      return most;
    },
    get calls() {
      return calls;
    },
    restore: () => void (target[method] = original as T[K]),
  };
}
