import type { TopicChanges } from "@sentra/common/dashboard-protocol";

export type Listener = () => void;

/**
 * One topic of the live estate (satellites, prices, workloads, …): a keyed collection that a
 * snapshot replaces and deltas patch. It lives outside React: the globe reads it every frame and
 * components subscribe to its `version` (useSyncExternalStore), so a delta never re-renders
 * anything that did not ask for it.
 */
export class TopicStore<T extends { readonly key?: string; readonly id?: string }> {
  private items = new Map<string, T>();
  private listeners = new Set<Listener>();
  private currentVersion = 0;

  /**
   * @param keyOf the entity's key, as the protocol defines it
   * @param merge how an upsert combines with what is held (default: replace)
   */
  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly merge: (previous: T | undefined, next: T) => T = (_previous, next) => next,
  ) {}

  get version(): number {
    return this.currentVersion;
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  /** A snapshot: the topic becomes exactly `items`. */
  replace(items: readonly T[]): void {
    this.items = new Map(items.map((item) => [this.keyOf(item), item]));
    this.changed();
  }

  /** A delta: upserts merged, removals dropped. Returns the keys touched. */
  apply(changes: TopicChanges<T>): string[] {
    const touched: string[] = [];
    for (const item of changes.upsert ?? []) {
      const key = this.keyOf(item);
      this.items.set(key, this.merge(this.items.get(key), item));
      touched.push(key);
    }
    for (const key of changes.remove ?? []) {
      if (this.items.delete(key)) touched.push(key);
    }
    if (touched.length > 0) this.changed();
    return touched;
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.currentVersion;

  private changed(): void {
    this.currentVersion += 1;
    for (const listener of this.listeners) listener();
  }
}
