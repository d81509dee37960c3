import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ThrottledFlush } from "./throttled-flush.js";

describe("throttled flush", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("flushes the first change at once and a stream of changes at most once per interval", () => {
    const flushes: number[] = [];
    const flusher = new ThrottledFlush(
      50,
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

  it("does nothing after stop", () => {
    const flush = vi.fn();
    const flusher = new ThrottledFlush(50, flush, () => Date.now());
    flusher.request();
    flusher.stop();
    flusher.request();
    vi.advanceTimersByTime(200);
    expect(flush).not.toHaveBeenCalled();
  });
});
