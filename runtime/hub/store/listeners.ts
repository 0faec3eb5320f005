/**
 * A tiny typed listener set. A throwing listener is reported to `onError` and never breaks
 * the write that triggered it nor the other listeners.
 */
export class Listeners<E> {
  private readonly set = new Set<(event: E) => void>();

  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  add(listener: (event: E) => void): () => void {
    this.set.add(listener);
    return () => void this.set.delete(listener);
  }

  emit(event: E): void {
    for (const l of this.set) {
      try {
        l(event);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  get size(): number {
    return this.set.size;
  }
}
