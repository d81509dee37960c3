import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ThrottledFlush } from "./throttled-flush.js";

describe("throttled flush", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const options = { minIntervalMs: 50, maxLoopShare: 0.25, maxIntervalMs: 1_000 };

  it("flushes the first change at once and a stream of changes at most once per interval", () => {
    const flushes: number[] = [];
    const flusher = new ThrottledFlush(
      options,
      () => flushes.push(Date.now()),
      () => Date.now(),
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

  it("stretches the interval to keep expensive flushes within their share of the loop, and shrinks it back", () => {
    let clock = 0;
    let costMs = 40;
    const flushes: number[] = [];
    const flusher = new ThrottledFlush(
      options,
      () => {
        flushes.push(clock);
        clock += costMs; // the flush itself takes the loop this long
      },
      () => clock,
    );
    const run = (ms: number): void => {
      for (let elapsed = 0; elapsed < ms; elapsed++) {
        clock += 1;
        flusher.request();
        vi.advanceTimersByTime(1);
      }
    };
    run(2_000);
    // 40 ms per flush at most a quarter of the loop: one flush every 160 ms, not every 50.
    expect(flusher.intervalMs).toBeCloseTo(160, 6);
    const gaps = flushes.slice(1).map((at, i) => at - (flushes[i] as number));
    // (to within the 1 ms step of this simulated clock)
    expect(Math.min(...gaps.slice(1))).toBeGreaterThanOrEqual(159);
    expect(Math.max(...gaps.slice(1))).toBeLessThanOrEqual(162);
    // Cheap again (a few sockets): back to the floor, never below it.
    costMs = 1;
    run(2_000);
    expect(flusher.intervalMs).toBe(50);
    // Capped however expensive.
    costMs = 2_000;
    run(10_000);
    expect(flusher.intervalMs).toBe(1_000);
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
