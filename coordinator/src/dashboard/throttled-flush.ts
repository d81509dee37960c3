import { performance } from "node:perf_hooks";

/** How often a change may be flushed, and how busy flushing may keep the event loop. */
export interface ThrottledFlushOptions {
  /** Shortest time between two flushes (the floor a steady stream of changes waits for). */
  minIntervalMs: number;
  /**
   * Event-loop utilization (0–1] above which the interval grows, and below 80 % of which it
   * shrinks back toward the floor. Utilization rather than the flush's own run time, because most
   * of a broadcast's cost comes after it returns: Socket.IO frames and writes to every socket later.
   */
  maxLoopUtilization: number;
  /** The interval never grows past this, however busy the loop. */
  maxIntervalMs: number;
}

/**
 * Time constant of the utilization average (ms): each period weighs by its length, so at 20 ms one
 * GC pause nudges the interval rather than doubles it, and after a one-second period the average
 * is mostly that second (a burst that ended is forgotten within a few flushes at any interval).
 */
const UTILIZATION_TIME_CONSTANT_MS = 100;
/** Growth per flush while the loop is too busy. */
const GROW = 1.25;
/**
 * Below this share of the bound the interval shrinks, in proportion to the room left (at most
 * halving per flush), so after a burst (a thousand snapshots at connect, an ingest flood) it is
 * back near the floor within a few flushes instead of tens of seconds; between this share and the
 * bound it holds (no flapping).
 */
const SHRINK_BELOW = 0.8;
const MAX_SHRINK = 0.5;

/** The event loop's busy share since the previous call (Node's own accounting, all work counted). */
export function eventLoopUtilizationSampler(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const current = performance.eventLoopUtilization();
    const sinceLast = performance.eventLoopUtilization(current, last);
    last = current;
    return sinceLast.utilization;
  };
}

/**
 * Runs `flush` after something changed, at most once per interval: the first change after a
 * quiet spell is flushed on the next tick (low latency), a stream of changes at a steady rate.
 * The interval adapts to how busy the loop is, so with a few sockets changes go out at the floor's
 * rate, and with many (or while ingest is heavy) they are batched more, so the loop keeps room
 * for heartbeats and the sockets get fewer, larger deltas instead of a growing backlog.
 */
export class ThrottledFlush {
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAtMs = Number.NEGATIVE_INFINITY;
  private currentIntervalMs: number;
  private averageUtilization = 0;
  private stopped = false;

  constructor(
    private readonly options: ThrottledFlushOptions,
    private readonly flush: () => void,
    private readonly now: () => number = () => performance.now(),
    private readonly loopUtilization: () => number = eventLoopUtilizationSampler(),
  ) {
    this.currentIntervalMs = options.minIntervalMs;
  }

  /** The current interval between flushes (ms): the floor, or more while the loop is busy. */
  get intervalMs(): number {
    return this.currentIntervalMs;
  }

  /** Something changed: make sure a flush is scheduled. */
  request(): void {
    if (this.timer !== undefined || this.stopped) return;
    const waitMs = Math.max(0, this.lastFlushAtMs + this.currentIntervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const nowMs = this.now();
      this.adapt(this.loopUtilization(), nowMs - this.lastFlushAtMs);
      this.lastFlushAtMs = nowMs;
      this.flush();
    }, waitMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** @param periodMs how long `utilization` was measured over (infinite for the first flush) */
  private adapt(utilization: number, periodMs: number): void {
    const { minIntervalMs, maxLoopUtilization, maxIntervalMs } = this.options;
    const weight = 1 - Math.exp(-periodMs / UTILIZATION_TIME_CONSTANT_MS);
    this.averageUtilization += weight * (utilization - this.averageUtilization);
    if (this.averageUtilization > maxLoopUtilization) {
      this.currentIntervalMs = Math.min(maxIntervalMs, this.currentIntervalMs * GROW);
    } else if (this.averageUtilization < maxLoopUtilization * SHRINK_BELOW) {
      const shrink = Math.max(MAX_SHRINK, this.averageUtilization / (maxLoopUtilization * SHRINK_BELOW));
      this.currentIntervalMs = Math.max(minIntervalMs, this.currentIntervalMs * shrink);
    }
  }
}
