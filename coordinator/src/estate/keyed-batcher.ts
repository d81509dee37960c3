/** How a keyed batcher batches and how many batches it applies at once. */
export interface KeyedBatcherOptions {
  /** Batches applied at once; a key always falls in the same lane, so its items stay in order. */
  readonly lanes: number;
  /** Most keys in one batch; a lane this full is applied without waiting for the window. */
  readonly maxBatch: number;
  /** How long the first item of a batch waits for company (0: until the event loop is idle). */
  readonly windowMs: number;
  /**
   * Most items kept per key (default 1: a newer item replaces the pending one). Above 1 the
   * batch holds a key's items in order, the oldest giving way once a key has this many waiting.
   */
  readonly itemsPerKey?: number;
}

/**
 * One key's pending items, oldest first (at most `itemsPerKey`), its newest item, and how many
 * items it stands for (those kept and those they replaced).
 */
export interface Batched<T> {
  readonly item: T;
  readonly items: readonly T[];
  readonly count: number;
}

type Apply<T> = (batch: ReadonlyMap<string, Batched<T>>) => Promise<void>;

interface Lane<T> {
  pending: Map<string, Batched<T>>;
  inFlight: Promise<void> | undefined;
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
}

/**
 * Collects items per key and applies them in batches: at most one pending item per key (a newer
 * one replaces it, and the batch says how many it stands for), at most `lanes` batches in flight,
 * each key always in the same lane, so a key's items are applied in the order they came and never
 * two at once. What waits is bounded by the number of keys, however fast one key sends — a key
 * that floods only replaces its own pending item.
 */
export class KeyedBatcher<T> {
  private readonly lanes: Lane<T>[];
  private stopped = false;
  private readonly itemsPerKey: number;

  /** @param apply must not throw for a batch it could not apply: it accounts for it itself */
  constructor(
    private readonly options: KeyedBatcherOptions,
    private readonly apply: Apply<T>,
  ) {
    const itemsPerKey = options.itemsPerKey ?? 1;
    if (!(options.lanes >= 1 && options.maxBatch >= 1 && options.windowMs >= 0 && itemsPerKey >= 1)) {
      throw new Error(`invalid batcher options ${JSON.stringify(options)}`);
    }
    this.itemsPerKey = itemsPerKey;
    this.lanes = Array.from({ length: options.lanes }, () => ({
      pending: new Map(),
      inFlight: undefined,
      timer: undefined,
    }));
  }

  /** Adds an item; true when it made a pending item of the same key give way. */
  add(key: string, item: T): boolean {
    const lane = this.lanes[laneOf(key, this.lanes.length)] as Lane<T>;
    const previous = lane.pending.get(key);
    let replaced: boolean;
    if (previous === undefined) {
      replaced = false;
      lane.pending.set(key, { item, items: [item], count: 1 });
    } else if (this.itemsPerKey === 1) {
      // The common case (heartbeats), in place: no new entry or array per superseded item.
      replaced = true;
      const entry = previous as { item: T; items: T[]; count: number };
      entry.item = item;
      entry.items[0] = item;
      entry.count += 1;
    } else {
      const kept = [...previous.items, item];
      replaced = kept.length > this.itemsPerKey;
      if (replaced) kept.shift();
      lane.pending.set(key, { item, items: kept, count: previous.count + 1 });
    }
    if (lane.pending.size >= this.options.maxBatch) this.flush(lane);
    else this.schedule(lane, this.options.windowMs);
    return replaced;
  }

  /** Items waiting (keys pending in every lane). */
  pending(): number {
    let pending = 0;
    for (const lane of this.lanes) pending += lane.pending.size;
    return pending;
  }

  /** Batches being applied now. */
  inFlight(): number {
    return this.lanes.filter((lane) => lane.inFlight !== undefined).length;
  }

  /** Applies everything pending, then resolves (shutdown: no further windows are started). */
  async drain(): Promise<void> {
    this.stopped = true;
    for (;;) {
      for (const lane of this.lanes) {
        this.clearTimer(lane);
        if (!lane.inFlight && lane.pending.size > 0) this.start(lane);
      }
      const inFlight = this.lanes.flatMap((lane) => (lane.inFlight ? [lane.inFlight] : []));
      if (inFlight.length === 0) return;
      await Promise.all(inFlight);
    }
  }

  private schedule(lane: Lane<T>, windowMs: number): void {
    if (lane.timer || lane.inFlight || this.stopped) return;
    const run = (): void => {
      lane.timer = undefined;
      this.flush(lane);
    };
    lane.timer = windowMs > 0 ? setTimeout(run, windowMs) : setImmediate(run);
  }

  private flush(lane: Lane<T>): void {
    if (lane.inFlight || lane.pending.size === 0) return;
    this.clearTimer(lane);
    this.start(lane);
  }

  private start(lane: Lane<T>): void {
    let batch: Map<string, Batched<T>>;
    if (lane.pending.size <= this.options.maxBatch) {
      batch = lane.pending;
      lane.pending = new Map();
    } else {
      // Oldest keys first; the rest keep their place for the next batch.
      batch = new Map();
      for (const [key, entry] of lane.pending) {
        batch.set(key, entry);
        lane.pending.delete(key);
        if (batch.size >= this.options.maxBatch) break;
      }
    }
    lane.inFlight = this.apply(batch)
      .catch(() => undefined)
      .finally(() => {
        lane.inFlight = undefined;
        if (lane.pending.size === 0) return;
        // What came in meanwhile has waited a whole batch already: no further window.
        if (lane.pending.size >= this.options.maxBatch || this.stopped) this.start(lane);
        else this.schedule(lane, 0);
      });
  }

  private clearTimer(lane: Lane<T>): void {
    if (!lane.timer) return;
    clearTimeout(lane.timer as NodeJS.Timeout);
    clearImmediate(lane.timer as NodeJS.Immediate);
    lane.timer = undefined;
  }
}

/** FNV-1a: cheap, stable, and spreads satellite ids evenly over a handful of lanes. */
export function laneOf(key: string, lanes: number): number {
  if (lanes <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}
