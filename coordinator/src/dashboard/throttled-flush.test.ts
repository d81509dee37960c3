import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ThrottledFlush } from "./throttled-flush.js";

describe("throttled flush", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const options = { minIntervalMs: 10, maxLoopUtilization: 0.5, maxIntervalMs: 1_000 };

  it("flushes the first change at once and a stream of changes at most once per interval", () => {
    const flushes: number[] = [];
    const idleLoop = (): number => 0;
    const flusher = new ThrottledFlush(
      { ...options, minIntervalMs: 50 },
      () => flushes.push(Date.now()),
      () => Date.now(),
      idleLoop,
    );
    const start = Date.now();
    flusher.request();
    flusher.request();
    vi.advanceTimersByTime(0);
    expect(flushes).toEqual([start]);

    // Changes every 5 ms for 200 ms: a flush every 50 ms (at 50, 100, 150, 200 and, for the last
    // change, 250), never two closer than that.
    for (let t = 5; t <= 200; t += 5) {
      vi.advanceTimersByTime(5);
      flusher.request();
    }
    vi.advanceTimersByTime(50);
    expect(flushes.map((at) => at - start)).toEqual([0, 50, 100, 150, 200, 250]);
  });

  it("stretches the interval while the event loop is busier than its bound, and shrinks it back", () => {
    // The loop's busy share as a broadcast costing `costMs` in all (its writes included) makes it at
    // a given interval, on top of `baseLoad` of other work: what Node's utilization would report.
    let costMs = 10;
    let baseLoad = 0.1;
    const flushes: number[] = [];
    const flusher: ThrottledFlush = new ThrottledFlush(
      options,
      () => flushes.push(Date.now()),
      () => Date.now(),
      (): number => Math.min(1, baseLoad + costMs / flusher.intervalMs),
    );
    const run = (ms: number): void => {
      for (let elapsed = 0; elapsed < ms; elapsed++) {
        flusher.request();
        vi.advanceTimersByTime(1);
      }
    };
    const steadyGaps = (): number[] => {
      flushes.length = 0;
      run(1_000);
      return flushes.slice(1).map((at, i) => at - (flushes[i] as number));
    };
    run(5_000);
    // 0.1 + 10/I must settle between 80 % of the bound and the bound (0.4–0.5): I in 25–33 ms.
    expect(flusher.intervalMs).toBeGreaterThanOrEqual(25);
    expect(flusher.intervalMs).toBeLessThanOrEqual(34);
    let gaps = steadyGaps();
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(25);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(35);
    // Cheap again (a few sockets): back to the floor, never below it.
    costMs = 1;
    run(3_000);
    expect(flusher.intervalMs).toBe(10);
    gaps = steadyGaps();
    expect(Math.min(...gaps)).toBe(10);
    // Other work fills the loop (an ingest flood): deltas batched up to the cap, never past it.
    baseLoad = 0.9;
    run(20_000);
    expect(flusher.intervalMs).toBe(1_000);
    // The flood ends: within 3 s the interval is back near the floor, not tens of seconds later
    // (at most halving per flush, in proportion to the room the loop has).
    baseLoad = 0.1;
    costMs = 1;
    run(3_000);
    expect(flusher.intervalMs).toBeLessThanOrEqual(15);
  });

  it("does nothing after stop", () => {
    const flush = vi.fn();
    const flusher = new ThrottledFlush(options, flush, () => Date.now());
    flusher.request();
    flusher.stop();
    flusher.request();
    vi.advanceTimersByTime(200);
    expect(flush).not.toHaveBeenCalled();
  });
});
