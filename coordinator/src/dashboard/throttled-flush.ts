/**
 * Runs `flush` after something changed, at most once per `intervalMs`: the first change after a
 * quiet spell is flushed on the next tick (low latency), a stream of changes at a steady rate
 * (bounded cost: one emit per interval however many changes arrive).
 */
export class ThrottledFlush {
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAtMs = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly flush: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Something changed: make sure a flush is scheduled. */
  request(): void {
    if (this.timer !== undefined || this.stopped) return;
    const waitMs = Math.max(0, this.lastFlushAtMs + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastFlushAtMs = this.now();
      this.flush();
    }, waitMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
