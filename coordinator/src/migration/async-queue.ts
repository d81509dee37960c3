/** @default 1000 — items a slow consumer may fall behind before the oldest are dropped. */
export const DEFAULT_ASYNC_QUEUE_CAPACITY = 1_000;

/**
 * A push → async-iterate bridge for server streams: producers `push`, one consumer iterates. Bounded:
 * a consumer that falls behind loses the oldest items (every item here is a full snapshot, so the
 * newest one still tells the whole story). `close()` ends the iteration.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;

  constructor(private readonly capacity = DEFAULT_ASYNC_QUEUE_CAPACITY) {}

  push(item: T): void {
    if (this.closed) return;
    if (this.waiting !== undefined) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
  }

  close(): void {
    this.closed = true;
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
