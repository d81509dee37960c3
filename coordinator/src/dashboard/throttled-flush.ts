/** How often a change may be flushed, and how much of the event loop flushing may take. */
export interface ThrottledFlushOptions {
  /** Shortest time between two flushes (the floor a steady stream of changes waits for). */
  minIntervalMs: number;
  /**
   * Largest share of the event loop flushes may take (0–1]: the interval grows to
   * cost ÷ share when a flush gets expensive (many sockets), and shrinks back when it gets cheap.
   */
  maxLoopShare: number;
  /** The interval never grows past this, whatever a flush costs. */
  maxIntervalMs: number;
}

/** Weight of the latest flush in the cost average: a GC pause moves the interval, not doubles it. */
const COST_SMOOTHING = 0.3;

/**
 * Runs `flush` after something changed, at most once per interval: the first change after a
 * quiet spell is flushed on the next tick (low latency), a stream of changes at a steady rate.
 * The interval adapts to what a flush costs, so a cheap flush (few sockets) goes out at the
 * floor's rate and an expensive one (a thousand sockets) stays within its share of the loop.
 */
export class ThrottledFlush {
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAtMs = Number.NEGATIVE_INFINITY;
  private averageCostMs = 0;
  private stopped = false;

  constructor(
    private readonly options: ThrottledFlushOptions,
    private readonly flush: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The current interval between flushes (ms): the floor, or more when flushing got expensive. */
  get intervalMs(): number {
    const { minIntervalMs, maxLoopShare, maxIntervalMs } = this.options;
    return Math.min(maxIntervalMs, Math.max(minIntervalMs, this.averageCostMs / maxLoopShare));
  }

  /** Something changed: make sure a flush is scheduled. */
  request(): void {
    if (this.timer !== undefined || this.stopped) return;
    const waitMs = Math.max(0, this.lastFlushAtMs + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const startedAtMs = this.now();
      this.lastFlushAtMs = startedAtMs;
      try {
        this.flush();
      } finally {
        const costMs = this.now() - startedAtMs;
        this.averageCostMs =
          this.averageCostMs === 0 ? costMs : this.averageCostMs + COST_SMOOTHING * (costMs - this.averageCostMs);
      }
    }, waitMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
