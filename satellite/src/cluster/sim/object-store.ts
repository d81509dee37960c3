import { cloneJson, type KubeObject } from "./kube-object.js";
import { type ResourceRef, resourceKey } from "./resource-kind.js";
import { StatusError } from "./status-error.js";

/** A committed change, as watchers and simulators see it. */
export interface StoreEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  /** `group/version/resource` of the object. */
  readonly resource: string;
  /** The object after the change (for DELETED: the last state, stamped with the deletion's version). */
  readonly object: KubeObject;
  /** The object before the change (MODIFIED and DELETED). */
  readonly previous?: KubeObject;
  readonly resourceVersion: number;
}

/** What a watch receives: the event type after filtering (an object leaving the filter is DELETED). */
export interface WatchEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly object: KubeObject;
}

/** Options of `ObjectStore.watch`. */
export interface StoreWatchOptions {
  /** Only objects of this namespace. */
  namespace?: string;
  /** Extra filter (label and field selectors). */
  matches?: (object: KubeObject) => boolean;
  /**
   * Replay events after this version; `undefined` or 0 starts with a synthetic ADDED per
   * existing object, as the API server does.
   */
  fromResourceVersion?: number;
}

/** Events kept for watch resumption. @default 1000 */
export const DEFAULT_WATCH_HISTORY_SIZE = 1000;

/**
 * The storage of one simulated cluster: objects keyed by group/version/resource, namespace and
 * name, one resource-version counter shared by every kind (as etcd's revision is), a bounded
 * event history so a watch can resume from a version, and synchronous fan-out to subscribers.
 * Writes are synchronous, so a reader never sees a half-applied change. Values going in and out
 * are copied.
 */
export class ObjectStore {
  readonly #collections = new Map<string, Map<string, KubeObject>>();
  readonly #history: StoreEvent[] = [];
  readonly #historySize: number;
  readonly #listeners = new Set<(event: StoreEvent) => void>();
  #resourceVersion = 0;
  /** Highest version whose event has been dropped from the history: older watches get 410. */
  #compactedThrough = 0;

  constructor(options: { historySize?: number } = {}) {
    this.#historySize = Math.max(1, options.historySize ?? DEFAULT_WATCH_HISTORY_SIZE);
  }

  /** The current (latest committed) resource version. */
  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  /** A copy of one object, or undefined. */
  get(ref: ResourceRef, namespace: string, name: string): KubeObject | undefined {
    const object = this.#collection(ref).get(objectKey(namespace, name));
    return object && cloneJson(object);
  }

  /** Copies of the objects of a resource, optionally of one namespace, sorted by namespace and name. */
  list(ref: ResourceRef, namespace?: string): KubeObject[] {
    const items = [...this.#collection(ref).values()].filter(
      (object) => namespace === undefined || object.metadata.namespace === namespace,
    );
    return items.sort(compareObjects).map((object) => cloneJson(object));
  }

  /** Stores a new object, stamping its resource version; the caller has checked the name is free. */
  create(ref: ResourceRef, object: KubeObject): KubeObject {
    const key = objectKey(object.metadata.namespace ?? "", object.metadata.name ?? "");
    const collection = this.#collection(ref);
    if (collection.has(key)) throw new Error(`${resourceKey(ref)} ${key} already stored`);
    const stored = this.#stamp(object);
    collection.set(key, stored);
    this.#emit({ type: "ADDED", resource: resourceKey(ref), object: stored, resourceVersion: this.#resourceVersion });
    return cloneJson(stored);
  }

  /** Replaces an existing object, stamping a new resource version. */
  update(ref: ResourceRef, object: KubeObject): KubeObject {
    const key = objectKey(object.metadata.namespace ?? "", object.metadata.name ?? "");
    const collection = this.#collection(ref);
    const previous = collection.get(key);
    if (!previous) throw new Error(`${resourceKey(ref)} ${key} is not stored`);
    const stored = this.#stamp(object);
    collection.set(key, stored);
    this.#emit({
      type: "MODIFIED",
      resource: resourceKey(ref),
      object: stored,
      previous,
      resourceVersion: this.#resourceVersion,
    });
    return cloneJson(stored);
  }

  /** Removes an object; returns its last state (stamped with the deletion's version), or undefined. */
  delete(ref: ResourceRef, namespace: string, name: string): KubeObject | undefined {
    const key = objectKey(namespace, name);
    const collection = this.#collection(ref);
    const previous = collection.get(key);
    if (!previous) return undefined;
    collection.delete(key);
    const tombstone = this.#stamp(previous);
    this.#emit({
      type: "DELETED",
      resource: resourceKey(ref),
      object: tombstone,
      previous,
      resourceVersion: this.#resourceVersion,
    });
    return cloneJson(tombstone);
  }

  /**
   * Calls `listener` synchronously after every committed change; returns the unsubscribe
   * function. A listener must not write to the store synchronously (watchers would see events
   * out of order): schedule the write instead.
   */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Starts a watch: first the replay (synthetic ADDED events, or the history after
   * `fromResourceVersion`), then live events, all delivered synchronously to `send`. A version
   * older than the retained history is a 410 `Expired`, so the client re-lists. Returns the stop
   * function.
   */
  watch(ref: ResourceRef, options: StoreWatchOptions, send: (event: WatchEvent) => void): () => void {
    const resource = resourceKey(ref);
    const inScope = (object: KubeObject | undefined): object is KubeObject =>
      object !== undefined &&
      (options.namespace === undefined || object.metadata.namespace === options.namespace) &&
      (options.matches?.(object) ?? true);
    const deliver = (event: StoreEvent) => {
      if (event.resource !== resource) return;
      const now = event.type !== "DELETED" && inScope(event.object);
      const before = event.type !== "ADDED" && inScope(event.previous);
      // An object that starts or stops matching the filter appears as ADDED or DELETED, as on a real server.
      const type = now && before ? event.type : now ? "ADDED" : before ? "DELETED" : undefined;
      if (type) send({ type, object: cloneJson(event.object) });
    };

    const from = options.fromResourceVersion ?? 0;
    if (from === 0) {
      for (const object of this.list(ref)) if (inScope(object)) send({ type: "ADDED", object });
    } else {
      if (from < this.#compactedThrough) {
        throw new StatusError(410, `too old resource version: ${from} (${this.#compactedThrough + 1})`, "Expired");
      }
      for (const event of this.#history) if (event.resourceVersion > from) deliver(event);
    }
    this.#listeners.add(deliver);
    return () => this.#listeners.delete(deliver);
  }

  #collection(ref: ResourceRef): Map<string, KubeObject> {
    const key = resourceKey(ref);
    let collection = this.#collections.get(key);
    if (!collection) {
      collection = new Map();
      this.#collections.set(key, collection);
    }
    return collection;
  }

  #stamp(object: KubeObject): KubeObject {
    this.#resourceVersion += 1;
    const stored = cloneJson(object);
    stored.metadata.resourceVersion = String(this.#resourceVersion);
    return stored;
  }

  #emit(event: StoreEvent): void {
    this.#history.push(event);
    while (this.#history.length > this.#historySize) {
      const dropped = this.#history.shift();
      if (dropped) this.#compactedThrough = dropped.resourceVersion;
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error: unknown) {
        // One broken subscriber must not undo a committed write or starve the others.
        process.emitWarning(`simulated cluster store listener failed: ${String(error)}`);
      }
    }
  }
}

function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function compareObjects(a: KubeObject, b: KubeObject): number {
  const byNamespace = (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "");
  return byNamespace !== 0 ? byNamespace : (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");
}
