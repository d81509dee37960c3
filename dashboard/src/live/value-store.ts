import type { Listener } from "./topic-store";

/** A single observable value (connection state, focus): `set` notifies subscribers when it changes. */
export class ValueStore<T> {
  private listeners = new Set<Listener>();

  constructor(private current: T) {}

  get = (): T => this.current;

  set(next: T): void {
    if (Object.is(next, this.current)) return;
    this.current = next;
    for (const listener of this.listeners) listener();
  }

  /** Shallow-merges a patch into an object value. */
  patch(patch: Partial<T>): void {
    this.set({ ...this.current, ...patch });
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}
