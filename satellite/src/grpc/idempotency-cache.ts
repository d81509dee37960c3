/** @default 10000 — enough for every step of every saga in flight, small enough to bound memory. */
const DEFAULT_CAPACITY = 10_000;

/**
 * Remembers the result of each mutating command by its idempotency key, so a retried command
 * returns the first result instead of acting twice. In-flight commands share one promise.
 */
export class IdempotencyCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** Runs `action` once per key; concurrent and later calls with the key get the same result. */
  async run(key: string, action: () => Promise<T>, onReplay: (result: T) => T): Promise<T> {
    const existing = this.entries.get(key);
    if (existing) return onReplay(await existing);
    const pending = action();
    this.entries.set(key, pending);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    try {
      return await pending;
    } catch (error) {
      // A failed command did not happen: let a retry run it again.
      this.entries.delete(key);
      throw error;
    }
  }
}
